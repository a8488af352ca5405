import type { PaymentsRequestError } from "../../../adapters/payments/errors.js";
import type { Prisma } from "../../../db/client.js";
import type { Tx } from "../../../db/tenant.js";
import type { Subscription, SubscriptionCharge } from "../../../generated/prisma/client.js";
import { ConflictError } from "../../../lib/errors.js";
import { closeBooks, recordSettlementTransactions, runSettlement } from "../../settlement/index.js";
import { lockCharge, lockSubscription } from "../subscriptions.repo.js";
import { recordSubscriptionEvent } from "../subscriptions.view.js";
import { recordCharge, recordDecline } from "./outcomes.js";
import { MAX_STEP_MS, TRANSFER_RETRY_MS, later, type BillingContext, type Plan, type StoredTerms, type TransferState } from "./plan.js";

/** A claimed period through the settlement engine: the charge, the transfers, the books, under the lease. */

/** What the ledger writes of a charge name it by: its platform, contract, subscription and transfer group. */
function ledgerRef(sub: Subscription, row: SubscriptionCharge, plan: Plan) {
  return {
    platformId: sub.platformId,
    mode: sub.mode,
    requestId: plan.requestId,
    contractId: sub.contractId,
    subscriptionId: sub.id,
    currency: row.currency,
    transferGroup: row.transferGroup,
  };
}

async function locked<T>(ctx: BillingContext, plan: Plan, run: (tx: Tx, sub: Subscription, row: SubscriptionCharge) => Promise<T>): Promise<T> {
  return ctx.db.$transaction(async (tx) => {
    const sub = await lockSubscription(tx, plan, plan.subscriptionId);
    if (!sub) throw new Error(`subscription ${plan.subscriptionId} is gone while ${plan.transferGroup} is charged`);
    return run(tx, sub, await lockCharge(tx, plan.rowId));
  });
}

async function renewLease({ db, clock, leaseMs }: BillingContext, plan: Plan): Promise<void> {
  const { count } = await db.subscriptionCharge.updateMany({ where: { id: plan.rowId, leaseId: plan.leaseId }, data: { lockedUntil: later(clock.now(), leaseMs) } });
  if (count === 0) throw new ConflictError("renewal_in_progress", `Another charger of ${plan.transferGroup} took over from this one.`, "id");
}

async function releaseLease({ db }: BillingContext, plan: Plan): Promise<void> {
  await db.subscriptionCharge.updateMany({ where: { id: plan.rowId, leaseId: plan.leaseId }, data: { leaseId: null, lockedUntil: null } });
}

async function finish(ctx: BillingContext, plan: Plan): Promise<void> {
  await locked(ctx, plan, async (tx, sub, row) => {
    if (row.status === "paid") return;
    const transfers = row.transfers as unknown as TransferState[];
    if (!row.stripePaymentIntentId || transfers.some((t) => t.amount > 0 && !t.stripeTransferId)) {
      throw new Error(`${row.transferGroup} reached its end with money still to move`);
    }
    const terms = sub.terms as unknown as StoredTerms;
    await closeBooks(tx, {
      ...ledgerRef(sub, row, plan),
      fees: terms.fees,
      expectedIncoming: row.amount,
    });
    await tx.subscriptionCharge.update({ where: { id: row.id }, data: { status: "paid", paid: ctx.clock.now(), leaseId: null, lockedUntil: null } });
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
export async function execute(ctx: BillingContext, plan: Plan): Promise<"complete" | "pending"> {
  const { db, clock } = ctx;
  return ctx.leases.work(plan.leaseId, () =>
    runSettlement(ctx.payments, {
      currency: plan.currency,
      transferGroup: plan.transferGroup,
      charges: plan.charges,
      transfers: plan.transfers,
      renewLease: () => renewLease(ctx, plan),
      // Every third of the lease (two beats may be lost before it lapses), for a step of at most MAX_STEP_MS.
      heartbeat: { everyMs: Math.max(500, Math.floor(ctx.leaseMs / 3)), maxStepMs: MAX_STEP_MS, now: () => clock.now().getTime() },
      releaseLease: () => releaseLease(ctx, plan),
      chargeFailed: (charge) =>
        db.$transaction(async (tx) => {
          // The webhook may have seen the decline first — and a declined first charge takes its subscription with it.
          const sub = await lockSubscription(tx, plan, plan.subscriptionId);
          if (sub) await recordDecline(ctx, tx, sub, plan.rowId, charge.attempt, plan.requestId);
        }),
      chargeSucceeded: async (_charge, intent) => {
        await locked(ctx, plan, (tx, sub, row) => recordCharge(ctx, tx, sub, row, intent, plan.requestId));
      },
      transferSource: async () => {
        const row = await db.subscriptionCharge.findUniqueOrThrow({ where: { id: plan.rowId } });
        if (!row.stripePaymentIntentId) throw new Error(`${plan.transferGroup} came to its transfers before its charge`);
        return row.stripeChargeId ?? undefined;
      },
      transferRefused: async (t, err: PaymentsRequestError) => {
        await locked(ctx, plan, async (tx, _sub, row) => {
          const transfers = (row.transfers as unknown as TransferState[]).map((x) =>
            x.user_id === t.sellerUserId && !x.stripeTransferId && x.attempts === t.attempt ? { ...x, attempts: x.attempts + 1 } : x,
          );
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
        await locked(ctx, plan, async (tx, sub, row) => {
          const transfers = row.transfers as unknown as TransferState[];
          const state = transfers.find((x) => x.user_id === t.sellerUserId);
          if (!state || state.stripeTransferId) return;
          state.stripeTransferId = made.id;
          await tx.subscriptionCharge.update({ where: { id: row.id }, data: { transfers: transfers as unknown as Prisma.InputJsonValue } });
          await recordSettlementTransactions(tx, {
            ...ledgerRef(sub, row, plan),
            transfers: [{ sellerUserId: t.sellerUserId, amount: t.amount, stripeTransferId: made.id }],
          });
        });
      },
      finish: () => finish(ctx, plan),
    }),
  );
}
