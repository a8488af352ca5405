import type { Dispute } from "../../../adapters/payments/gateway.js";
import type { Tx } from "../../../db/tenant.js";
import type { Transaction } from "../../../generated/prisma/client.js";
import { enqueue } from "../../../jobs/queue.js";
import { ServiceUnavailableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { RecordEventInput } from "../../events/index.js";
import { transactionEvent } from "../ledger.js";
import { loadParties } from "../parties.repo.js";
import { isDefinitive } from "../payment-failures.js";
import { failureNote, settleRow, step } from "./outcomes.js";
import { planRefund } from "./plan.js";
import { lockPool } from "./reserve.js";
import { refundRows, type RefundsContext } from "./shared.js";

/**
 * A platform whose `disputeFunds` is `reverse` takes the sellers' money back when a dispute opens,
 * rather than bearing the disputed amount itself while the bank decides.
 *
 * - Opened: the disputed amount is split over the settlement as a lost dispute would be
 *   (`planRefund`), and the sellers' shares alone are reversed now: a `dispute` row in status
 *   `processing` — the amount held — of their sum (key `dispute:<dp>:hold`), and an
 *   `outgoing:refund` for each transfer, reversed at the gateway after the commit (and by the
 *   `complete-refund` job). The books count a held dispute as given back, so they stay balanced.
 * - Lost: the held row succeeds, and the rest of the amount — the fees' shares — is a second
 *   `dispute` row with the fee refunds (`recordLoss` in dispute.ts).
 * - Won: the held row is `canceled` and each reversal is made good by a new transfer to its seller:
 *   an `outgoing` whose `refund_of` is the reversal (the books count it against the reversal, not as
 *   a second payout); a seller's share the platform absorbed (the reversal was refused) is no longer
 *   absorbed. A won dispute whose reversals are still under way is answered 503: Stripe sends it
 *   again once they ended.
 */

export const holdKey = (disputeId: string) => `dispute:${disputeId}:hold`;

/** Opened: answers the hold's id (its gateway calls are left to `completeRefund`), or null when nothing was held. */
export async function holdFunds(ctx: RefundsContext, tx: Tx, events: RecordEventInput[], charge: Transaction, dispute: Dispute): Promise<string | null> {
  if (await tx.transaction.findFirst({ where: { idempotencyKey: holdKey(dispute.id) }, select: { id: true } })) return null;
  const tenant = { platformId: charge.platformId, mode: charge.mode };
  const amount = Math.min(dispute.amount, charge.amount - charge.amountRefunded);
  if (amount <= 0) return null;
  const pool = await lockPool(tx, tenant, charge);
  const { refundId, rows, shares } = planRefund(tenant, charge, pool, amount, null);
  const reversals = rows.slice(1).filter((r) => r.type === "outgoing_refund");
  const held = reversals.reduce((sum, r) => sum + r.amount, 0);
  if (held === 0) return null;
  const head = {
    ...rows[0]!,
    type: "dispute" as const,
    amount: held,
    stripeRefundId: dispute.id,
    idempotencyKey: holdKey(dispute.id),
    description: `Dispute ${dispute.id} opened: the sellers' transfers are reversed while the bank decides (the platform's disputeFunds is reverse).`,
  };
  const written = await tx.transaction.createManyAndReturn({ data: [head, ...reversals] });
  const order = new Map([head, ...reversals].map((r, i) => [r.id, i]));
  written.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  events.push(...written.map((row) => transactionEvent("transaction.created", row, null)));
  events.push(transactionEvent("transaction.updated", await tx.transaction.update({ where: { id: charge.id }, data: { amountRefunded: { increment: held } } }), null));
  for (const [i, t] of pool.entries()) {
    if (t.type === "outgoing" && shares[i]! > 0) {
      events.push(transactionEvent("transaction.updated", await tx.transaction.update({ where: { id: t.id }, data: { amountRefunded: { increment: shares[i]! } } }), null));
    }
  }
  await enqueue(tx, "complete-refund", { refundId }, { runAt: ctx.clock.now(), jobKey: `complete-refund:${refundId}` });
  return refundId;
}

/** The held row of a dispute, if the platform reversed the sellers' transfers when it opened. */
export function findHold(tx: Tx, disputeId: string): Promise<Transaction | null> {
  return tx.transaction.findFirst({ where: { idempotencyKey: holdKey(disputeId) } });
}

/** Won: the hold is released — its reversals made good by new transfers (after the commit, and by the job). Answers whether it was. */
export async function releaseHold(ctx: RefundsContext, tx: Tx, events: RecordEventInput[], hold: Transaction): Promise<boolean> {
  if (hold.status !== "processing") return false;
  const [, ...rest] = await refundRows(tx, hold.id);
  const reversals = rest.filter((r) => r.type === "outgoing_refund");
  if (reversals.some((r) => r.status === "processing")) {
    throw new ServiceUnavailableError("service_unavailable", `The sellers' transfers held for dispute ${hold.stripeRefundId} are still being reversed; retry.`);
  }
  await settleRow(tx, events, null, hold.id, "canceled");
  events.push(
    transactionEvent("transaction.updated", await tx.transaction.update({ where: { id: hold.refundOfId! }, data: { amountRefunded: { decrement: hold.amount } } }), null),
  );
  for (const reversal of reversals) {
    if (reversal.status === "succeeded") {
      const row = await tx.transaction.create({
        data: {
          id: newId("transaction"),
          platformId: reversal.platformId,
          mode: reversal.mode,
          contractId: reversal.contractId,
          subscriptionId: reversal.subscriptionId,
          transferGroup: reversal.transferGroup,
          currency: reversal.currency,
          type: "outgoing",
          status: "processing",
          sellerUserId: reversal.sellerUserId,
          amount: reversal.amount,
          refundOfId: reversal.id,
          description: `Dispute ${hold.stripeRefundId} won: the reversed transfer is made again.`,
          // Read back with the hold's rows (`refundRows`), after its reversals.
          idempotencyKey: `refund:${hold.id}:r:${reversal.id}`,
        },
      });
      events.push(transactionEvent("transaction.created", row, null));
    } else {
      // Refused: the platform absorbed the share; nothing was taken from the seller, so nothing is to give back, nor absorbed any more.
      const [absorbed] = await tx.transaction.updateManyAndReturn({
        where: { idempotencyKey: `${reversal.idempotencyKey}:absorbed`, status: "succeeded" },
        data: { status: "canceled" },
      });
      if (absorbed) events.push(transactionEvent("transaction.updated", absorbed, null));
    }
  }
  await enqueue(tx, "complete-refund", { refundId: hold.id }, { runAt: ctx.clock.now(), jobKey: `complete-refund:${hold.id}:release` });
  return true;
}

/**
 * The gateway calls of a hold: while it is held, its reversals (`reverseTransfers`, through
 * `completeRefund`); once released, its new transfers, one at a time with keys of our ids.
 */
export async function retransfer(ctx: RefundsContext, rows: readonly Transaction[]): Promise<void> {
  const { db, payments } = ctx;
  let pending: unknown;
  for (const row of rows) {
    if (row.type !== "outgoing" || row.status !== "processing") continue;
    try {
      const destination = await step(db, async (tx) => (await loadParties(tx, row.platformId, { payers: [], payees: [row.sellerUserId!] })).payee(row.sellerUserId!).connectId);
      if (!destination) throw Object.assign(new Error(`seller ${row.sellerUserId} has no Connect account`), { definitive: true });
      const made = await payments.createTransfer({
        amount: row.amount,
        currency: row.currency,
        destination,
        transferGroup: row.transferGroup ?? undefined,
        metadata: { contract_id: row.contractId ?? "", platform_id: row.platformId, mode: row.mode, user_id: row.sellerUserId! },
        idempotencyKey: `retransfer:${row.id}`,
      });
      await step(db, (tx, events) => settleRow(tx, events, null, row.id, "succeeded", { stripeTransferId: made.id }));
    } catch (err) {
      if (!isDefinitive(err) && !(err as { definitive?: boolean }).definitive) {
        pending ??= err;
        continue;
      }
      // Refused: the seller's share stays with the platform, which owes it; the row says why for a person to settle.
      await step(db, (tx, events) => settleRow(tx, events, null, row.id, "failed", { description: failureNote(row.description, err) }));
    }
  }
  if (pending) throw pending;
}
