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
 *
 * As Stripe answered it: `succeeded`; `processing` for a refund Stripe holds `pending` — its
 * webhook ends it (refunds/webhook.ts: succeeded, or failed with the amount refundable again);
 * `failed` for one Stripe refused at once (the charge's `amountRefunded` unchanged).
 */
export async function recordOrderRefund(
  tx: Tx,
  input: Tenant & {
    contractId: string;
    stripePaymentIntentId: string;
    stripeRefundId: string;
    amount: number;
    requestId: string | null;
    status?: "succeeded" | "processing" | "failed";
    description?: string;
  },
): Promise<boolean> {
  const status = input.status ?? "succeeded";
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
        status,
        description: input.description ?? "The order was canceled",
        idempotencyKey: `refund:${input.stripeRefundId}`,
      },
    ],
    skipDuplicates: true,
  });
  if (written.length === 0) return false;
  if (status === "failed") {
    await recordEvents(tx, [transactionEvent("transaction.created", written[0]!, input.requestId)]);
    return true;
  }
  const updated = await tx.transaction.update({ where: { id: charge.id }, data: { amountRefunded: { increment: input.amount } } });
  await recordEvents(tx, [transactionEvent("transaction.created", written[0]!, input.requestId), transactionEvent("transaction.updated", updated, input.requestId)]);
  return true;
}

/**
 * Where the refunds of an ended order's charge stand: what is left to refund (the charge less what
 * its refunds succeeded or still wait for), and how many failed — a retry is a new Stripe refund
 * under a new key. Null when the charge is not in the books.
 */
export async function orderRefundState(client: Tx | Db, tenant: Tenant, contractId: string, stripePaymentIntentId: string): Promise<{ left: number; failed: number } | null> {
  const charge = await client.transaction.findFirst({
    where: { platformId: tenant.platformId, mode: tenant.mode, contractId, type: "incoming", stripePaymentIntentId },
    select: { id: true, amount: true, amountRefunded: true },
  });
  if (!charge) return null;
  const failed = await client.transaction.count({ where: { platformId: tenant.platformId, mode: tenant.mode, refundOfId: charge.id, type: "incoming_refund", status: "failed" } });
  return { left: charge.amount - charge.amountRefunded, failed };
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
