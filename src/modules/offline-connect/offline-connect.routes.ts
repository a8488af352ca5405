import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import type { OfflinePaymentsGateway } from "../../adapters/payments/offline.js";
import { NotFoundError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";

/**
 * What Stripe does in the seller's and buyer's browser, as the offline simulator plays it. Only
 * registered when the payments gateway is offline; hidden from the API docs.
 *
 * - Hosted Connect onboarding: the account link (`createAccountLink`) points here with a
 *   single-use token; visiting it enables the account — charges, details, a payout schedule and a
 *   test bank account — and sends the seller on to the link's `returnUrl`, as Stripe would after a
 *   completed onboarding. An unknown, spent or expired token is a 404. Then `onboarded` runs, as
 *   Stripe's `account.updated` webhook would: the seller's user row follows the account at once.
 * - Stripe.js's `confirmCardSetup`: a SetupIntent's client secret and a test payment method
 *   (`pm_card_visa` …) save the card on the intent's customer, and the intent succeeds.
 * - What Stripe does days later: a `pending` refund (of a `pm_card_refundPending` charge) ends
 *   `succeeded` or `failed`, and the `refund.updated` event Stripe would send goes through the
 *   Stripe webhook endpoint's own path (`deliver`: signature, re-read, effects). Likewise the
 *   bank's decision on a dispute (a charge on `pm_card_createDispute` is disputed at once):
 *   `charge.dispute.closed`, won or lost.
 */
export const offlineConnectRoutes: FastifyPluginAsyncZod<{
  gateway: Pick<OfflinePaymentsGateway, "completeOnboarding" | "confirmSetupIntent" | "finishRefund" | "finishDispute" | "runScheduledPayouts" | "finishPayout">;
  onboarded: (accountId: string) => Promise<void>;
  /** The Stripe webhook endpoint's handling of one delivery (the stripe-webhooks service's `receive`). */
  deliver: (input: { rawBody: Buffer; signature: string }) => Promise<{ id: string; type: string; status: string }>;
}> = async (app, { gateway, onboarded, deliver }) => {
  app.get(
    "/offline/connect/onboard/:accountId",
    {
      schema: {
        operationId: "offlineConnectOnboard",
        tags: ["Offline payments"],
        summary: "Complete a simulated Connect onboarding and return to the platform (offline payments only)",
        // A page for browsers in development, not part of the API.
        hide: true,
        params: z.object({ accountId: z.string().max(255) }),
        querystring: z.object({ token: z.string().optional() }),
        response: errors(404),
      },
      // The simulator plays Stripe, whose accounts are matched to platforms after the fact (docs/tenancy.md).
      config: { auth: "public", tenant: "system" },
    },
    async (request, reply) => {
      const { token } = request.query;
      const done = token ? await gateway.completeOnboarding({ accountId: request.params.accountId, token }) : null;
      reply.header("cache-control", "no-store");
      if (!done) throw new NotFoundError("onboarding link", undefined, "token");
      await onboarded(request.params.accountId);
      return reply.redirect(done.returnUrl, 302);
    },
  );

  app.post(
    "/offline/setup_intents/:setupIntentId/confirm",
    {
      schema: {
        operationId: "offlineConfirmSetupIntent",
        tags: ["Offline payments"],
        summary: "Confirm a SetupIntent with a test payment method, as Stripe.js would (offline payments only)",
        hide: true,
        params: z.object({ setupIntentId: z.string().max(255) }),
        body: z.object({ client_secret: z.string().min(1).max(255), payment_method: z.string().min(1).max(255) }).strict(),
        response: {
          200: z.object({ id: z.string(), object: z.literal("setup_intent"), status: z.string(), customer: z.string().nullable(), payment_method: z.string().nullable() }),
          ...errors(400, 404),
        },
      },
      config: { auth: "public" },
    },
    async (request) => {
      const { client_secret, payment_method } = request.body;
      const intent = await gateway.confirmSetupIntent({ setupIntentId: request.params.setupIntentId, clientSecret: client_secret, paymentMethod: payment_method });
      if (!intent) throw new NotFoundError("setup intent", undefined, "client_secret");
      return { id: intent.id, object: "setup_intent" as const, status: intent.status, customer: intent.customerId, payment_method: intent.paymentMethodId };
    },
  );

  app.post(
    "/offline/refunds/:refundId/finish",
    {
      schema: {
        operationId: "offlineFinishRefund",
        tags: ["Offline payments"],
        summary: "End a pending refund as Stripe would, and deliver its webhook (offline payments only)",
        hide: true,
        params: z.object({ refundId: z.string().max(255) }),
        body: z.object({ outcome: z.enum(["succeeded", "failed"]) }).strict(),
        response: {
          200: z.object({ id: z.string(), object: z.literal("refund"), status: z.string(), event: z.object({ id: z.string(), type: z.string(), status: z.string() }) }),
          ...errors(400, 404),
        },
      },
      // Like Stripe's test-mode dashboard: whoever holds the refund's id (`re_…`, unguessable; the
      // platform reads it as the transaction's `stripeRefundId`). Refunds are matched to platforms after the fact.
      config: { auth: "public", tenant: "system" },
    },
    async (request) => {
      const { outcome } = request.body;
      const event = await gateway.finishRefund({ refundId: request.params.refundId, outcome });
      if (!event) throw new NotFoundError("pending refund", request.params.refundId, "refundId");
      const receipt = await deliver({ rawBody: Buffer.from(event.rawBody), signature: event.signature });
      return { id: request.params.refundId, object: "refund" as const, status: outcome, event: receipt };
    },
  );

  app.post(
    "/offline/payouts/run",
    {
      schema: {
        operationId: "offlineRunScheduledPayouts",
        tags: ["Offline payments"],
        summary: "Play Stripe's day of automatic payouts, and deliver their webhooks (offline payments only)",
        hide: true,
        body: z.object({}).strict().nullish(),
        response: {
          200: z.object({
            data: z.array(
              z.object({
                id: z.string(),
                account: z.string(),
                amount: z.number(),
                currency: z.string(),
                event: z.object({ id: z.string(), type: z.string(), status: z.string() }),
              }),
            ),
          }),
        },
      },
      // What Stripe does each day on its own (the `run-simulated-payouts` job does it daily too);
      // it only moves the simulator's balances as their accounts' schedules say.
      config: { auth: "public", tenant: "system" },
    },
    async () => {
      const made = await gateway.runScheduledPayouts();
      const data = [];
      for (const { payout, event } of made) {
        const receipt = await deliver({ rawBody: Buffer.from(event.rawBody), signature: event.signature });
        data.push({ id: payout.id, account: payout.accountId, amount: payout.amount, currency: payout.currency, event: receipt });
      }
      return { data };
    },
  );

  app.post(
    "/offline/payouts/:payoutId/finish",
    {
      schema: {
        operationId: "offlineFinishPayout",
        tags: ["Offline payments"],
        summary: "End a pending payout as the bank would, and deliver its webhook (offline payments only)",
        hide: true,
        params: z.object({ payoutId: z.string().max(255) }),
        body: z.object({ outcome: z.enum(["paid", "failed"]) }).strict(),
        response: {
          200: z.object({ id: z.string(), object: z.literal("payout"), status: z.string(), event: z.object({ id: z.string(), type: z.string(), status: z.string() }) }),
          ...errors(400, 404),
        },
      },
      // Like the refunds' hook: whoever holds the payout's Stripe id (`po_…`, unguessable).
      config: { auth: "public", tenant: "system" },
    },
    async (request) => {
      const { outcome } = request.body;
      const event = await gateway.finishPayout({ payoutId: request.params.payoutId, outcome });
      if (!event) throw new NotFoundError("pending payout", request.params.payoutId, "payoutId");
      const receipt = await deliver({ rawBody: Buffer.from(event.rawBody), signature: event.signature });
      return { id: request.params.payoutId, object: "payout" as const, status: outcome, event: receipt };
    },
  );

  app.post(
    "/offline/disputes/:disputeId/close",
    {
      schema: {
        operationId: "offlineCloseDispute",
        tags: ["Offline payments"],
        summary: "Close an open dispute as the bank decided, and deliver its webhook (offline payments only)",
        hide: true,
        params: z.object({ disputeId: z.string().max(255) }),
        body: z.object({ outcome: z.enum(["won", "lost"]) }).strict(),
        response: {
          200: z.object({ id: z.string(), object: z.literal("dispute"), status: z.string(), event: z.object({ id: z.string(), type: z.string(), status: z.string() }) }),
          ...errors(400, 404),
        },
      },
      // Whoever holds the dispute's id (`dp_…`, unguessable; the platform reads it on the `dispute` rows and the webhook). As above.
      config: { auth: "public", tenant: "system" },
    },
    async (request) => {
      const { outcome } = request.body;
      const event = await gateway.finishDispute({ disputeId: request.params.disputeId, outcome });
      if (!event) throw new NotFoundError("open dispute", request.params.disputeId, "disputeId");
      const receipt = await deliver({ rawBody: Buffer.from(event.rawBody), signature: event.signature });
      return { id: request.params.disputeId, object: "dispute" as const, status: outcome, event: receipt };
    },
  );
};
