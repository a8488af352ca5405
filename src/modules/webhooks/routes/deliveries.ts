import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireAuth } from "../../../plugins/auth.js";
import {
  createdWebhookEndpointSchema,
  deliveryListSchema,
  deliveryParams,
  listDeliveriesQuery,
  rotateSecretBody,
  webhookDeliverySchema,
  webhookParams,
} from "../webhooks.schemas.js";
import { toWebhookDeliveryResponse, toWebhookEndpointResponse } from "../webhooks.service.js";
import { tags, owner, type WebhooksApp, type WebhooksRoutesDeps } from "./shared.js";

/** An endpoint's deliveries, test events, resends and secret rotation. */
export function deliveryRoutes(app: WebhooksApp, { webhooks }: WebhooksRoutesDeps): void {
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
}
