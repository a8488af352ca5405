import { PaymentsRequestError } from "../../../adapters/payments/errors.js";
import type { AppError } from "../../../lib/errors.js";
import { lockContract } from "../contracts.repo.js";
import { recordContractEvent } from "./charges.js";
import { endOrder } from "./end-order.js";
import { releaseLease } from "./lease.js";
import type { Charge, Plan, SettleContext } from "./plan.js";

/**
 * Stripe refused a capture after the seller accepted: the authorisation lapsed (Stripe releases it
 * after 7 days; the intent is `canceled`) or the card declined the capture. The order cannot be
 * paid any more, so it ends at once rather than stay `processing`: status `void`, `orderStatus`
 * `capture_failed`, stock back and bookings cancelled, `contract.capture_failed` (its webhook, and
 * the emails to buyers and sellers); the `unwind-order` job queued with it releases the other
 * buyers' authorisations and refunds whoever was captured already.
 *
 * A capture refused because the intent was captured after all (an answer lost on the way, then a
 * capture under another key) is no failure: the lease is released and the intent's webhook records it.
 */
export async function recordRefusedCapture(ctx: SettleContext, plan: Plan, charge: Charge, err: AppError): Promise<void> {
  if (err instanceof PaymentsRequestError && err.code === "payment_intent_unexpected_state") {
    const intent = await ctx.payments.retrievePaymentIntent(charge.capture!);
    if (intent.status === "succeeded") {
      ctx.log.error({ contractId: plan.contractId, buyerUserId: charge.buyerUserId, paymentIntentId: intent.id }, "a capture was refused for an intent captured already");
      return releaseLease(ctx, plan);
    }
  }
  ctx.log.warn({ contractId: plan.contractId, buyerUserId: charge.buyerUserId, code: err.code }, "a capture was refused: the order ends capture_failed");
  const ended = await ctx.db.$transaction(async (tx) => {
    const c = await lockContract(tx, plan, plan.contractId);
    if (c.status !== "processing" || c.orderStatus !== "accepted" || c.settlementLeaseId !== plan.leaseId) return false;
    await endOrder(tx, plan, c, { status: "void", orderStatus: "capture_failed", settlementLeaseId: null, settlementLockedUntil: null }, true);
    await recordContractEvent(tx, plan, c.id, "contract.capture_failed", plan.requestId);
    return true;
  });
  if (!ended) await releaseLease(ctx, plan);
}
