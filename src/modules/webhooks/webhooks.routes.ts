import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { requireAuth } from "../../plugins/auth.js";
import {
  createdWebhookEndpointSchema,
  createWebhookBody,
  deliveryListSchema,
  deliveryParams,
  listDeliveriesQuery,
  rotateSecretBody,
  listWebhooksQuery,
  updateWebhookBody,
  webhookEndpointSchema,
  webhookDeliverySchema,
  webhookListSchema,
  webhookParams,
} from "./webhooks.schemas.js";
import { toWebhookDeliveryResponse, toWebhookEndpointResponse, type WebhooksService } from "./webhooks.service.js";

const tags = ["Webhooks"];
// Endpoints hold signing secrets and receive every object of the platform: owners (or the key) only.
const owner = { auth: { role: "owner" } } as const;

export const webhooksRoutes: FastifyPluginAsyncZod<{ webhooks: WebhooksService }> = async (app, { webhooks }) => {
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

  app.get(
    "/webhooks/:id/deliveries",
    {
      schema: {
        operationId: "listWebhookDeliveries",
        tags,
        summary: "List an endpoint's deliveries, newest first",
        params: webhookParams,
        querystring: listDeliveriesQuery,
        response: { 200: deliveryListSchema, ...errors(400, 401, 403, 404) },
      },
      config: owner,
    },
    async (request) => {
      const page = await webhooks.deliveries(requireAuth(request), request.params.id, request.query);
      return { data: page.data.map(toWebhookDeliveryResponse), meta: page.meta };
    },
  );

  app.post(
    "/webhooks/:id/test",
    {
      schema: {
        operationId: "sendTestWebhook",
        tags,
        summary: "Send the endpoint a test event (webhook_endpoint.test), whatever it subscribes to",
        description: "Answers the delivery, pending; follow it in the endpoint's deliveries. It goes out after those already queued for the endpoint.",
        params: webhookParams,
        body: noBody,
        response: { 201: webhookDeliverySchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: owner,
    },
    async (request, reply) => reply.code(201).send(toWebhookDeliveryResponse(await webhooks.sendTest(requireAuth(request), request.params.id))),
  );

  app.post(
    "/webhooks/:id/deliveries/:delivery_id/resend",
    {
      schema: {
        operationId: "resendWebhookDelivery",
        tags,
        summary: "Send a delivery that succeeded or failed again",
        description: "The delivery is pending again, ahead of the endpoint's later ones; its attempts count from 0 and its 3 days of retries from now.",
        params: deliveryParams,
        body: noBody,
        response: { 200: webhookDeliverySchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: owner,
    },
    async (request) => toWebhookDeliveryResponse(await webhooks.resend(requireAuth(request), request.params.id, request.params.delivery_id)),
  );

  app.post(
    "/webhooks/:id/rotate_secret",
    {
      schema: {
        operationId: "rotateWebhookSecret",
        tags,
        summary: "Rotate the endpoint's signing secret; the new one is shown only in this answer",
        description:
          "The old secret keeps signing beside the new one for `expires_in` seconds (default 24 hours): `Candle-Signature` then carries two `v1=` signatures, and a receiver that knows either secret verifies.",
        params: webhookParams,
        body: rotateSecretBody,
        response: { 200: createdWebhookEndpointSchema, ...errors(400, 401, 403, 404) },
      },
      config: owner,
    },
    async (request) => {
      const { endpoint, secret } = await webhooks.rotateSecret(requireAuth(request), request.params.id, request.body ?? {});
      return { ...toWebhookEndpointResponse(endpoint), secret };
    },
  );
};
