import type { Refund } from "../../../adapters/payments/gateway.js";
import type { Tenant, Tx } from "../../../db/tenant.js";
import { buyerCharge } from "../../settlement/index.js";
import { markRefundFailed } from "./unwind.js";

/**
 * A RefundOutcomeHandler (stripe-webhooks.service.ts), after the ledger's (which failed the
 * refund's rows and made its amount refundable again): a refund of an ended order (settle/unwind.ts
 * names it in its metadata) that Stripe answered `pending` and then failed leaves the order
 * `refund_failed` with `contract.refund_failed`. A replay, or the failure of a refund already
 * retried (the charge is being refunded again), changes nothing.
 */
export async function onOrderRefundOutcome(refund: Refund, tx: Tx): Promise<void> {
  if (refund.status !== "failed" && refund.status !== "canceled") return;
  const { contract_id: contractId, platform_id: platformId, mode, user_id: buyerUserId, reason } = refund.metadata;
  if (!contractId || !platformId || !buyerUserId || (mode !== "test" && mode !== "live")) return;
  if (reason !== "order_canceled" && reason !== "capture_failed") return;
  const tenant: Tenant = { platformId, mode };
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM contracts WHERE id = ${contractId} AND platform_id = ${platformId} AND mode = ${mode}::"Mode" FOR UPDATE`;
  if (rows.length === 0) return;
  const charge = await buyerCharge(tx, tenant, contractId, buyerUserId);
  if (!charge || charge.amountRefunded >= charge.amount) return;
  await markRefundFailed(tx, tenant, contractId, null);
}
