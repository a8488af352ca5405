import type { FastifyBaseLogger } from "fastify";
import type { PaymentsGateway } from "../../adapters/payments/gateway.js";
import type { Db } from "../../db/client.js";
import type { Tx } from "../../db/tenant.js";
import type { PaymentIntentOutcome, Subscription, SubscriptionCharge } from "../../generated/prisma/client.js";
import type { LeaseHolder } from "../../lib/lease-holder.js";
import type { Clock } from "../../lib/time.js";
import { assertChargeable, claim } from "./billing/attempt.js";
import { execute } from "./billing/execute.js";
import { onPaymentOutcome } from "./billing/payment-outcome.js";
import type { BillingContext, Plan, RenewSubscriptionJob } from "./billing/plan.js";
import { planRecovery } from "./billing/recovery.js";
import { bringUpToDate, resumeAfterRestart, resumeOrphans, sweep } from "./billing/renew.js";
import { openPeriod } from "./subscriptions.repo.js";

export { storedTerms, transferGroupOf, chargeKey, transferKey, type Plan, type RenewSubscriptionJob, type StoredTerms } from "./billing/plan.js";
export { lockSubscription } from "./subscriptions.repo.js";

/**
 * Charging subscriptions: the first cycle (in the subscribe request) and every renewal (in jobs).
 *
 * Each billed period is a `subscription_charges` row — unique per (subscription, period) and per
 * transfer group `<subscription id>:<period start>` — and is settled by the settlement engine that
 * settles contracts (the settlement module's `runSettlement`): a lease on the row (one charger at a
 * time, taken over when it lapses), the charge with the idempotency key `<transfer group>` (attempt 0) or
 * `<transfer group>:attempt:<n>` (n counts declines), a transfer per seller
 * (`<transfer group>:seller:<user id>:transfer`), the `incoming`, `outgoing` and `fee:*`
 * transactions through `recordSettlementTransactions`, and a check that the books balance. So two
 * workers, two nodes or a retried job charge a period once: the row's lease and unique keys stop a
 * second charger before the gateway, and the idempotency key makes a repeated call answer the first
 * result.
 *
 * What a charge pays is fixed when the subscription starts (`terms`, src/domain/fees/subscription.ts):
 * the subscriber's `price` split over the contract's sellers and fees in proportion.
 *
 * Scheduling: a crontab sweep (`renew-subscriptions`, every minute) finds subscriptions whose
 * `nextAttemptAt` has come (a renewal, a retry, an unfinished charge whose lease lapsed) or whose
 * `pausedUntil` has passed, and queues one `renew-subscription` job per subscription (keyed by its
 * id). The job brings the subscription up to date: resumes it at `pausedUntil`, skips the cycles that
 * fall due while paused, charges the ones due otherwise — one period at a time, each in its own
 * settlement. Declines are retried after `SUBSCRIPTION_RETRY_SCHEDULE` (1 h, 6 h, 24 h); when the
 * last retry fails the subscription is past due and its buyer is emailed.
 *
 * One operation a file, under billing/: `attempt.ts` (what an attempt needs, the lease and plan),
 * `execute.ts` (a plan through the engine), `outcomes.ts` (declines, charges, failed attempts),
 * `renew.ts` (the job and the sweep), `recovery.ts` (a past-due subscriber's resume),
 * `payment-outcome.ts` (the Stripe webhook).
 */
export function createSubscriptionBilling(deps: {
  db: Db;
  payments: Pick<PaymentsGateway, "createPaymentIntent" | "createTransfer">;
  clock: Clock;
  leaseSeconds: number;
  leases: LeaseHolder;
  /** Seconds before each retry of a declined renewal. */
  retrySchedule: readonly number[];
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
}) {
  const ctx: BillingContext = {
    db: deps.db,
    payments: deps.payments,
    clock: deps.clock,
    leaseMs: deps.leaseSeconds * 1000,
    leases: deps.leases,
    retrySchedule: deps.retrySchedule,
    log: deps.log,
  };
  return {
    assertChargeable: (tx: Tx, sub: Parameters<typeof assertChargeable>[1]) => assertChargeable(tx, sub),
    claim: (tx: Tx, sub: Subscription, row: SubscriptionCharge, newAttempt: { customerId: string; paymentMethodId: string } | null, requestId: string | null) =>
      claim(ctx, tx, sub, row, newAttempt, requestId),
    openPeriod: (tx: Tx, sub: Subscription, period: number) => openPeriod(tx, sub, period),
    execute: (plan: Plan) => execute(ctx, plan),
    bringUpToDate: (job: RenewSubscriptionJob) => bringUpToDate(ctx, job),
    sweep: () => sweep(ctx),
    /** At boot (in the system scope): resumes now the periods this node's earlier boots were charging. */
    resumeAfterRestart: () => resumeAfterRestart(ctx),
    resumeOrphans: () => resumeOrphans(ctx),
    planRecovery: (tx: Tx, sub: Subscription, requestId: string) => planRecovery(ctx, tx, sub, requestId),
    onPaymentOutcome: (outcome: PaymentIntentOutcome, tx: Tx) => onPaymentOutcome(ctx, outcome, tx),
  };
}

export type SubscriptionBilling = ReturnType<typeof createSubscriptionBilling>;
