import type { Refund } from "../../../adapters/payments/gateway.js";
import type { Tx } from "../../../db/tenant.js";
import { enqueue } from "../../../jobs/queue.js";
import { recordEvents, type RecordEventInput } from "../../events/index.js";
import { failRows, refundSucceeded } from "./outcomes.js";
import { refundRows, type RefundsContext } from "./shared.js";
import { completeRefund } from "./complete.js";

/**
 * Stripe's `refund.updated` (and `charge.refund.updated`, `refund.failed`) for one of our refunds,
 * inside the webhook's transaction, with the refund as re-read from Stripe. A refund that was
 * `pending` and ends:
 * - `succeeded`: its `incoming:refund` and fee refunds succeed; the sellers' transfers are reversed
 *   after the commit (the answered callback), and by the `complete-refund` job should that fail.
 * - `failed` / `canceled`: every row of the refund fails and the amounts go back to what they
 *   refunded, which can be refunded again — the books as if it had not been asked for. No transfer
 *   was reversed yet (reversals wait for the buyer's refund to succeed), so none is to undo.
 * Anything else (still pending, a refund we did not make, one already settled) changes nothing,
 * so a replayed or out-of-order event does no harm.
 */
export async function onRefundOutcome(ctx: RefundsContext, refund: Refund, tx: Tx): Promise<(() => Promise<void>) | undefined> {
  const byMetadata = refund.metadata.refund_transaction_id;
  const head = await tx.transaction.findFirst({
    where: { type: "incoming_refund", ...(byMetadata ? { OR: [{ id: byMetadata }, { stripeRefundId: refund.id }] } : { stripeRefundId: refund.id }) },
  });
  if (head?.status !== "processing") return undefined;
  // Ours only if Stripe's refund is the one recorded on it (or, before that was recorded, the metadata names it and its platform).
  if (head.stripeRefundId ? head.stripeRefundId !== refund.id : refund.metadata.platform_id !== head.platformId) return undefined;
  const [, ...rest] = await refundRows(tx, head.id);
  const events: RecordEventInput[] = [];
  let after: (() => Promise<void>) | undefined;
  if (refund.status === "succeeded") {
    if (await refundSucceeded(tx, events, null, head, rest, refund.id)) {
      await enqueue(tx, "complete-refund", { refundId: head.id }, { runAt: ctx.clock.now(), jobKey: `complete-refund:${head.id}` });
      after = async () => {
        // The job retries what this leaves processing.
        await completeRefund(ctx, head.id).catch(() => undefined);
      };
    }
  } else if (refund.status === "failed" || refund.status === "canceled") {
    await failRows(tx, events, null, [head, ...rest], { stripeRefundId: refund.id, description: refundFailedNote(head.description, refund) });
  }
  await recordEvents(tx, events);
  return after;
}

function refundFailedNote(description: string | null, refund: Refund): string {
  const note = `Failed: the payment processor reported refund ${refund.id} ${refund.status}.`;
  return description ? `${description} — ${note}` : note;
}
