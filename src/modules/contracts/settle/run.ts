import type { PaymentIntent } from "../../../adapters/payments/gateway.js";
import type { Tenant } from "../../../db/tenant.js";
import { NotFoundError } from "../../../lib/errors.js";
import { runSettlement } from "../../settlement/index.js";
import { lockContract } from "../contracts.repo.js";
import { contractView } from "../contracts.repo.js";
import { markBuyerAuthorized, markBuyerPaid, recordFailedCharge } from "./charges.js";
import { recordRefusedCapture } from "./capture-failure.js";
import { claim } from "./claim.js";
import { recordPendingCharge, reopenAfterShare } from "./checkout-records.js";
import { heartbeat, releaseLease, renewLease } from "./lease.js";
import { finish, recordRefusedTransfer, recordTransfer } from "./payouts.js";
import type { SettleContext, SettlementResult, Settler } from "./plan.js";

/** A settlement from claim to end: the claimed plan through the settlement engine, each step recorded as it happens. */
export async function settle(ctx: SettleContext, tenant: Tenant, id: string, settler: Settler): Promise<SettlementResult | null> {
  const { db } = ctx;
  const plan = await claim(ctx, tenant, id, settler);
  if (!plan) return null;
  let pending: PaymentIntent | undefined;
  const outcome = await ctx.leases.work(plan.leaseId, () =>
    runSettlement(ctx.payments, {
      currency: plan.currency,
      transferGroup: plan.contractId,
      charges: plan.charges,
      transfers: plan.transfers,
      renewLease: () => renewLease(ctx, plan),
      heartbeat: heartbeat(ctx),
      releaseLease: () => releaseLease(ctx, plan),
      // A capture refused (the authorisation lapsed, the card declined it) ends the order: settle/capture-failure.ts.
      chargeFailed: (charge, err) => (charge.capture ? recordRefusedCapture(ctx, plan, charge, err) : recordFailedCharge(ctx, plan, charge)),
      chargePending: async (charge, intent) => {
        pending = intent;
        await recordPendingCharge(ctx, plan, charge, intent);
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
        if (plan.partial || plan.transfers.length === 0) return undefined;
        const buyers = await db.contractBuyer.findMany({ where: { contractId: id }, select: { amountDue: true, amountPaid: true, stripeChargeId: true } });
        if (buyers.some((b) => b.amountPaid < b.amountDue)) throw new Error(`settlement of ${id} came to its transfers with buyers still owing`);
        const paying = buyers.filter((b) => b.amountDue > 0);
        return paying.length === 1 && paying[0]!.stripeChargeId ? paying[0]!.stripeChargeId : undefined;
      },
      transferRefused: (t, err) => recordRefusedTransfer(ctx, plan, t, err),
      transferMade: (t, made) => recordTransfer(ctx, plan, t, made),
      finish: () => (plan.partial ? reopenAfterShare(ctx, plan) : finish(ctx, plan)),
    }),
  );
  const contract = await contractView(db, tenant, id);
  if (!contract) throw new NotFoundError("contract", id, "id");
  return { contract, complete: outcome === "complete" && !plan.partial, ...(pending ? { pending } : {}) };
}
