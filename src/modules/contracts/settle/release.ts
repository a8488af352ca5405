import type { Tenant } from "../../../db/tenant.js";
import { ConflictError } from "../../../lib/errors.js";
import { closeBooks, collectedFees, hasDisputedCharge, loadParties, runSettlement } from "../../settlement/index.js";
import { lockContract } from "../contracts.repo.js";
import { recordContractEvent } from "./charges.js";
import { heartbeat, releaseLease, renewLease } from "./lease.js";
import { recordRefusedTransfer, recordTransfer } from "./payouts.js";
import { RESUME_GRACE_MS, queueOrderJob, transferKey, type Plan, type SettleContext, type Transfer } from "./plan.js";

/**
 * Held funds paid out (docs/api/contracts.md, Orders): a `paid` contract whose platform holds funds
 * pays its sellers when the order completes, or at `releaseAt`. The same steps as a settlement's
 * transfers — under the settlement lease (the status stays `paid`), each transfer keyed
 * `contract:<id>:seller:<user>:transfer`, recorded as it is made — then the fees and the books.
 *
 * Called after a completion commits (which queued the `release-funds` job in its transaction) and
 * by that job: a node dying between the capture and the transfers, or between two transfers, loses
 * nothing — the job runs again, and the keys make a repeated transfer the first one.
 * Answers whether the funds are out (false: not due, or someone else is at it — their lease's job follows).
 */
export async function releaseFunds(ctx: SettleContext, tenant: Tenant, id: string, requestId: string | null): Promise<boolean> {
  const plan = await ctx.db.$transaction(async (tx): Promise<Plan | null> => {
    const c = await lockContract(tx, tenant, id);
    const now = ctx.clock.now();
    // Canceled or disputed money is not paid out; a contract that is not holding funds has none to release.
    if (c.status !== "paid" || !c.holdFunds) return null;
    const due = c.orderStatus === "completed" || (c.releaseAt !== null && c.releaseAt.getTime() <= now.getTime());
    if (!due) return null;
    if (c.settlementLockedUntil && c.settlementLockedUntil.getTime() > now.getTime()) {
      await queueOrderJob(tx, tenant, "release-funds", c.id, new Date(c.settlementLockedUntil.getTime() + RESUME_GRACE_MS));
      return null;
    }
    if (c.fundsReleased) return null;
    // A disputed charge's money is the bank's to decide (disputeFunds): nothing is paid out until it closes won (settle/dispute.ts queues the release then).
    if (await hasDisputedCharge(tx, tenant, c.id)) return null;
    const owed = c.sellers.filter((s) => s.amountReceived < s.amountOwed);
    const parties = await loadParties(tx, c.platformId, { payers: [], payees: owed.map((s) => s.userId) });
    const notReady = owed.find((s) => !parties.payee(s.userId).ready);
    if (notReady) throw new ConflictError("seller_not_ready", `Seller ${notReady.userId} cannot be paid: their Connect account cannot receive transfers.`, "sellers");
    const transfers: Transfer[] = owed.map((s) => ({
      sellerUserId: s.userId,
      amount: s.amountOwed - s.amountReceived,
      destination: parties.payee(s.userId).connectId!,
      attempt: s.transferAttempts,
      idempotencyKey: transferKey(c.id, s.userId, s.transferAttempts),
      metadata: { contract_id: c.id, platform_id: c.platformId, mode: c.mode, user_id: s.userId },
    }));
    const leaseId = ctx.leases.newLeaseId();
    const lockedUntil = new Date(now.getTime() + ctx.leaseMs);
    await tx.contract.update({ where: { id: c.id }, data: { settlementLeaseId: leaseId, settlementLockedUntil: lockedUntil } });
    // Should this node die, the job carries on once the lease lapsed.
    await queueOrderJob(tx, tenant, "release-funds", c.id, new Date(lockedUntil.getTime() + RESUME_GRACE_MS));
    return { ...tenant, contractId: c.id, currency: c.currency, leaseId, charges: [], transfers, phase: "charge", holdFunds: false, partial: false, requestId };
  });
  if (!plan) return false;
  await ctx.leases.work(plan.leaseId, () =>
    runSettlement(ctx.payments, {
      currency: plan.currency,
      transferGroup: plan.contractId,
      charges: [],
      transfers: plan.transfers,
      renewLease: () => renewLease(ctx, plan),
      heartbeat: heartbeat(ctx),
      releaseLease: () => releaseLease(ctx, plan),
      chargeFailed: async () => {},
      chargeSucceeded: async () => {},
      transferSource: async () => {
        const buyers = await ctx.db.contractBuyer.findMany({ where: { contractId: id }, select: { amountDue: true, stripeChargeId: true } });
        const paying = buyers.filter((b) => b.amountDue > 0);
        return paying.length === 1 && paying[0]!.stripeChargeId ? paying[0]!.stripeChargeId : undefined;
      },
      transferRefused: (t, err) => recordRefusedTransfer(ctx, plan, t, err),
      transferMade: (t, made) => recordTransfer(ctx, plan, t, made),
      finish: () =>
        ctx.db.$transaction(async (tx) => {
          const c = await lockContract(tx, plan, plan.contractId);
          if (c.sellers.some((s) => s.amountReceived < s.amountOwed)) throw new Error(`release of ${c.id} reached its end with sellers still owed`);
          await closeBooks(tx, {
            platformId: c.platformId,
            mode: c.mode,
            requestId: plan.requestId,
            contractId: c.id,
            currency: c.currency,
            transferGroup: c.id,
            fees: collectedFees(c.fees),
            expectedIncoming: c.total,
          });
          if (c.fundsReleased) return;
          await tx.contract.update({ where: { id: c.id }, data: { fundsReleased: ctx.clock.now() } });
          await tx.contract.updateMany({ where: { id: c.id, settlementLeaseId: plan.leaseId }, data: { settlementLeaseId: null, settlementLockedUntil: null } });
          await recordContractEvent(tx, plan, c.id, "contract.funds_released", plan.requestId);
        }),
    }),
  );
  return true;
}
