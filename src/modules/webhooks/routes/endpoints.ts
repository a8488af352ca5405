import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import {
  createdWebhookEndpointSchema,
  createWebhookBody,
  listWebhooksQuery,
  updateWebhookBody,
  webhookEndpointSchema,
  webhookListSchema,
  webhookParams,
} from "../webhooks.schemas.js";
import { toWebhookEndpointResponse } from "../webhooks.service.js";
import { tags, owner, type WebhooksApp, type WebhooksRoutesDeps } from "./shared.js";

/** Webhook endpoints: create, list, retrieve, modify, delete. */
export function endpointRoutes(app: WebhooksApp, { webhooks }: WebhooksRoutesDeps): void {
  app.post(
    "/webhooks",
    {
      schema: {
        operationId: "createWebhook",
        tags,
        summary: "Create a webhook endpoint; its signing secret is shown only in this answer",
        description: "The URL must be http(s) and reach the public internet (no private, loopback or link-local addresses).",
        body: createWebhookBody,
        response: { 201: createdWebhookEndpointSchema, ...errors(400, 401, 403, 422) },
      },
      config: owner,
    },
    async (request, reply) => {
      const { endpoint, secret } = await webhooks.create(requireAuth(request), request.body);
      return reply.code(201).send({ ...toWebhookEndpointResponse(endpoint), secret });
    },
  );

  app.get(
    "/webhooks",
    {
      schema: {
        operationId: "listWebhooks",
        tags,
        summary: "List webhook endpoints",
        querystring: listWebhooksQuery,
        response: { 200: webhookListSchema, ...errors(400, 401, 403) },
      },
      config: owner,
    },
    async (request) => {
      const page = await webhooks.list(requireAuth(request), request.query);
      return { data: page.data.map(toWebhookEndpointResponse), meta: page.meta };
    },
  );

  app.get(
    "/webhooks/:id",
    {
      schema: {
        operationId: "retrieveWebhook",
        tags,
        summary: "Retrieve a webhook endpoint",
        params: webhookParams,
        response: { 200: webhookEndpointSchema, ...errors(401, 403, 404) },
      },
      config: owner,
    },
    async (request) => toWebhookEndpointResponse(await webhooks.retrieve(requireAuth(request), request.params.id)),
  );

  app.put(
    "/webhooks/:id",
    {
      schema: {
        operationId: "modifyWebhook",
        tags,
        summary: "Modify a webhook endpoint (url, events, description, name, isEnabled)",
        params: webhookParams,
        body: updateWebhookBody,
        response: { 200: webhookEndpointSchema, ...errors(400, 401, 403, 404) },
      },
      config: owner,
    },
    async (request) => toWebhookEndpointResponse(await webhooks.update(requireAuth(request), request.params.id, request.body)),
  );

  app.delete(
    "/webhooks/:id",
    {
      schema: {
        operationId: "deleteWebhook",
        tags,
        summary: "Delete a webhook endpoint and its deliveries (answers it as it was)",
        params: webhookParams,
        response: { 200: webhookEndpointSchema, ...errors(401, 403, 404) },
      },
      config: owner,
    },
    async (request) => toWebhookEndpointResponse(await webhooks.remove(requireAuth(request), request.params.id)),
  );
}
