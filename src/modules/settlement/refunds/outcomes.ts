import type { Db, Prisma } from "../../../db/client.js";
import type { Tx } from "../../../db/tenant.js";
import type { Transaction } from "../../../generated/prisma/client.js";
import type { TransactionStatus } from "../../../generated/prisma/enums.js";
import { recordEvents, type RecordEventInput } from "../../events/index.js";
import { transactionEvent } from "../ledger.js";

/** How a refund's rows end (step 2's writes), each change adding its event. */

/**
 * Marks a processing row as it ended; a row another attempt already settled is left alone (false).
 * Adds its `transaction.updated` to `events`.
 */
export async function settleRow(
  tx: Tx,
  events: RecordEventInput[],
  requestId: string | null | undefined,
  id: string,
  status: TransactionStatus,
  data: Prisma.TransactionUpdateManyMutationInput = {},
): Promise<boolean> {
  const [row] = await tx.transaction.updateManyAndReturn({ where: { id, status: "processing" }, data: { ...data, status } });
  if (row) events.push(transactionEvent("transaction.updated", row, requestId));
  return row !== undefined;
}

/** One database transaction of step 2: `work` adds the events of its changes, recorded last. */
export function step<T>(db: Db, work: (tx: Tx, events: RecordEventInput[]) => Promise<T>): Promise<T> {
  return db.$transaction(async (tx) => {
    const events: RecordEventInput[] = [];
    const result = await work(tx, events);
    await recordEvents(tx, events);
    return result;
  });
}

/**
 * Fails processing rows and gives their amounts back to what they were refunding, so that can be
 * refunded again. The charge first, then the settlement's rows in id order: the order
 * `reserveRefund` locks them in, so the two cannot deadlock.
 */
export async function failRows(
  tx: Tx,
  events: RecordEventInput[],
  requestId: string | null | undefined,
  rows: readonly Transaction[],
  data: Prisma.TransactionUpdateManyMutationInput = {},
): Promise<void> {
  const failed: Transaction[] = [];
  for (const row of rows) if (await settleRow(tx, events, requestId, row.id, "failed", row.type === "incoming_refund" ? data : {})) failed.push(row);
  const order = (t: Transaction) => (t.type === "incoming_refund" ? "" : t.refundOfId!);
  for (const row of failed.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))) {
    const released = await tx.transaction.update({ where: { id: row.refundOfId! }, data: { amountRefunded: { decrement: row.amount } } });
    events.push(transactionEvent("transaction.updated", released, requestId));
  }
}

/**
 * The buyer has the money: the `incoming:refund` succeeds, and the fee refunds with it (fees are
 * our own books); the reversals wait for their gateway calls. False when another attempt (the
 * request, the job, a webhook) settled it first.
 */
export async function refundSucceeded(
  tx: Tx,
  events: RecordEventInput[],
  requestId: string | null | undefined,
  head: Transaction,
  rest: readonly Transaction[],
  stripeRefundId: string,
): Promise<boolean> {
  if (!(await settleRow(tx, events, requestId, head.id, "succeeded", { stripeRefundId }))) return false;
  for (const row of rest) if (row.type !== "outgoing_refund") await settleRow(tx, events, requestId, row.id, "succeeded");
  return true;
}

export function failureNote(description: string | null, err: unknown): string {
  const note = `Failed: ${(err as Error).message}`;
  return description ? `${description} — ${note}` : note;
}
