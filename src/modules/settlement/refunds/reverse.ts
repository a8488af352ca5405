import type { Transaction } from "../../../generated/prisma/client.js";
import { newId } from "../../../lib/ids.js";
import { transactionEvent } from "../ledger.js";
import { isDefinitive } from "../payment-failures.js";
import { failureNote, settleRow, step } from "./outcomes.js";
import type { RefundsContext } from "./shared.js";

/**
 * The sellers' transfers reversed at the gateway, once the buyer is refunded: each reversal
 * still processing, one at a time. A refused reversal leaves the seller's share with the
 * platform; a failure that may pass is thrown after the others are tried (the job retries).
 */
export async function reverseTransfers(ctx: RefundsContext, rows: readonly Transaction[], requestId: string | null | undefined): Promise<void> {
  const { db, payments } = ctx;
  let pending: unknown;
  for (const row of rows) {
    if (row.type !== "outgoing_refund" || row.status !== "processing") continue;
    try {
      const reversal = await payments.createTransferReversal({ transferId: row.stripeTransferId!, amount: row.amount, idempotencyKey: `reversal:${row.id}` });
      await step(db, (tx, events) => settleRow(tx, events, requestId, row.id, "succeeded", { stripeRefundId: reversal.id }));
    } catch (err) {
      if (!isDefinitive(err)) {
        pending ??= err;
        continue;
      }
      await step(db, async (tx, events) => {
        if (!(await settleRow(tx, events, requestId, row.id, "failed", { description: failureNote(row.description, err) }))) return;
        // The seller keeps the share; the platform gives it back instead, so refundOf's amountRefunded stays.
        const absorbed = await tx.transaction.create({
          data: {
            id: newId("transaction"),
            platformId: row.platformId,
            mode: row.mode,
            contractId: row.contractId,
            subscriptionId: row.subscriptionId,
            transferGroup: row.transferGroup,
            currency: row.currency,
            type: "fee_platform_refund",
            status: "succeeded",
            amount: row.amount,
            refundOfId: row.refundOfId,
            description: `The seller's transfer could not be reversed (${(err as Error).message}): the platform absorbs this share.`,
            idempotencyKey: `${row.idempotencyKey}:absorbed`,
          },
        });
        events.push(transactionEvent("transaction.created", absorbed, requestId));
      });
    }
  }
  if (pending) throw pending;
}
