import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../lib/route.js";
import { HANDLED_EVENT_TYPES, type StripeWebhooksService } from "./stripe-webhooks.service.js";

const receiptSchema = z
  .object({
    received: z.literal(true),
    id: z.string().describe("The Stripe event (`evt_…`)"),
    type: z.string(),
    status: z
      .enum(["processed", "ignored", "duplicate"])
      .describe("`processed`; `ignored` for an event type we do not act on or an object Stripe no longer has; `duplicate` for an event already handled"),
  })
  .meta({ id: "StripeWebhookReceipt" });

/**
 * Stripe's webhook endpoint. Not wrapped in fastify-plugin on purpose: the raw-body parser below
 * stays inside this plugin, since Stripe signs the exact bytes it sends and parsing them as JSON
 * first would lose them.
 */
export const stripeWebhooksRoutes: FastifyPluginAsyncZod<{ webhooks: StripeWebhooksService }> = async (app, { webhooks }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

  app.post(
    "/webhooks/stripe",
    {
      schema: {
        operationId: "receiveStripeWebhook",
        tags: ["Webhooks"],
        summary: "Receive a Stripe webhook event",
        description:
          "For Stripe only: point Stripe's webhook endpoints here (your account's, and a Connect one for `account.updated`), with `STRIPE_WEBHOOK_SECRET` listing their signing secrets. " +
          "The `Stripe-Signature` header is verified (400 when it does not match or is more than 5 minutes old); each event is acted on once; " +
          "its object is re-read from Stripe before anything changes. Acted on: " +
          HANDLED_EVENT_TYPES.map((t) => `\`${t}\``).join(", ") +
          "; other types, and events of the other Stripe mode (live / test), are answered 200 and ignored. A 5xx (Stripe unreachable while re-reading) makes Stripe retry.",
        response: { 200: receiptSchema, ...errors(400, 502, 503, 504) },
      },
      // Public, and not rate limited: Stripe's retries must get through; the signature is what authenticates.
      // Events are matched to platforms by their Stripe account and objects: cross-tenant (docs/tenancy.md).
      config: { auth: "public", rateLimit: false, tenant: "system" },
    },
    async (request) => {
      const signature = request.headers["stripe-signature"];
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const receipt = await webhooks.receive({ rawBody, signature: typeof signature === "string" ? signature : "" });
      return { received: true as const, ...receipt };
    },
  );
};
