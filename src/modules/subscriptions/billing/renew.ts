import type { Tenant, Tx } from "../../../db/tenant.js";
import { periodBoundary } from "../../../domain/subscriptions/periods.js";
import type { Subscription, SubscriptionCharge } from "../../../generated/prisma/client.js";
import type { Mode } from "../../../generated/prisma/enums.js";
import { enqueue } from "../../../jobs/queue.js";
import { AppError } from "../../../lib/errors.js";
import { dueSubscriptions, lockSubscription, openCharge, openPeriod } from "../subscriptions.repo.js";
import { recordSubscriptionEvent } from "../subscriptions.view.js";
import { attemptInputs, claim } from "./attempt.js";
import { execute } from "./execute.js";
import { failedAttempt } from "./outcomes.js";
import { MAX_STEPS_PER_RUN, SWEEP_BATCH, type BillingContext, type Plan, type RenewSubscriptionJob } from "./plan.js";

/**
 * Bringing a subscription up to date (the `renew-subscription` job) and the sweep that queues it:
 * resume at `pausedUntil`, skip the cycles that fall due while paused, charge the ones due
 * otherwise — one period at a time, each in its own settlement.
 */

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
async function step(ctx: BillingContext, tenant: Tenant, id: string): Promise<Step> {
  const { db, clock, log } = ctx;
  return db.$transaction(async (tx): Promise<Step> => {
    const sub = await lockSubscription(tx, tenant, id);
    if (!sub) return { kind: "done" };
    const now = clock.now();
    const row = await openCharge(tx, sub);
    if (row?.lockedUntil && row.lockedUntil.getTime() > now.getTime()) return { kind: "done" };
    // 1. Finish what was started, whatever became of the subscription: a charge whose outcome is
    //    unknown is repeated under its key, transfers after a charge are made.
    if (row && (row.stripePaymentIntentId || row.attemptPaymentMethodId)) {
      const plan = await claim(ctx, tx, sub, row, null, null);
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
    if (!inputs.ok && (inputs.error.code === "buyer_suspended" || inputs.error.code === "seller_suspended")) {
      // Nobody's fault but a party's suspension: paused rather than retried into past due; the period is skipped, not charged.
      log.info({ subscriptionId: sub.id, period: billed.period, code: inputs.error.code }, "renewal paused: a party is suspended");
      await tx.subscription.update({ where: { id: sub.id }, data: { isPaused: true, pausedAt: now, pausedUntil: null, pauseReason: inputs.error.code } });
      await recordSubscriptionEvent(tx, sub.id, "subscription.paused", null);
      return { kind: "again" };
    }
    if (!inputs.ok) {
      // Nothing can be charged (no card, a seller who cannot be paid): that counts as a failed attempt.
      log.info({ subscriptionId: sub.id, period: billed.period, code: inputs.error.code }, "renewal could not be attempted");
      await tx.subscriptionCharge.update({ where: { id: billed.id }, data: { attempts: billed.attempts + 1, lastAttempt: now } });
      await failedAttempt(ctx, tx, sub, billed.attempts + 1, null);
      return { kind: "again" };
    }
    const plan = await claim(ctx, tx, sub, billed, inputs, null);
    return plan ? { kind: "charge", plan } : { kind: "done" };
  });
}

/** The `renew-subscription` job: bring one subscription up to date. */
export async function bringUpToDate(ctx: BillingContext, job: RenewSubscriptionJob): Promise<void> {
  const tenant = { platformId: job.platformId, mode: job.mode };
  for (let i = 0; i < MAX_STEPS_PER_RUN; i++) {
    const next = await step(ctx, tenant, job.subscriptionId);
    if (next.kind === "done") return;
    if (next.kind === "again") continue;
    try {
      if ((await execute(ctx, next.plan)) === "pending") return;
    } catch (err) {
      // Declines and refused transfers are recorded and rescheduled; the lease lost means another has it.
      if (err instanceof AppError && err.status < 500) {
        ctx.log.info({ subscriptionId: job.subscriptionId, period: next.plan.period, code: err.code }, "renewal attempt did not go through");
        continue;
      }
      throw err;
    }
  }
}

/** The `renew-subscriptions` sweep: one job per subscription with something due. */
export async function sweep({ db, clock }: BillingContext): Promise<number> {
  const due = await dueSubscriptions(db, clock.now(), SWEEP_BATCH);
  for (const s of due) {
    const job: RenewSubscriptionJob = { subscriptionId: s.id, platformId: s.platform_id, mode: s.mode };
    await enqueue(db, "renew-subscription", job, { jobKey: `renew-subscription:${s.id}`, maxAttempts: 5 });
  }
  return due.length;
}

/**
 * At boot: the periods this node's earlier boots were charging died with them — their leases are
 * freed and each subscription's job queued to run now, not when the leases lapse; so are leases
 * that lapsed meanwhile. A current lease of another node is left alone. Returns the subscriptions queued.
 */
export async function resumeAfterRestart({ db, clock, leases }: BillingContext): Promise<string[]> {
  return db.$transaction(async (tx) => {
    const now = clock.now();
    const freed = await tx.$queryRaw<{ subscription_id: string; platform_id: string; mode: Mode }[]>`
      UPDATE subscription_charges SET lease_id = NULL, locked_until = NULL
      WHERE status = 'open' AND lease_id LIKE ${leases.nodePattern} AND lease_id NOT LIKE ${leases.bootPattern}
      RETURNING subscription_id, platform_id, mode`;
    // A lapsed lease stays as it is (the charger that takes over replaces it); only its job is brought forward.
    const lapsed = await tx.$queryRaw<{ subscription_id: string; platform_id: string; mode: Mode }[]>`
      SELECT subscription_id, platform_id, mode FROM subscription_charges WHERE status = 'open' AND lease_id IS NOT NULL AND locked_until <= ${now}`;
    const rows = [...freed, ...lapsed];
    for (const row of rows) {
      const job: RenewSubscriptionJob = { subscriptionId: row.subscription_id, platformId: row.platform_id, mode: row.mode };
      await enqueue(tx, "renew-subscription", job, { jobKey: `renew-subscription:${row.subscription_id}`, maxAttempts: 5 });
    }
    return rows.map((r) => r.subscription_id);
  });
}

/**
 * While this node runs: the periods of this boot whose charger is no longer at work (the database
 * went away under it, so it could not release its lease) are freed and resumed now, not when their
 * leases lapse. Called once the database answers again. Returns the subscriptions queued.
 */
export async function resumeOrphans({ db, leases }: BillingContext): Promise<string[]> {
  return db.$transaction(async (tx) => {
    const freed = await tx.$queryRaw<{ subscription_id: string; platform_id: string; mode: Mode }[]>`
      UPDATE subscription_charges SET lease_id = NULL, locked_until = NULL
      WHERE status = 'open' AND lease_id LIKE ${leases.bootPattern} AND NOT (lease_id = ANY(${leases.live()}::text[]))
      RETURNING subscription_id, platform_id, mode`;
    for (const row of freed) {
      const job: RenewSubscriptionJob = { subscriptionId: row.subscription_id, platformId: row.platform_id, mode: row.mode };
      await enqueue(tx, "renew-subscription", job, { jobKey: `renew-subscription:${row.subscription_id}`, maxAttempts: 5 });
    }
    return freed.map((r) => r.subscription_id);
  });
}
