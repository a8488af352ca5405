import type { Tenant } from "../../../db/tenant.js";
import { NotFoundError } from "../../../lib/errors.js";
import { runSettlement } from "../../settlement/index.js";
import { lockContract } from "../contracts.repo.js";
import { contractView } from "../contracts.repo.js";
import { markBuyerAuthorized, markBuyerPaid, recordFailedCharge } from "./charges.js";
import { claim } from "./claim.js";
import { heartbeat, releaseLease, renewLease } from "./lease.js";
import { finish, recordRefusedTransfer, recordTransfer } from "./payouts.js";
import type { SettleContext, SettlementResult, Settler } from "./plan.js";

/** A settlement from claim to end: the claimed plan through the settlement engine, each step recorded as it happens. */
export async function settle(ctx: SettleContext, tenant: Tenant, id: string, settler: Settler): Promise<SettlementResult | null> {
  const { db } = ctx;
  const plan = await claim(ctx, tenant, id, settler);
  if (!plan) return null;
  const outcome = await ctx.leases.work(plan.leaseId, () =>
    runSettlement(ctx.payments, {
      currency: plan.currency,
      transferGroup: plan.contractId,
      charges: plan.charges,
      transfers: plan.transfers,
      renewLease: () => renewLease(ctx, plan),
      heartbeat: heartbeat(ctx),
      releaseLease: () => releaseLease(ctx, plan),
      chargeFailed: async (charge, err) => {
        // A capture refused: the authorisation lapsed or was released at Stripe. Nothing moved; the
        // order stays accepted and `processing` for the platform to cancel (a person looks at it).
        if (charge.capture) {
          ctx.log.error({ contractId: plan.contractId, buyerUserId: charge.buyerUserId, code: err.code }, "a capture was refused: cancel the order");
          return releaseLease(ctx, plan);
        }
        return recordFailedCharge(ctx, plan, charge);
      },
      chargeSucceeded: (charge, intent) =>
        db.$transaction(async (tx) => {
          const c = await lockContract(tx, plan, plan.contractId);
          if (intent.status === "requires_capture") await markBuyerAuthorized(ctx, tx, c, charge.buyerUserId, intent);
          else await markBuyerPaid(ctx, tx, c, charge.buyerUserId, intent, plan.requestId);
        }),
      // Transfers need every buyer's money; with one buyer, the transfers draw on that charge
      // (`source_transaction`), which Stripe allows before the funds are available.
      transferSource: async () => {
        if (plan.transfers.length === 0) return undefined;
        const buyers = await db.contractBuyer.findMany({ where: { contractId: id }, select: { amountDue: true, amountPaid: true, stripeChargeId: true } });
        if (buyers.some((b) => b.amountPaid < b.amountDue)) throw new Error(`settlement of ${id} came to its transfers with buyers still owing`);
        const paying = buyers.filter((b) => b.amountDue > 0);
        return paying.length === 1 && paying[0]!.stripeChargeId ? paying[0]!.stripeChargeId : undefined;
      },
      transferRefused: (t, err) => recordRefusedTransfer(ctx, plan, t, err),
      transferMade: (t, made) => recordTransfer(ctx, plan, t, made),
      finish: () => finish(ctx, plan),
    }),
  );
  const contract = await contractView(db, tenant, id);
  if (!contract) throw new NotFoundError("contract", id, "id");
  return { contract, complete: outcome === "complete" };
}
