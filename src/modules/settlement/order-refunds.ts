import type { Db } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import { newId } from "../../lib/ids.js";
import { recordEvents } from "../events/index.js";
import { transactionEvent } from "./ledger.js";

/**
 * A canceled order's charge given back whole (docs/api/contracts.md, Orders): only before anything
 * of its settlement was paid out — no transfer, no fee recorded — so there is nothing to reverse in
 * proportion (refunds.ts does that for settled charges). Writes the `incoming:refund` and the
 * charge's `amountRefunded`, once per Stripe refund (`idempotencyKey` `refund:<re_…>`).
 */
export async function recordOrderRefund(
  tx: Tx,
  input: Tenant & { contractId: string; stripePaymentIntentId: string; stripeRefundId: string; amount: number; requestId: string | null },
): Promise<boolean> {
  const charge = await tx.transaction.findFirst({
    where: { platformId: input.platformId, mode: input.mode, contractId: input.contractId, type: "incoming", stripePaymentIntentId: input.stripePaymentIntentId },
  });
  if (!charge) throw new Error(`no incoming transaction of ${input.contractId} for ${input.stripePaymentIntentId}`);
  const written = await tx.transaction.createManyAndReturn({
    data: [
      {
        id: newId("transaction"),
        platformId: input.platformId,
        mode: input.mode,
        contractId: input.contractId,
        buyerUserId: charge.buyerUserId,
        refundOfId: charge.id,
        transferGroup: charge.transferGroup,
        amount: input.amount,
        currency: charge.currency,
        stripePaymentIntentId: input.stripePaymentIntentId,
        stripeChargeId: charge.stripeChargeId,
        stripeRefundId: input.stripeRefundId,
        type: "incoming_refund",
        status: "succeeded",
        description: "The order was canceled",
        idempotencyKey: `refund:${input.stripeRefundId}`,
      },
    ],
    skipDuplicates: true,
  });
  if (written.length === 0) return false;
  const updated = await tx.transaction.update({ where: { id: charge.id }, data: { amountRefunded: { increment: input.amount } } });
  await recordEvents(tx, [transactionEvent("transaction.created", written[0]!, input.requestId), transactionEvent("transaction.updated", updated, input.requestId)]);
  return true;
}

/** What a seller was paid, per currency: their `outgoing` less its reversals (their Connect balance's side of the ledger). */
export async function sellerPaidOut(client: Tx | Db, tenant: Tenant, sellerUserId: string): Promise<{ currency: string; amount: number }[]> {
  const rows = await client.$queryRaw<{ currency: string; amount: bigint }[]>`
    SELECT currency, COALESCE(sum(CASE WHEN type = 'outgoing' THEN amount ELSE -amount END), 0)::bigint AS amount
    FROM transactions
    WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND seller_user_id = ${sellerUserId}
      AND type IN ('outgoing', 'outgoing:refund') AND status = 'succeeded'
    GROUP BY currency ORDER BY currency`;
  return rows.map((r) => ({ currency: r.currency, amount: Number(r.amount) }));
}
