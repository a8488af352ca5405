import type { FastifyBaseLogger } from "fastify";
import { MAXIMUM_AMOUNT, minimumChargeAmount, type PaymentIntent, type PaymentsGateway } from "../../adapters/payments/gateway.js";
import type { PaymentsRequestError } from "../../adapters/payments/errors.js";
import type { Db, Prisma } from "../../db/client.js";
import type { SubscriptionTerms } from "../../domain/fees/index.js";
import { periodAt, periodBoundary } from "../../domain/subscriptions/periods.js";
import type { PaymentIntentOutcome, Subscription, SubscriptionCharge } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { enqueue } from "../../jobs/queue.js";
import { randomBase62 } from "../../lib/crypto.js";
import { AppError, ConflictError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import { runSettlement, type EngineCharge, type EngineTransfer } from "../contracts/settlement.engine.js";
import { recordSettlementTransactions, settlementBooks } from "../transactions/transactions.service.js";
import { pastDueEmail } from "./subscriptions.emails.js";
import { recordSubscriptionEvent, toSubscriptionResponse } from "./subscriptions.view.js";
import type { Tenant, Tx } from "../../db/tenant.js";

export type { Tenant };

/**
 * Charging subscriptions: the first cycle (in the subscribe request) and every renewal (in jobs).
 *
 * Each billed period is a `subscription_charges` row — unique per (subscription, period) and per
 * transfer group `<subscription id>:<period start>` — and is settled by the settlement engine that
 * settles contracts (`contracts/settlement.engine.ts`): a lease on the row (one charger at a time,
 * taken over when it lapses), the charge with the idempotency key `<transfer group>` (attempt 0) or
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
 */

/** `terms` as stored. */
export interface StoredTerms {
  sellers: { user_id: string; amount: number }[];
  fees: { stripe: number; candle: number; platform: number };
}

/** A seller's payout of one billed period, as stored in `subscription_charges.transfers`. */
interface TransferState {
  user_id: string;
  amount: number;
  stripeTransferId: string | null;
  attempts: number;
}

export const storedTerms = (terms: SubscriptionTerms): StoredTerms => ({ sellers: terms.sellers.map((s) => ({ user_id: s.userId, amount: s.amount })), fees: terms.fees });

export const transferGroupOf = (subscriptionId: string, periodStart: Date) => `${subscriptionId}:${toApiDate(periodStart)}`;
export const chargeKey = (transferGroup: string, attempt: number) => (attempt === 0 ? transferGroup : `${transferGroup}:attempt:${attempt}`);
export const transferKey = (transferGroup: string, sellerUserId: string, attempt: number) =>
  attempt === 0 ? `${transferGroup}:seller:${sellerUserId}:transfer` : `${transferGroup}:seller:${sellerUserId}:transfer:attempt:${attempt}`;

export interface RenewSubscriptionJob {
  subscriptionId: string;
  platformId: string;
  mode: Mode;
}

interface Charge extends EngineCharge {
  attempt: number;
}

interface Transfer extends EngineTransfer {
  sellerUserId: string;
  attempt: number;
}

/** One billed period's remaining work, under a lease. */
export interface Plan extends Tenant {
  subscriptionId: string;
  contractId: string;
  userId: string;
  rowId: string;
  period: number;
  transferGroup: string;
  currency: string;
  amount: number;
  leaseId: string;
  requestId: string | null;
  charges: Charge[];
  transfers: Transfer[];
}

/** How long after a lease would lapse the sweep looks again. */
const RESUME_GRACE_MS = 5_000;
/** How many periods one job brings up to date before it leaves the rest to the next sweep. */
const MAX_STEPS_PER_RUN = 50;
/** Subscriptions one sweep queues. */
const SWEEP_BATCH = 500;
/** When a renewal's transfer is refused (its charge kept), the next look. */
const TRANSFER_RETRY_MS = 3_600_000;

const later = (now: Date, ms: number) => new Date(now.getTime() + ms);

/** Locks a subscription's row for the rest of the transaction; every change of it takes turns here. */
export async function lockSubscription(tx: Tx, tenant: Tenant, id: string): Promise<Subscription | null> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM subscriptions WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
  if (rows.length === 0) return null;
  return tx.subscription.findUniqueOrThrow({ where: { id } });
}

async function lockCharge(tx: Tx, id: string): Promise<SubscriptionCharge> {
  await tx.$queryRaw`SELECT id FROM subscription_charges WHERE id = ${id} FOR UPDATE`;
  return tx.subscriptionCharge.findUniqueOrThrow({ where: { id } });
}

/** The period being billed (open): the first one while incomplete, else the one after the current period. */
function openCharge(tx: Tx, sub: Subscription): Promise<SubscriptionCharge | null> {
  return tx.subscriptionCharge.findFirst({ where: { subscriptionId: sub.id, status: "open" }, orderBy: { period: "desc" } });
}

export function createSubscriptionBilling(deps: {
  db: Db;
  payments: Pick<PaymentsGateway, "createPaymentIntent" | "createTransfer">;
  clock: Clock;
  leaseSeconds: number;
  /** Seconds before each retry of a declined renewal. */
  retrySchedule: readonly number[];
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
}) {
  const { db, payments, clock, log, retrySchedule } = deps;
  const leaseMs = deps.leaseSeconds * 1000;

  // ── what an attempt needs ─────────────────────────────────────────────────────────────────────

  /**
   * Everything a new charge attempt needs, checked before the gateway is called: the subscriber's
   * customer and default payment method, a chargeable amount, and a Connect account able to receive
   * transfers for every seller with a share. Returns the reason it cannot start.
   */
  async function attemptInputs(
    tx: Tx,
    sub: Pick<Subscription, "id" | "userId" | "platformId" | "price" | "currency" | "terms">,
  ): Promise<{ ok: true; customerId: string; paymentMethodId: string } | { ok: false; error: AppError }> {
    const terms = sub.terms as unknown as StoredTerms;
    const minimum = minimumChargeAmount(sub.currency) ?? 1;
    if (sub.price < minimum) {
      return { ok: false, error: new UnprocessableError("amount_too_small", `${sub.price}¢ is less than the ${minimum}¢ a card can be charged in ${sub.currency}.`, "price") };
    }
    if (sub.price > MAXIMUM_AMOUNT) return { ok: false, error: new UnprocessableError("amount_too_large", `${sub.price}¢ is more than one charge can take.`, "price") };
    const sellers = terms.sellers.filter((s) => s.amount > 0).map((s) => s.user_id);
    const users = await tx.user.findMany({
      where: { id: { in: [sub.userId, ...sellers] }, platformId: sub.platformId },
      select: { id: true, deleted: true, stripeCustomerId: true, stripeConnectId: true, chargesEnabled: true },
    });
    for (const id of sellers) {
      const u = users.find((x) => x.id === id);
      if (!u?.stripeConnectId || !u.chargesEnabled || u.deleted) {
        return { ok: false, error: new ConflictError("seller_not_ready", `Seller ${id} cannot be paid: their Connect account cannot receive transfers (POST /v1/users/auth/bank_account).`, "sellers") };
      }
    }
    const buyer = users.find((x) => x.id === sub.userId);
    const method = await tx.paymentMethod.findFirst({ where: { userId: sub.userId, isDefault: true }, select: { stripePaymentMethodId: true } });
    if (!buyer?.stripeCustomerId || !method || buyer.deleted) {
      return { ok: false, error: new ConflictError("no_payment_method", `${sub.userId} has no default payment method to charge (POST /v1/users/auth/payment_methods).`, "user_id") };
    }
    return { ok: true, customerId: buyer.stripeCustomerId, paymentMethodId: method.stripePaymentMethodId };
  }

  /** Throws (inside the caller's transaction) when a new attempt cannot start. */
  async function assertChargeable(tx: Tx, sub: Pick<Subscription, "id" | "userId" | "platformId" | "price" | "currency" | "terms">) {
    const inputs = await attemptInputs(tx, sub);
    if (!inputs.ok) throw inputs.error;
    return inputs;
  }

  // ── planning (inside a transaction holding the subscription's lock) ───────────────────────────

  /**
   * Takes the lease on a billed period and plans what is left of it: the charge (a new attempt, or
   * the attempt under way repeated as it was), then the transfers not yet made.
   */
  async function claim(tx: Tx, sub: Subscription, row: SubscriptionCharge, newAttempt: { customerId: string; paymentMethodId: string } | null, requestId: string | null): Promise<Plan | null> {
    const now = clock.now();
    const transfers = row.transfers as unknown as TransferState[];
    const leaseId = randomBase62(24);
    const lockedUntil = later(now, leaseMs);
    const charges: Charge[] = [];
    if (!row.stripePaymentIntentId) {
      let paymentMethodId = row.attemptPaymentMethodId;
      let customerId: string | null;
      if (paymentMethodId === null) {
        if (!newAttempt) return null;
        paymentMethodId = newAttempt.paymentMethodId;
        customerId = newAttempt.customerId;
      } else {
        // The attempt under way is repeated as it was started: the same request under the same key.
        customerId = (await tx.user.findUnique({ where: { id: sub.userId }, select: { stripeCustomerId: true } }))?.stripeCustomerId ?? null;
        if (!customerId) return null;
      }
      charges.push({
        amount: row.amount,
        customerId,
        paymentMethodId,
        attempt: row.attempts,
        idempotencyKey: chargeKey(row.transferGroup, row.attempts),
        metadata: { subscription_id: sub.id, platform_id: sub.platformId, mode: sub.mode, user_id: sub.userId, period: String(row.period), attempt: String(row.attempts) },
      });
    }
    const owed = transfers.filter((t) => t.amount > 0 && !t.stripeTransferId);
    const accounts = await tx.user.findMany({ where: { id: { in: owed.map((t) => t.user_id) }, platformId: sub.platformId }, select: { id: true, stripeConnectId: true } });
    const planned: Transfer[] = [];
    for (const t of owed) {
      const destination = accounts.find((a) => a.id === t.user_id)?.stripeConnectId;
      // A seller who lost their account since: charging still waits for nobody, the transfer for them.
      if (!destination) {
        if (charges.length > 0) continue;
        log.warn({ subscriptionId: sub.id, period: row.period, sellerUserId: t.user_id }, "a renewal's seller has no Connect account: their transfer waits");
        await tx.subscription.update({ where: { id: sub.id }, data: { nextAttemptAt: later(now, TRANSFER_RETRY_MS) } });
        return null;
      }
      planned.push({
        sellerUserId: t.user_id,
        amount: t.amount,
        destination,
        attempt: t.attempts,
        idempotencyKey: transferKey(row.transferGroup, t.user_id, t.attempts),
        metadata: { subscription_id: sub.id, platform_id: sub.platformId, mode: sub.mode, user_id: t.user_id, period: String(row.period) },
      });
    }
    await tx.subscriptionCharge.update({
      where: { id: row.id },
      data: { leaseId, lockedUntil, ...(charges.length > 0 ? { attemptPaymentMethodId: charges[0]!.paymentMethodId, lastAttempt: now } : {}) },
    });
    // Should this charger die, the sweep looks again once the lease lapsed.
    await tx.subscription.update({ where: { id: sub.id }, data: { nextAttemptAt: later(lockedUntil, RESUME_GRACE_MS) } });
    return {
      platformId: sub.platformId,
      mode: sub.mode,
      subscriptionId: sub.id,
      contractId: sub.contractId,
      userId: sub.userId,
      rowId: row.id,
      period: row.period,
      transferGroup: row.transferGroup,
      currency: row.currency,
      amount: row.amount,
      leaseId,
      requestId,
      charges,
      transfers: planned,
    };
  }

  /** The row of a billed period, created with its sellers' payouts from the subscription's terms. */
  async function openPeriod(tx: Tx, sub: Subscription, period: number): Promise<SubscriptionCharge> {
    const start = periodBoundary(sub.startDate, sub.cycle, period);
    const terms = sub.terms as unknown as StoredTerms;
    const transfers: TransferState[] = terms.sellers.filter((s) => s.amount > 0).map((s) => ({ user_id: s.user_id, amount: s.amount, stripeTransferId: null, attempts: 0 }));
    return tx.subscriptionCharge.create({
      data: {
        id: newId("subscriptionCharge"),
        platformId: sub.platformId,
        mode: sub.mode,
        subscriptionId: sub.id,
        period,
        periodStart: start,
        periodEnd: periodBoundary(sub.startDate, sub.cycle, period + 1),
        transferGroup: transferGroupOf(sub.id, start),
        amount: sub.price,
        currency: sub.currency,
        transfers: transfers as unknown as Prisma.InputJsonValue,
      },
    });
  }

  // ── outcomes (each in its own transaction, subscription row first, then the billed period) ────

  /** A definitive failure of a renewal's attempt (or one that could not start): retry later, or past due. */
  async function failedAttempt(tx: Tx, sub: Subscription, failures: number, requestId: string | null): Promise<void> {
    const now = clock.now();
    if (sub.pastDue) {
      // A past-due subscription's own try (its subscriber resumed it) failed: it stays past due.
      await tx.subscription.update({ where: { id: sub.id }, data: { failedAttempts: failures, nextAttemptAt: null } });
      await recordSubscriptionEvent(tx, sub.id, "subscription.renewal_failed", requestId);
      return;
    }
    const delay = retrySchedule[failures - 1];
    if (delay !== undefined) {
      await tx.subscription.update({ where: { id: sub.id }, data: { failedAttempts: failures, nextAttemptAt: later(now, delay * 1000) } });
      await recordSubscriptionEvent(tx, sub.id, "subscription.renewal_failed", requestId);
      return;
    }
    await tx.subscription.update({ where: { id: sub.id }, data: { failedAttempts: failures, pastDue: true, nextAttemptAt: null } });
    // One after the other: a transaction's queries share one connection (pg@9 refuses overlapping ones).
    const user = await tx.user.findUnique({ where: { id: sub.userId }, select: { email: true, deleted: true } });
    const platform = await tx.platform.findUniqueOrThrow({ where: { id: sub.platformId }, select: { name: true, url: true } });
    if (user?.email && !user.deleted) {
      const subscription = toSubscriptionResponse(await tx.subscription.findUniqueOrThrow({ where: { id: sub.id } }));
      await enqueue(tx, "send-email", pastDueEmail({ to: user.email, platformName: platform.name, subscription, attempts: failures, url: platform.url }), { maxAttempts: 10 });
    }
    await recordSubscriptionEvent(tx, sub.id, "subscription.renewal_failed", requestId);
    await recordSubscriptionEvent(tx, sub.id, "subscription.past_due", requestId);
  }

  /**
   * Attempt n of a billed period was declined (once, whoever saw it first). The first cycle's
   * decline takes the subscription away with it; a renewal's is retried or makes it past due.
   */
  async function recordDecline(tx: Tx, sub: Subscription, rowId: string, attempt: number, requestId: string | null): Promise<void> {
    const ended = await tx.subscriptionCharge.updateMany({
      where: { id: rowId, status: "open", attempts: attempt, stripePaymentIntentId: null },
      data: { attempts: attempt + 1, attemptPaymentMethodId: null, lastAttempt: clock.now(), leaseId: null, lockedUntil: null },
    });
    if (ended.count === 0) return;
    if (sub.incomplete) {
      await tx.subscription.delete({ where: { id: sub.id } });
      return;
    }
    await failedAttempt(tx, sub, attempt + 1, requestId);
  }

  /** A successful charge of a billed period, recorded once (the charger, a resumed charger, the webhook). */
  async function recordCharge(tx: Tx, sub: Subscription, row: SubscriptionCharge, intent: Pick<PaymentIntent, "id" | "chargeId" | "amount" | "currency">, requestId: string | null): Promise<boolean> {
    if (row.stripePaymentIntentId) {
      if (row.stripePaymentIntentId !== intent.id) log.error({ subscriptionId: sub.id, period: row.period, paymentIntentId: intent.id }, "a second charge succeeded for a paid period: refund it");
      return false;
    }
    if (intent.amount !== row.amount || intent.currency !== row.currency) {
      log.error({ subscriptionId: sub.id, period: row.period, paymentIntentId: intent.id, amount: intent.amount }, "a charge succeeded for another amount than the period's: it was not recorded; refund it");
      return false;
    }
    await tx.subscriptionCharge.update({ where: { id: row.id }, data: { stripePaymentIntentId: intent.id, stripeChargeId: intent.chargeId, attemptPaymentMethodId: null } });
    await recordSettlementTransactions(tx, {
      platformId: sub.platformId,
      mode: sub.mode,
      requestId,
      contractId: sub.contractId,
      subscriptionId: sub.id,
      currency: row.currency,
      transferGroup: row.transferGroup,
      charges: [{ buyerUserId: sub.userId, amount: intent.amount, stripeChargeId: intent.chargeId ?? "", stripePaymentIntentId: intent.id }],
    });
    return true;
  }

  async function locked<T>(plan: Plan, run: (tx: Tx, sub: Subscription, row: SubscriptionCharge) => Promise<T>): Promise<T> {
    return db.$transaction(async (tx) => {
      const sub = await lockSubscription(tx, plan, plan.subscriptionId);
      if (!sub) throw new Error(`subscription ${plan.subscriptionId} is gone while ${plan.transferGroup} is charged`);
      return run(tx, sub, await lockCharge(tx, plan.rowId));
    });
  }

  async function renewLease(plan: Plan): Promise<void> {
    const { count } = await db.subscriptionCharge.updateMany({ where: { id: plan.rowId, leaseId: plan.leaseId }, data: { lockedUntil: later(clock.now(), leaseMs) } });
    if (count === 0) throw new ConflictError("renewal_in_progress", `Another charger of ${plan.transferGroup} took over from this one.`, "id");
  }

  async function releaseLease(plan: Plan): Promise<void> {
    await db.subscriptionCharge.updateMany({ where: { id: plan.rowId, leaseId: plan.leaseId }, data: { leaseId: null, lockedUntil: null } });
  }

  async function finish(plan: Plan): Promise<void> {
    await locked(plan, async (tx, sub, row) => {
      if (row.status === "paid") return;
      const transfers = row.transfers as unknown as TransferState[];
      if (!row.stripePaymentIntentId || transfers.some((t) => t.amount > 0 && !t.stripeTransferId)) {
        throw new Error(`${row.transferGroup} reached its end with money still to move`);
      }
      const terms = sub.terms as unknown as StoredTerms;
      const common = { platformId: sub.platformId, mode: sub.mode, requestId: plan.requestId, contractId: sub.contractId, subscriptionId: sub.id, currency: row.currency, transferGroup: row.transferGroup };
      await recordSettlementTransactions(tx, { ...common, fees: terms.fees });
      const books = await settlementBooks(tx, plan, row.transferGroup);
      if (!books.balanced || books.incoming !== row.amount) {
        throw new Error(`the books of ${row.transferGroup} do not balance: incoming ${books.incoming}, paid out ${books.paidOut}, amount ${row.amount}`);
      }
      await tx.subscriptionCharge.update({ where: { id: row.id }, data: { status: "paid", paid: clock.now(), leaseId: null, lockedUntil: null } });
      if (sub.incomplete) {
        await tx.subscription.update({ where: { id: sub.id }, data: { incomplete: false, isActive: true, nextAttemptAt: sub.currentPeriodEnd } });
        await recordSubscriptionEvent(tx, sub.id, "subscription.created", plan.requestId);
        return;
      }
      await tx.subscription.update({
        where: { id: sub.id },
        data: {
          periodIndex: row.period,
          currentPeriodStart: row.periodStart,
          currentPeriodEnd: row.periodEnd,
          failedAttempts: 0,
          pastDue: false,
          nextAttemptAt: sub.ended ? null : row.periodEnd,
        },
      });
      await recordSubscriptionEvent(tx, sub.id, "subscription.renewed", plan.requestId);
    });
  }

  /** Runs a claimed period through the settlement engine. Declines are recorded, then thrown. */
  async function execute(plan: Plan): Promise<"complete" | "pending"> {
    return runSettlement(payments, {
      currency: plan.currency,
      transferGroup: plan.transferGroup,
      charges: plan.charges,
      transfers: plan.transfers,
      renewLease: () => renewLease(plan),
      releaseLease: () => releaseLease(plan),
      chargeFailed: (charge) =>
        db.$transaction(async (tx) => {
          // The webhook may have seen the decline first — and a declined first charge takes its subscription with it.
          const sub = await lockSubscription(tx, plan, plan.subscriptionId);
          if (sub) await recordDecline(tx, sub, plan.rowId, charge.attempt, plan.requestId);
        }),
      chargeSucceeded: async (_charge, intent) => {
        await locked(plan, (tx, sub, row) => recordCharge(tx, sub, row, intent, plan.requestId));
      },
      transferSource: async () => {
        const row = await db.subscriptionCharge.findUniqueOrThrow({ where: { id: plan.rowId } });
        if (!row.stripePaymentIntentId) throw new Error(`${plan.transferGroup} came to its transfers before its charge`);
        return row.stripeChargeId ?? undefined;
      },
      transferRefused: async (t, err: PaymentsRequestError) => {
        await locked(plan, async (tx, _sub, row) => {
          const transfers = (row.transfers as unknown as TransferState[]).map((x) => (x.user_id === t.sellerUserId && !x.stripeTransferId && x.attempts === t.attempt ? { ...x, attempts: x.attempts + 1 } : x));
          await tx.subscriptionCharge.update({ where: { id: row.id }, data: { transfers: transfers as unknown as Prisma.InputJsonValue, leaseId: null, lockedUntil: null } });
          await tx.subscription.update({ where: { id: plan.subscriptionId }, data: { nextAttemptAt: later(clock.now(), TRANSFER_RETRY_MS) } });
        });
        return new ConflictError(
          "seller_not_ready",
          `The transfer to seller ${t.sellerUserId} was refused (${err.code}: ${err.message}). The charge is kept; the transfer is retried later.`,
          "sellers",
        );
      },
      transferMade: async (t, made) => {
        await locked(plan, async (tx, sub, row) => {
          const transfers = row.transfers as unknown as TransferState[];
          const state = transfers.find((x) => x.user_id === t.sellerUserId);
          if (!state || state.stripeTransferId) return;
          state.stripeTransferId = made.id;
          await tx.subscriptionCharge.update({ where: { id: row.id }, data: { transfers: transfers as unknown as Prisma.InputJsonValue } });
          await recordSettlementTransactions(tx, {
            platformId: sub.platformId,
            mode: sub.mode,
            requestId: plan.requestId,
            contractId: sub.contractId,
            subscriptionId: sub.id,
            currency: row.currency,
            transferGroup: row.transferGroup,
            transfers: [{ sellerUserId: t.sellerUserId, amount: t.amount, stripeTransferId: made.id }],
          });
        });
      },
      finish: () => finish(plan),
    });
  }

  // ── bringing a subscription up to date (the job) ──────────────────────────────────────────────

  /** Moves past a period that is not charged (paused at its start): the next one is current. */
  async function skipPeriod(tx: Tx, sub: Subscription, row: SubscriptionCharge | null): Promise<void> {
    if (row) await tx.subscriptionCharge.update({ where: { id: row.id }, data: { status: "void", leaseId: null, lockedUntil: null, attemptPaymentMethodId: null } });
    const next = sub.periodIndex + 1;
    const end = periodBoundary(sub.startDate, sub.cycle, next + 1);
    await tx.subscription.update({
      where: { id: sub.id },
      data: { periodIndex: next, currentPeriodStart: sub.currentPeriodEnd, currentPeriodEnd: end, failedAttempts: 0, nextAttemptAt: end },
    });
    await recordSubscriptionEvent(tx, sub.id, "subscription.renewal_skipped", null);
  }

  type Step = { kind: "done" } | { kind: "again" } | { kind: "charge"; plan: Plan };

  /** One step of bringing a subscription up to date, decided under its row lock. */
  async function step(tenant: Tenant, id: string): Promise<Step> {
    return db.$transaction(async (tx): Promise<Step> => {
      const sub = await lockSubscription(tx, tenant, id);
      if (!sub) return { kind: "done" };
      const now = clock.now();
      const row = await openCharge(tx, sub);
      if (row?.lockedUntil && row.lockedUntil.getTime() > now.getTime()) return { kind: "done" };
      // 1. Finish what was started, whatever became of the subscription: a charge whose outcome is
      //    unknown is repeated under its key, transfers after a charge are made.
      if (row && (row.stripePaymentIntentId || row.attemptPaymentMethodId)) {
        const plan = await claim(tx, sub, row, null, null);
        return plan ? { kind: "charge", plan } : { kind: "done" };
      }
      // A first charge that is not under way any more (it was declined): nothing is left behind.
      if (sub.incomplete) {
        await tx.subscription.delete({ where: { id: sub.id } });
        return { kind: "done" };
      }
      // Ended: nothing new is charged. Past due: nothing automatic (the overdue period stays open for the subscriber's resume).
      if (sub.ended || sub.pastDue) {
        if (row && sub.ended) await tx.subscriptionCharge.update({ where: { id: row.id }, data: { status: "void" } });
        if (sub.nextAttemptAt) await tx.subscription.update({ where: { id: sub.id }, data: { nextAttemptAt: null } });
        return { kind: "done" };
      }
      // 2. A pause that ran out resumes by itself — after skipping a cycle that fell due before it ran out.
      if (sub.isPaused && sub.pausedUntil && sub.pausedUntil.getTime() <= now.getTime()) {
        const due = sub.currentPeriodEnd.getTime() <= now.getTime();
        if (due && sub.pausedUntil.getTime() > sub.currentPeriodEnd.getTime()) {
          await skipPeriod(tx, sub, row);
          return { kind: "again" };
        }
        await tx.subscription.update({ where: { id: sub.id }, data: { isPaused: false } });
        await recordSubscriptionEvent(tx, sub.id, "subscription.resumed", null);
        return { kind: "again" };
      }
      // 3. Due: a cycle (no row yet) or a retry (an open row between attempts).
      if (!sub.nextAttemptAt || sub.nextAttemptAt.getTime() > now.getTime()) return { kind: "done" };
      if (!row && sub.currentPeriodEnd.getTime() > now.getTime()) {
        await tx.subscription.update({ where: { id: sub.id }, data: { nextAttemptAt: sub.currentPeriodEnd } });
        return { kind: "done" };
      }
      if (sub.isPaused) {
        await skipPeriod(tx, sub, row);
        return { kind: "again" };
      }
      const billed = row ?? (await openPeriod(tx, sub, sub.periodIndex + 1));
      const inputs = await attemptInputs(tx, sub);
      if (!inputs.ok) {
        // Nothing can be charged (no card, a seller who cannot be paid): that counts as a failed attempt.
        log.info({ subscriptionId: sub.id, period: billed.period, code: inputs.error.code }, "renewal could not be attempted");
        await tx.subscriptionCharge.update({ where: { id: billed.id }, data: { attempts: billed.attempts + 1, lastAttempt: now } });
        await failedAttempt(tx, sub, billed.attempts + 1, null);
        return { kind: "again" };
      }
      const plan = await claim(tx, sub, billed, inputs, null);
      return plan ? { kind: "charge", plan } : { kind: "done" };
    });
  }

  /** The `renew-subscription` job: bring one subscription up to date. */
  async function bringUpToDate(job: RenewSubscriptionJob): Promise<void> {
    const tenant = { platformId: job.platformId, mode: job.mode };
    for (let i = 0; i < MAX_STEPS_PER_RUN; i++) {
      const next = await step(tenant, job.subscriptionId);
      if (next.kind === "done") return;
      if (next.kind === "again") continue;
      try {
        if ((await execute(next.plan)) === "pending") return;
      } catch (err) {
        // Declines and refused transfers are recorded and rescheduled; the lease lost means another has it.
        if (err instanceof AppError && err.status < 500) {
          log.info({ subscriptionId: job.subscriptionId, period: next.plan.period, code: err.code }, "renewal attempt did not go through");
          continue;
        }
        throw err;
      }
    }
  }

  /** The `renew-subscriptions` sweep: one job per subscription with something due. */
  async function sweep(): Promise<number> {
    const now = clock.now();
    const due = await db.$queryRaw<{ id: string; platform_id: string; mode: Mode }[]>`
      (SELECT id, platform_id, mode FROM subscriptions WHERE next_attempt_at <= ${now} ORDER BY next_attempt_at LIMIT ${SWEEP_BATCH})
      UNION
      (SELECT id, platform_id, mode FROM subscriptions WHERE is_paused AND paused_until <= ${now} AND ended IS NULL ORDER BY paused_until LIMIT ${SWEEP_BATCH})`;
    for (const s of due) {
      const job: RenewSubscriptionJob = { subscriptionId: s.id, platformId: s.platform_id, mode: s.mode };
      await enqueue(db, "renew-subscription", job, { jobKey: `renew-subscription:${s.id}`, maxAttempts: 5 });
    }
    return due.length;
  }

  return {
    assertChargeable,
    claim,
    openPeriod,
    execute,
    bringUpToDate,
    sweep,

    /**
     * A past-due subscription's subscriber resumed it: charge the period it is in now — the one that
     * failed if it is not over yet; else that one is given up and the periods since are not charged.
     * Inside the resume's transaction; answers the plan to execute after the commit.
     */
    async planRecovery(tx: Tx, sub: Subscription, requestId: string): Promise<Plan> {
      const now = clock.now();
      const inputs = await assertChargeable(tx, sub);
      let row = await openCharge(tx, sub);
      if (row && (row.attemptPaymentMethodId || row.stripePaymentIntentId || (row.lockedUntil && row.lockedUntil.getTime() > now.getTime()))) {
        throw new ConflictError("renewal_in_progress", `${sub.id}'s renewal is being charged right now; retry shortly.`, "id");
      }
      const current = periodAt(sub.startDate, sub.cycle, now);
      if (!row || row.period < current) {
        if (row) await tx.subscriptionCharge.update({ where: { id: row.id }, data: { status: "void" } });
        const period = Math.max(current, sub.periodIndex + 1);
        // The periods it missed while past due are not charged: the one before the charged one is current.
        await tx.subscription.update({
          where: { id: sub.id },
          data: { periodIndex: period - 1, currentPeriodStart: periodBoundary(sub.startDate, sub.cycle, period - 1), currentPeriodEnd: periodBoundary(sub.startDate, sub.cycle, period) },
        });
        row = await openPeriod(tx, { ...sub, periodIndex: period - 1 }, period);
      }
      const plan = await claim(tx, sub, row, inputs, requestId);
      if (!plan) throw new Error(`${sub.id}: the recovery charge could not be planned`);
      return plan;
    },

    /**
     * The PaymentOutcomeHandler for subscription charges (`subscription_id` in the PaymentIntent's
     * metadata), inside the Stripe webhook's transaction: a success records the charge if it was not
     * (a charge that cleared after our node died, or a bank debit) and has the job finish the
     * period; a decline ends that attempt, once.
     */
    async onPaymentOutcome(outcome: PaymentIntentOutcome, tx: Tx): Promise<void> {
      const metadata = (outcome.metadata ?? {}) as Record<string, unknown>;
      const subscriptionId = typeof metadata.subscription_id === "string" ? metadata.subscription_id : null;
      const platformId = typeof metadata.platform_id === "string" ? metadata.platform_id : null;
      const mode: Mode | null = metadata.mode === "test" || metadata.mode === "live" ? metadata.mode : null;
      const period = Number(metadata.period);
      if (!subscriptionId || !platformId || !mode || !Number.isInteger(period) || outcome.platformId !== platformId) return;
      const sub = await lockSubscription(tx, { platformId, mode }, subscriptionId);
      if (!sub) return;
      const row = await tx.subscriptionCharge.findUnique({ where: { subscriptionId_period: { subscriptionId, period } } });
      if (!row || row.status !== "open") return;
      await tx.$queryRaw`SELECT id FROM subscription_charges WHERE id = ${row.id} FOR UPDATE`;
      if (outcome.status === "succeeded") {
        const recorded = await recordCharge(tx, sub, row, { id: outcome.id, chargeId: outcome.chargeId, amount: outcome.amount, currency: outcome.currency }, null);
        if (recorded) {
          // The charger at work (if any) carries on; if it died, the job does once its lease lapsed.
          await enqueue(tx, "renew-subscription", { subscriptionId, platformId, mode } satisfies RenewSubscriptionJob, { jobKey: `renew-subscription:${subscriptionId}`, maxAttempts: 5 });
        }
        return;
      }
      if (outcome.status === "requires_payment_method" || outcome.status === "canceled") {
        const attempt = Number(metadata.attempt);
        if (Number.isInteger(attempt)) await recordDecline(tx, sub, row.id, attempt, null);
      }
    },
  };
}

export type SubscriptionBilling = ReturnType<typeof createSubscriptionBilling>;
