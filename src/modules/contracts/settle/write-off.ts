import type { Tenant } from "../../../db/tenant.js";
import { ConflictError } from "../../../lib/errors.js";
import { closeBooks, collectedFees, loadParties, runSettlement } from "../../settlement/index.js";
import { lockContract, type ContractState } from "../contracts.repo.js";
import { recordContractEvent } from "./charges.js";
import { heartbeat, releaseLease, renewLease } from "./lease.js";
import { recordRefusedTransfer, recordTransfer } from "./payouts.js";
import { RESUME_GRACE_MS, queueOrderJob, transferKey, type Plan, type SettleContext, type Transfer } from "./plan.js";

/**
 * A written-off contract's paid shares (docs/api/contracts.md, Orders): what the buyers who paid
 * paid is the sale's money for the part that was paid, so it is split as the whole would have been,
 * in proportion — each seller gets `amountOwed × paid / total` (rounded down), each fee
 * (Stripe's, Candle's, the platform's) the same share of itself, and the cents the rounding leaves go
 * to the platform's fee. Nothing stays unaccounted: Σ incoming = Σ outgoing + Σ fees for the contract.
 */
export function writeOffShares(c: Pick<ContractState, "total" | "buyers" | "sellers" | "fees">): {
  paid: number;
  sellers: { userId: string; amount: number }[];
  fees: { stripe: number; candle: number; platform: number };
} {
  const paid = c.buyers.reduce((sum, b) => sum + b.amountPaid, 0);
  const share = (amount: number) => (c.total > 0 ? Math.floor((amount * paid) / c.total) : 0);
  const sellers = c.sellers.map((s) => ({ userId: s.userId, amount: share(s.amountOwed) }));
  const collected = collectedFees(c.fees);
  const fees = { stripe: share(collected.stripe ?? 0), candle: share(collected.candle ?? 0), platform: share(collected.platform ?? 0) };
  const rest = paid - sellers.reduce((sum, s) => sum + s.amount, 0) - fees.stripe - fees.candle - fees.platform;
  fees.platform += rest;
  return { paid, sellers, fees };
}

/**
 * Pays the paid shares of a written-off contract out (called by settle/unwind.ts after its
 * authorisations were released, and so by the `unwind-order` job): the same steps as a release of
 * held funds — under the settlement lease, each transfer keyed `contract:<id>:seller:<user>:transfer`
 * and recorded as it is made — then the fees and the books, `fundsReleased` and `contract.funds_released`.
 */
export async function payOutWrittenOff(ctx: SettleContext, tenant: Tenant, id: string, requestId: string | null): Promise<void> {
  let shares: ReturnType<typeof writeOffShares> | null = null;
  const plan = await ctx.db.$transaction(async (tx): Promise<Plan | null> => {
    const c = await lockContract(tx, tenant, id);
    const now = ctx.clock.now();
    if (c.status !== "uncollectible" || c.fundsReleased) return null;
    if (c.settlementLockedUntil && c.settlementLockedUntil.getTime() > now.getTime()) {
      await queueOrderJob(tx, tenant, "unwind-order", c.id, new Date(c.settlementLockedUntil.getTime() + RESUME_GRACE_MS));
      return null;
    }
    shares = writeOffShares(c);
    const owed = shares.sellers.filter((s) => s.amount > 0 && (c.sellers.find((x) => x.userId === s.userId)?.amountReceived ?? 0) === 0);
    const parties = await loadParties(tx, c.platformId, { payers: [], payees: owed.map((s) => s.userId) });
    const notReady = owed.find((s) => !parties.payee(s.userId).ready);
    if (notReady) throw new ConflictError("seller_not_ready", `Seller ${notReady.userId} cannot be paid: their Connect account cannot receive transfers.`, "sellers");
    const transfers: Transfer[] = owed.map((s) => {
      const seller = c.sellers.find((x) => x.userId === s.userId)!;
      return {
        sellerUserId: s.userId,
        amount: s.amount,
        destination: parties.payee(s.userId).connectId!,
        attempt: seller.transferAttempts,
        idempotencyKey: transferKey(c.id, s.userId, seller.transferAttempts),
        metadata: { contract_id: c.id, platform_id: c.platformId, mode: c.mode, user_id: s.userId },
      };
    });
    const leaseId = ctx.leases.newLeaseId();
    const lockedUntil = new Date(now.getTime() + ctx.leaseMs);
    await tx.contract.update({ where: { id: c.id }, data: { settlementLeaseId: leaseId, settlementLockedUntil: lockedUntil } });
    // Should this node die, the job carries on once the lease lapsed.
    await queueOrderJob(tx, tenant, "unwind-order", c.id, new Date(lockedUntil.getTime() + RESUME_GRACE_MS));
    return { ...tenant, contractId: c.id, currency: c.currency, leaseId, charges: [], transfers, phase: "charge", holdFunds: false, partial: false, requestId };
  });
  if (!plan || !shares) return;
  const { paid, fees } = shares as ReturnType<typeof writeOffShares>;
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
        const buyers = await ctx.db.contractBuyer.findMany({ where: { contractId: id, amountPaid: { gt: 0 } }, select: { stripeChargeId: true } });
        return buyers.length === 1 && buyers[0]!.stripeChargeId ? buyers[0]!.stripeChargeId : undefined;
      },
      transferRefused: (t, err) => recordRefusedTransfer(ctx, plan, t, err),
      transferMade: (t, made) => recordTransfer(ctx, plan, t, made),
      finish: () =>
        ctx.db.$transaction(async (tx) => {
          const c = await lockContract(tx, plan, plan.contractId);
          if (c.fundsReleased) return;
          await closeBooks(tx, {
            platformId: c.platformId,
            mode: c.mode,
            requestId: plan.requestId,
            contractId: c.id,
            currency: c.currency,
            transferGroup: c.id,
            fees,
            expectedIncoming: paid,
            description: "The contract was written off: the paid shares, in proportion",
          });
          await tx.contract.update({ where: { id: c.id }, data: { fundsReleased: ctx.clock.now() } });
          await tx.contract.updateMany({ where: { id: c.id, settlementLeaseId: plan.leaseId }, data: { settlementLeaseId: null, settlementLockedUntil: null } });
          await recordContractEvent(tx, plan, c.id, "contract.funds_released", plan.requestId);
        }),
    }),
  );
}
