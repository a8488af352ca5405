import { PaymentsRequestError } from "../../../adapters/payments/errors.js";
import type { Refund } from "../../../adapters/payments/gateway.js";
import type { Tenant } from "../../../db/tenant.js";
import { orderRefundState, recordOrderRefund } from "../../settlement/index.js";
import { loadState, lockContract } from "../contracts.repo.js";
import { recordContractEvent } from "./charges.js";
import type { SettleContext } from "./plan.js";
import { payOutWrittenOff } from "./write-off.js";

/** The keys of an order's unwinding: one cancel per authorisation, one refund per captured charge (and per retry after a refund failed). */
export const cancelKey = (contractId: string, buyerUserId: string) => `contract:${contractId}:buyer:${buyerUserId}:cancel`;
export const cancelRefundKey = (contractId: string, buyerUserId: string, retry = 0) =>
  retry === 0 ? `contract:${contractId}:buyer:${buyerUserId}:cancel-refund` : `contract:${contractId}:buyer:${buyerUserId}:cancel-refund:${retry}`;

/** Orders whose captured charges go back whole. */
const REFUNDED = new Set(["canceled", "capture_failed"]);

const ledgerStatus = (status: Refund["status"]) => (status === "succeeded" ? "succeeded" : status === "failed" || status === "canceled" ? "failed" : "processing");

/**
 * The money of an order that ended without a sale (declined, expired, canceled, a capture refused,
 * written off) goes where its end says: each authorisation still held is released at Stripe; when
 * the order was canceled or its capture refused, each captured charge is refunded whole (a refund
 * Stripe answers `pending` is recorded `processing` and its webhook ends it; one that fails leaves
 * the order `refund_failed`); a write-off pays the paid shares out to the sellers (settle/write-off.ts).
 * The state change committed first, with the `unwind-order` job queued in it; this runs right after
 * it, and the job again should the node die, so nothing is left held: each call is keyed, each
 * outcome recorded once under the contract's lock.
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
  if (c.status === "uncollectible") {
    await payOutWrittenOff(ctx, tenant, id, requestId);
    return;
  }
  if (!c.orderStatus || !REFUNDED.has(c.orderStatus)) return;
  const reason = c.orderStatus === "capture_failed" ? "capture_failed" : "order_canceled";
  for (const b of c.buyers) {
    if (b.amountPaid === 0 || !b.stripePaymentIntentId) continue;
    const intentId = b.stripePaymentIntentId;
    // Refunded, or waiting for Stripe: nothing to ask again. After a failed refund, a retry is a new refund.
    const state = await orderRefundState(ctx.db, tenant, c.id, intentId);
    if (!state || state.left <= 0) continue;
    const refund = await ctx.payments.createRefund({
      paymentIntentId: intentId,
      metadata: { contract_id: c.id, platform_id: c.platformId, mode: c.mode, user_id: b.userId, reason },
      idempotencyKey: cancelRefundKey(c.id, b.userId, state.failed),
    });
    const status = ledgerStatus(refund.status);
    await ctx.db.$transaction(async (tx) => {
      await lockContract(tx, tenant, id);
      const recorded = await recordOrderRefund(tx, {
        ...tenant,
        contractId: c.id,
        stripePaymentIntentId: intentId,
        stripeRefundId: refund.id,
        amount: refund.amount,
        requestId,
        status,
        description: reason === "capture_failed" ? "The order's capture was refused" : "The order was canceled",
      });
      if (recorded && status === "failed") await markRefundFailed(tx, tenant, c.id, requestId);
    });
  }
}

/** A canceled order whose refund failed says so: `orderStatus` `refund_failed`, `contract.refund_failed`. Under the contract's lock. */
export async function markRefundFailed(tx: Parameters<typeof recordOrderRefund>[0], tenant: Tenant, contractId: string, requestId: string | null): Promise<boolean> {
  const changed = await tx.contract.updateMany({
    where: { id: contractId, status: "void", orderStatus: { in: ["canceled", "capture_failed"] } },
    data: { orderStatus: "refund_failed" },
  });
  if (changed.count === 0) return false;
  await recordContractEvent(tx, tenant, contractId, "contract.refund_failed", requestId);
  return true;
}
