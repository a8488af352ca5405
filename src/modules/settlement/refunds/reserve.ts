import type { Tenant, Tx } from "../../../db/tenant.js";
import type { Transaction } from "../../../generated/prisma/client.js";
import { NotFoundError } from "../../../lib/errors.js";
import { enqueue } from "../../../jobs/queue.js";
import { recordEvents } from "../../events/index.js";
import { transactionEvent } from "../ledger.js";
import { POOL_TYPES } from "../ledger.repo.js";
import { assertSettlementComplete, planRefund, refundAmount } from "./plan.js";
import { REFUND_RESUME_DELAY_MS, type RefundInput, type RefundsContext } from "./shared.js";

/**
 * Step 1, in one database transaction: checks the charge, splits the amount over its
 * settlement's transfers and fees, writes the `:refund` transactions as `processing` and counts
 * them in `amountRefunded` at once — under row locks on the charge and on its settlement's
 * transactions, so concurrent refunds queue and can never pass the amount captured. A job is
 * queued to finish the refund should this process stop before step 2 does. Events: a
 * `transaction.created` per row written, then a `transaction.updated` for the charge and for
 * each transfer or fee whose `amountRefunded` grew.
 */
export async function reserveRefund(ctx: RefundsContext, tenant: Tenant, id: string, input: RefundInput): Promise<string> {
  const { clock } = ctx;
  return ctx.db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM transactions WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
    if (locked.length === 0) throw new NotFoundError("transaction", id, "id");
    const charge = await tx.transaction.findUniqueOrThrow({ where: { id } });
    const amount = refundAmount(charge, input);

    const pool = await lockPool(tx, tenant, charge);
    const group = { platformId: tenant.platformId, mode: tenant.mode, transferGroup: charge.transferGroup, contractId: charge.contractId };
    const charged = await tx.transaction.aggregate({ where: { ...group, type: "incoming", status: "succeeded" }, _sum: { amount: true } });
    assertSettlementComplete(id, pool, charged._sum.amount ?? 0);

    const { refundId, rows, shares } = planRefund(tenant, charge, pool, amount, input.description, input.sellerUserIds);
    const written = await tx.transaction.createManyAndReturn({ data: rows });
    const order = new Map(rows.map((r, i) => [r.id, i]));
    written.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const refunded = [await tx.transaction.update({ where: { id: charge.id }, data: { amountRefunded: { increment: amount } } })];
    for (const [i, t] of pool.entries()) {
      if (shares[i]! > 0) refunded.push(await tx.transaction.update({ where: { id: t.id }, data: { amountRefunded: { increment: shares[i]! } } }));
    }
    const theirs = input.within ? await input.within(tx, { refundId, charge }) : [];
    await enqueue(tx, "complete-refund", { refundId }, { runAt: new Date(clock.now().getTime() + REFUND_RESUME_DELAY_MS), jobKey: `complete-refund:${refundId}` });
    await recordEvents(tx, [
      ...written.map((row) => transactionEvent("transaction.created", row, tenant.requestId)),
      ...refunded.map((row) => transactionEvent("transaction.updated", row, tenant.requestId)),
      ...theirs,
    ]);
    return refundId;
  });
}

/** The settlement's transfers and fees, locked in id order (as every refund locks them), answered in the pool's order. */
export async function lockPool(tx: Tx, tenant: Tenant, charge: Transaction): Promise<Transaction[]> {
  const poolIds = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM transactions
    WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode"
      AND transfer_group IS NOT DISTINCT FROM ${charge.transferGroup} AND contract_id IS NOT DISTINCT FROM ${charge.contractId}
      AND type IN ('outgoing', 'fee:stripe', 'fee:candle', 'fee:platform') AND status = 'succeeded'
    ORDER BY id FOR UPDATE`;
  const unordered = await tx.transaction.findMany({ where: { id: { in: poolIds.map((r) => r.id) } } });
  return unordered.sort((a, b) => POOL_TYPES.indexOf(a.type) - POOL_TYPES.indexOf(b.type) || a.created.getTime() - b.created.getTime() || (a.id < b.id ? -1 : 1));
}
