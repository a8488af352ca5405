import type { FastifyBaseLogger } from "fastify";
import { PaymentsRequestError } from "../../adapters/payments/errors.js";
import type { Dispute, Metadata, PaymentIntent, PaymentsGateway, Payout, Refund, WebhookEvent } from "../../adapters/payments/gateway.js";
import type { Db, Prisma } from "../../db/client.js";
import type { PaymentIntentOutcome } from "../../generated/prisma/client.js";
import type { Clock } from "../../lib/time.js";
import type { BankAccountsService } from "../bank-accounts/index.js";
import type { PaymentMethodsService } from "../payment-methods/index.js";
import { payingUser } from "../users/index.js";

/**
 * `POST /v1/webhooks/stripe`: Stripe tells us something changed; we check that it was Stripe
 * (the signature), re-read the object from the gateway rather than trust the payload (a forged or
 * stale one changes nothing), and bring our rows in line with it.
 *
 * Each event is acted on once: its id is written to `stripe_events` in the same transaction as its
 * effects. Of two deliveries racing, the second's insert waits for the first's transaction and then
 * finds the row (a duplicate); a delivery whose processing failed leaves no row, answers 5xx, and
 * Stripe's retry processes it. Since we always act on the object as it is now, events arriving out
 * of order do no harm.
 *
 * The events of what an effect changes (`bank_account.updated`, `payment_method.*`, and whatever
 * the payment outcome handlers record, e.g. `transaction.created`) are recorded by the services
 * doing it, in this same transaction: they exist exactly when the Stripe event counts as handled.
 */

/**
 * The extension point for contract settlement: called, inside the webhook's transaction, with the
 * recorded state of a PaymentIntent each time Stripe reports it succeeded, failed, or was authorised
 * (a manual-capture intent in `requires_capture`). Settlement
 * finds its own records through `outcome.metadata` (the ids it put on the intent) and
 * `outcome.chargeId`, and updates them in `tx`, so they commit together with the event.
 */
export type PaymentOutcomeHandler = (outcome: PaymentIntentOutcome, tx: Prisma.TransactionClient) => Promise<void>;

/**
 * Refunds' extension point: called, inside the webhook's transaction, with a refund as re-read
 * from Stripe each time Stripe reports it changed. May answer work to do once the event committed
 * (gateway calls, which never run inside a database transaction).
 */
export type RefundOutcomeHandler = (refund: Refund, tx: Prisma.TransactionClient) => Promise<(() => Promise<void>) | undefined | void>;

/**
 * Disputes' extension point: called, inside the webhook's transaction, with a dispute as re-read
 * from Stripe and the metadata of its payment intent (our ids), each time Stripe reports it opened,
 * changed or closed. May answer work to do once the event committed.
 */
export type DisputeHandler = (dispute: Dispute, intentMetadata: Metadata | null, tx: Prisma.TransactionClient) => Promise<(() => Promise<void>) | undefined | void>;

/** Payouts' extension point: called, inside the webhook's transaction, with a connected account's payout as re-read from Stripe. */
export type PayoutHandler = (payout: Payout, tx: Prisma.TransactionClient) => Promise<void>;

export type WebhookStatus = "processed" | "ignored" | "duplicate";

type Gateway = Pick<
  PaymentsGateway,
  "verifyWebhook" | "retrieveAccount" | "retrievePaymentMethod" | "retrieveSetupIntent" | "retrievePaymentIntent" | "retrieveRefund" | "retrieveDispute" | "retrievePayout"
>;

/** What an event does, once its object was re-read: the database part, and what to do after it committed. */
interface Effect {
  apply(tx: Prisma.TransactionClient): Promise<(() => Promise<void>) | void>;
}

/** Kept well beyond Stripe's 3 days of retries. */
export const STRIPE_EVENT_RETENTION_DAYS = 30;

export const HANDLED_EVENT_TYPES = [
  "account.updated",
  "payment_method.attached",
  "payment_method.detached",
  "payment_method.updated",
  "setup_intent.succeeded",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "payment_intent.amount_capturable_updated",
  "refund.updated",
  "refund.failed",
  "charge.refund.updated",
  "charge.dispute.created",
  "charge.dispute.updated",
  "charge.dispute.closed",
  "payout.created",
  "payout.updated",
  "payout.paid",
  "payout.failed",
  "payout.canceled",
] as const;

export function createStripeWebhooksService(deps: {
  db: Db;
  payments: Gateway;
  bankAccounts: Pick<BankAccountsService, "recordAccount">;
  paymentMethods: Pick<PaymentMethodsService, "reconcile" | "pushDefaults">;
  onPaymentOutcome?: readonly PaymentOutcomeHandler[];
  onRefundOutcome?: readonly RefundOutcomeHandler[];
  onDispute?: readonly DisputeHandler[];
  onPayout?: readonly PayoutHandler[];
  /**
   * Whether the gateway works on Stripe's live data. A Connect endpoint receives both live and test
   * events; the other mode's objects are not ours to act on.
   */
  livemode: boolean;
  clock: Clock;
  log: Pick<FastifyBaseLogger, "info">;
}) {
  const { db, payments, bankAccounts, paymentMethods, livemode, clock, log } = deps;
  const outcomeHandlers = deps.onPaymentOutcome ?? [];
  const refundHandlers = deps.onRefundOutcome ?? [];
  const disputeHandlers = deps.onDispute ?? [];
  const payoutHandlers = deps.onPayout ?? [];

  /** A connected account's payout (the event names the account: payouts are read on it); a platform payout of our own is not a seller's. */
  async function payoutEffect(event: WebhookEvent & { objectId: string }): Promise<Effect | null> {
    if (!event.account) return null;
    const payout = await payments.retrievePayout({ accountId: event.account, payoutId: event.objectId });
    return {
      async apply(tx) {
        for (const handler of payoutHandlers) await handler(payout, tx);
      },
    };
  }

  async function disputeEffect(disputeId: string): Promise<Effect> {
    const dispute = await payments.retrieveDispute(disputeId);
    const intent = dispute.paymentIntentId ? await payments.retrievePaymentIntent(dispute.paymentIntentId) : null;
    return {
      async apply(tx) {
        const after: (() => Promise<void>)[] = [];
        for (const handler of disputeHandlers) {
          const then = await handler(dispute, intent?.metadata ?? null, tx);
          if (then) after.push(then);
        }
        if (after.length > 0) return async () => void (await Promise.all(after.map((then) => then())));
      },
    };
  }

  async function refundEffect(refundId: string): Promise<Effect> {
    const refund = await payments.retrieveRefund(refundId);
    return {
      async apply(tx) {
        const after: (() => Promise<void>)[] = [];
        for (const handler of refundHandlers) {
          const then = await handler(refund, tx);
          if (then) after.push(then);
        }
        if (after.length > 0) return async () => void (await Promise.all(after.map((then) => then())));
      },
    };
  }

  async function paymentMethodEffect(paymentMethodId: string): Promise<Effect> {
    const pm = await payments.retrievePaymentMethod(paymentMethodId);
    return {
      async apply(tx) {
        const changed = await paymentMethods.reconcile(tx, pm);
        if (changed.length > 0) return () => paymentMethods.pushDefaults(changed);
      },
    };
  }

  async function paymentIntentEffect(paymentIntentId: string, livemode: boolean): Promise<Effect> {
    const intent = await payments.retrievePaymentIntent(paymentIntentId);
    return {
      async apply(tx) {
        const owner = await buyerOf(tx, intent);
        const data = {
          platformId: owner?.platformId ?? null,
          mode: owner?.mode ?? null,
          userId: owner?.id ?? null,
          customerId: intent.customerId,
          paymentMethodId: intent.paymentMethodId,
          chargeId: intent.chargeId,
          status: intent.status,
          amount: intent.amount,
          currency: intent.currency,
          errorCode: intent.lastPaymentError?.code ?? null,
          declineCode: intent.lastPaymentError?.declineCode ?? null,
          errorMessage: intent.lastPaymentError?.message ?? null,
          metadata: intent.metadata,
          livemode,
        };
        const outcome = await tx.paymentIntentOutcome.upsert({ where: { id: intent.id }, create: { id: intent.id, ...data }, update: data });
        for (const handler of outcomeHandlers) await handler(outcome, tx);
      },
    };
  }

  /** The re-read of each event type we act on; null when there is nothing to do. */
  const handlers: Record<(typeof HANDLED_EVENT_TYPES)[number], (event: WebhookEvent & { objectId: string }) => Promise<Effect | null>> = {
    "account.updated": async ({ objectId }) => {
      const account = await payments.retrieveAccount(objectId);
      return { apply: (tx) => bankAccounts.recordAccount(tx, account) };
    },
    "payment_method.attached": ({ objectId }) => paymentMethodEffect(objectId),
    "payment_method.detached": ({ objectId }) => paymentMethodEffect(objectId),
    "payment_method.updated": ({ objectId }) => paymentMethodEffect(objectId),
    "setup_intent.succeeded": async ({ objectId }) => {
      const intent = await payments.retrieveSetupIntent(objectId);
      if (intent.status !== "succeeded" || !intent.paymentMethodId) return null;
      return paymentMethodEffect(intent.paymentMethodId);
    },
    "payment_intent.succeeded": ({ objectId, livemode }) => paymentIntentEffect(objectId, livemode),
    "payment_intent.payment_failed": ({ objectId, livemode }) => paymentIntentEffect(objectId, livemode),
    // A manual-capture intent authorised after its holder authenticated it (3-D Secure): `requires_capture`.
    "payment_intent.amount_capturable_updated": ({ objectId, livemode }) => paymentIntentEffect(objectId, livemode),
    // Each carries the refund (`re_…`): `charge.refund.updated` is the older API versions' name of `refund.updated`.
    "refund.updated": ({ objectId }) => refundEffect(objectId),
    "refund.failed": ({ objectId }) => refundEffect(objectId),
    "charge.refund.updated": ({ objectId }) => refundEffect(objectId),
    "charge.dispute.created": ({ objectId }) => disputeEffect(objectId),
    "charge.dispute.updated": ({ objectId }) => disputeEffect(objectId),
    "charge.dispute.closed": ({ objectId }) => disputeEffect(objectId),
    "payout.created": payoutEffect,
    "payout.updated": payoutEffect,
    "payout.paid": payoutEffect,
    "payout.failed": payoutEffect,
    "payout.canceled": payoutEffect,
  };

  function isHandled(type: string): type is keyof typeof handlers {
    return Object.hasOwn(handlers, type);
  }

  return {
    /** Verifies, de-duplicates and acts on one delivery. Throws (4xx/5xx) only when Stripe should not, or should retry. */
    async receive(input: { rawBody: Buffer; signature: string }): Promise<{ id: string; type: string; status: WebhookStatus }> {
      const event = await payments.verifyWebhook(input.rawBody, input.signature);
      const answer = (status: WebhookStatus) => ({ id: event.id, type: event.type, status });
      if (await db.stripeEvent.findUnique({ where: { id: event.id }, select: { id: true } })) return answer("duplicate");

      let effect: Effect | null = null;
      if (event.livemode !== livemode) {
        log.info({ stripeEvent: event.id, livemode: event.livemode }, "webhook for the other Stripe mode; ignored");
      } else if (isHandled(event.type) && event.objectId) {
        try {
          effect = await handlers[event.type]({ ...event, objectId: event.objectId });
        } catch (err) {
          // The object is gone at Stripe (or never was ours to read): nothing to act on. Anything else
          // (Stripe unreachable) fails the delivery, and Stripe retries it.
          if (!(err instanceof PaymentsRequestError && err.status === 404)) throw err;
          log.info({ stripeEvent: event.id, objectId: event.objectId }, "webhook object no longer exists at the gateway; ignored");
        }
      }

      const result = await db.$transaction(async (tx) => {
        const claimed = await tx.stripeEvent.createMany({
          data: [{ id: event.id, type: event.type, objectId: event.objectId, livemode: event.livemode, outcome: effect ? "processed" : "ignored", received: clock.now() }],
          skipDuplicates: true,
        });
        if (claimed.count === 0) return { status: "duplicate" as const };
        const after = effect ? await effect.apply(tx) : undefined;
        return { status: effect ? ("processed" as const) : ("ignored" as const), after };
      });
      if ("after" in result && result.after) await result.after();
      return answer(result.status);
    },

    /** Forgets events older than the retention; Stripe stops retrying after 3 days. */
    async sweep(now: Date): Promise<number> {
      const { count } = await db.stripeEvent.deleteMany({ where: { received: { lt: new Date(now.getTime() - STRIPE_EVENT_RETENTION_DAYS * 86_400_000) } } });
      return count;
    },
  };

  /** The buyer of a PaymentIntent: the user named in its metadata, else the user of its customer. */
  async function buyerOf(tx: Prisma.TransactionClient, intent: PaymentIntent) {
    return payingUser(tx, { userId: intent.metadata.user_id, platformId: intent.metadata.platform_id, customerId: intent.customerId });
  }
}

export type StripeWebhooksService = ReturnType<typeof createStripeWebhooksService>;
