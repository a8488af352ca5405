import type { PaymentIntent } from "../../../adapters/payments/gateway.js";
import { lockContract } from "../contracts.repo.js";
import { recordContractEvent } from "./charges.js";
import type { Charge, Plan, SettleContext } from "./plan.js";

/** What an on-session checkout records besides a settlement's usual steps (settle/checkout.ts). */

/**
 * A charge Stripe did not finish. `requires_action` (3-D Secure): the buyer's entry names the
 * intent waiting for them (`actionPaymentIntentId`), and `contract.payment_action_required` is
 * recorded once per attempt; the contract stays `processing` until the intent's webhook.
 */
export async function recordPendingCharge({ db }: SettleContext, plan: Plan, charge: Charge, intent: PaymentIntent): Promise<void> {
  if (intent.status !== "requires_action") return;
  await db.$transaction(async (tx) => {
    await lockContract(tx, plan, plan.contractId);
    const marked = await tx.contractBuyer.updateMany({
      // Not once the webhook recorded it (a buyer quicker than this settler): paid, or authorised for the seller.
      where: { contractId: plan.contractId, userId: charge.buyerUserId, attempts: charge.attempt, amountPaid: 0, amountAuthorized: 0, actionPaymentIntentId: null },
      data: { actionPaymentIntentId: intent.id },
    });
    if (marked.count > 0) await recordContractEvent(tx, plan, plan.contractId, "contract.payment_action_required", plan.requestId);
  });
}

/** One buyer's share paid while others still owe: the contract is `open` again (and locked: something is paid), its lease released. */
export async function reopenAfterShare({ db }: SettleContext, plan: Plan): Promise<void> {
  await db.contract.updateMany({
    where: { id: plan.contractId, settlementLeaseId: plan.leaseId },
    data: { status: "open", settlementLeaseId: null, settlementLockedUntil: null },
  });
}
