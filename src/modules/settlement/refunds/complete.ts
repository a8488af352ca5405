import type { Refund } from "../../../adapters/payments/gateway.js";
import type { Transaction } from "../../../generated/prisma/client.js";
import { ConflictError } from "../../../lib/errors.js";
import { transactionEvent } from "../ledger.js";
import { isDefinitive } from "../payment-failures.js";
import { failRows, failureNote, refundSucceeded, step } from "./outcomes.js";
import { retransfer } from "./dispute-funds.js";
import { reverseTransfers } from "./reverse.js";
import { refundRows, type RefundsContext } from "./shared.js";

/**
 * Step 2, the gateway, with idempotency keys made of our own ids (`refund:<id>`,
 * `reversal:<id>`), so running it again — the request, then the job, or the job twice — never
 * refunds or reverses twice. The buyer is refunded first; until that succeeds nothing else
 * moves. A refusal of the refund fails the whole refund and releases its amounts; a refused
 * reversal leaves that seller's share with the platform (a `fee:platform:refund` says so, and
 * the books stay balanced). Failures that may pass (Stripe unreachable, timeouts) leave the rows
 * `processing` and are thrown: the job retries with the same keys.
 *
 * Each row that settles gets a `transaction.updated` (and each amount given back to what it was
 * refunding, another); an absorbed share's `fee:platform:refund` a `transaction.created`.
 */
export async function completeRefund(ctx: RefundsContext, refundId: string, requestId?: string | null): Promise<void> {
  const [head, ...rest] = await refundRows(ctx.db, refundId);
  if (!head) return;
  if (head.type === "dispute") {
    // The bank took the money (or holds it): nothing to refund at the gateway, only the sellers' transfers
    // to reverse — or, once a held dispute was won, to make again (`dispute-funds.ts`).
    if (head.status === "canceled") await retransfer(ctx, rest);
    else if (head.status === "processing" || head.status === "succeeded") await reverseTransfers(ctx, rest, requestId);
    return;
  }
  if (head.status === "processing") {
    // A refund Stripe holds `pending` waits for its webhook (`refund.updated`), or for the job to find it ended.
    if ((await refundBuyer(ctx, head, rest, requestId)) === "pending") return;
  } else if (head.status !== "succeeded") {
    return;
  }
  await reverseTransfers(ctx, rest, requestId);
}

/**
 * The buyer's refund at the gateway; once it succeeds, the fees are given back too. Throws when it
 * did not succeed; answers `"pending"` while Stripe has not finished it (the rows stay `processing`,
 * the refund's `re_…` recorded, so the next attempt reads that refund instead of asking again).
 */
async function refundBuyer(ctx: RefundsContext, head: Transaction, rest: readonly Transaction[], requestId: string | null | undefined): Promise<"succeeded" | "pending"> {
  const { db, payments } = ctx;
  let outcome: Omit<Refund, "metadata">;
  try {
    outcome = head.stripeRefundId
      ? await payments.retrieveRefund(head.stripeRefundId)
      : await payments.createRefund({
          paymentIntentId: head.stripePaymentIntentId!,
          amount: head.amount,
          metadata: { platform_id: head.platformId, transaction_id: head.refundOfId!, refund_transaction_id: head.id },
          idempotencyKey: `refund:${head.id}`,
        });
  } catch (err) {
    if (isDefinitive(err)) await step(db, (tx, events) => failRows(tx, events, requestId, [head, ...rest], { description: failureNote(head.description, err) }));
    throw err;
  }
  if (outcome.status === "failed" || outcome.status === "canceled") {
    await step(db, (tx, events) => failRows(tx, events, requestId, [head, ...rest], { stripeRefundId: outcome.id }));
    throw new ConflictError("refund_failed", `The payment processor did not refund the charge (refund ${outcome.id} is ${outcome.status}).`, "id");
  }
  if (outcome.status !== "succeeded") {
    if (!head.stripeRefundId) {
      await step(db, async (tx, events) => {
        const [row] = await tx.transaction.updateManyAndReturn({ where: { id: head.id, status: "processing", stripeRefundId: null }, data: { stripeRefundId: outcome.id } });
        if (row) events.push(transactionEvent("transaction.updated", row, requestId));
      });
    }
    return "pending";
  }
  await step(db, (tx, events) => refundSucceeded(tx, events, requestId, head, rest, outcome.id));
  return "succeeded";
}
