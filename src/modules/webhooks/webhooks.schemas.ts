import { z } from "zod";
import { csv, listOf, pageParams } from "../../lib/pagination.js";
import { apiDate, httpUrl, idParam, modeSchema } from "../../lib/schemas.js";
import { EVENT_TYPES, WILDCARD_EVENT } from "../events/index.js";

export const subscribableEvent = z.enum([WILDCARD_EVENT, ...EVENT_TYPES], { error: `must be an event type (${EVENT_TYPES.join(", ")}) or *` });

const eventsField = z
  .array(subscribableEvent)
  .min(1)
  .max(100)
  .transform((events) => [...new Set(events)])
  .describe("Event types to receive; `*` for all");

export const webhookEndpointSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    name: z.string().nullable(),
    description: z.string().nullable(),
    url: z.string(),
    events: z.array(z.string()),
    isEnabled: z.boolean(),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "WebhookEndpoint" });

export const createdWebhookEndpointSchema = webhookEndpointSchema
  .extend({ secret: z.string().describe("The signing secret (whsec_…). Shown only in this answer: store it now.") })
  .meta({ id: "CreatedWebhookEndpoint" });

const fields = {
  url: httpUrl.describe("http(s) URL on the public internet"),
  events: eventsField,
  description: z.string().trim().max(500).nullable().optional(),
  name: z.string().trim().min(1).max(100).nullable().optional(),
};

export const createWebhookBody = z.object(fields).strict();

export const updateWebhookBody = z
  .object({
    url: fields.url.optional(),
    events: fields.events.optional(),
    description: fields.description,
    name: fields.name,
    isEnabled: z.boolean().optional().describe("false: stop sending; deliveries already queued wait until it is enabled again"),
  })
  .strict();

export const webhookParams = z.object({ id: idParam("webhook endpoint") }).strict();

export const listWebhooksQuery = z.object({ ...pageParams }).strict();

export const deliveryStatusSchema = z.enum(["pending", "succeeded", "failed"]);

export const webhookDeliverySchema = z
  .object({
    id: z.string(),
    webhook_id: z.string(),
    event_id: z.string(),
    eventType: z.string(),
    status: deliveryStatusSchema.describe("pending (being delivered or waiting for a retry), succeeded (a 2xx answer), failed (given up)"),
    attempts: z.number().int(),
    responseStatus: z.number().int().nullable().describe("HTTP status of the last answer"),
    responseBody: z.string().nullable().describe("The start of the last answer's body (at most 2048 characters)"),
    error: z.string().nullable().describe("Why the last attempt got no answer (timeout, connection refused, non-public address, …)"),
    lastAttempt: apiDate.nullable(),
    nextAttempt: apiDate.nullable(),
    delivered: apiDate.nullable(),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "WebhookDelivery" });

export const listDeliveriesQuery = z
  .object({
    ...pageParams,
    "filter[status]": csv(deliveryStatusSchema).optional(),
    "filter[event_id]": csv(z.string().min(1).max(100)).optional(),
  })
  .strict();

export type CreateWebhookInput = z.infer<typeof createWebhookBody>;
export type UpdateWebhookInput = z.infer<typeof updateWebhookBody>;
export type ListDeliveriesQuery = z.infer<typeof listDeliveriesQuery>;

export const webhookListSchema = listOf(webhookEndpointSchema);
export const deliveryListSchema = listOf(webhookDeliverySchema);
