import { PaymentsRequestError } from "../../../adapters/payments/errors.js";
import type { Tenant } from "../../../db/tenant.js";
import { recordOrderRefund } from "../../settlement/index.js";
import { loadState, lockContract } from "../contracts.repo.js";
import type { SettleContext } from "./plan.js";

/** The keys of an order's unwinding: one cancel per authorisation, one refund per captured charge. */
export const cancelKey = (contractId: string, buyerUserId: string) => `contract:${contractId}:buyer:${buyerUserId}:cancel`;
export const cancelRefundKey = (contractId: string, buyerUserId: string) => `contract:${contractId}:buyer:${buyerUserId}:cancel-refund`;

/**
 * The money of an order that ended without a sale (declined, expired, canceled, written off) goes
 * back: each authorisation still held is released at Stripe, and — when the order was canceled —
 * each captured charge refunded whole. The state change committed first, with the `unwind-order`
 * job queued in it; this runs right after it, and the job again should the node die, so nothing is
 * left held: each call is keyed, each outcome recorded once under the contract's lock.
 */
export async function unwindPayments(ctx: SettleContext, tenant: Tenant, id: string, requestId: string | null): Promise<void> {
  const c = await ctx.db.$transaction(async (tx) => {
    await lockContract(tx, tenant, id);
    return loadState(tx, id);
  });
  const ended = c.status === "void" || c.status === "uncollectible";
  if (!ended) return;
  for (const b of c.buyers) {
    if (b.amountAuthorized === 0 || !b.stripePaymentIntentId) continue;
    const intentId = b.stripePaymentIntentId;
    try {
      await ctx.payments.cancelPaymentIntent({ paymentIntentId: intentId, idempotencyKey: cancelKey(c.id, b.userId) });
    } catch (err) {
      // Canceled already (Stripe releases an authorisation after 7 days): released all the same.
      if (!(err instanceof PaymentsRequestError && err.code === "payment_intent_unexpected_state")) throw err;
      ctx.log.warn({ contractId: c.id, buyerUserId: b.userId, paymentIntentId: intentId }, "an authorisation to release was not held any more");
    }
    await ctx.db.contractBuyer.updateMany({ where: { id: b.id, amountAuthorized: { gt: 0 } }, data: { amountAuthorized: 0 } });
  }
  if (c.orderStatus !== "canceled") return;
  for (const b of c.buyers) {
    if (b.amountPaid === 0 || !b.stripePaymentIntentId) continue;
    const intentId = b.stripePaymentIntentId;
    const refund = await ctx.payments.createRefund({
      paymentIntentId: intentId,
      metadata: { contract_id: c.id, platform_id: c.platformId, mode: c.mode, user_id: b.userId, reason: "order_canceled" },
      idempotencyKey: cancelRefundKey(c.id, b.userId),
    });
    await ctx.db.$transaction(async (tx) => {
      await lockContract(tx, tenant, id);
      await recordOrderRefund(tx, { ...tenant, contractId: c.id, stripePaymentIntentId: intentId, stripeRefundId: refund.id, amount: refund.amount, requestId });
    });
  }
}
