import type { Dispute, Metadata } from "../../../adapters/payments/gateway.js";
import type { Tx } from "../../../db/tenant.js";
import { enqueue } from "../../../jobs/queue.js";
import { ServiceUnavailableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { recordEvents, type RecordEventInput } from "../../events/index.js";
import { transactionEvent } from "../ledger.js";
import { completeRefund } from "./complete.js";
import { planRefund } from "./plan.js";
import { lockPool } from "./reserve.js";
import { findHold, holdFunds, releaseHold } from "./dispute-funds.js";
import { settleRow } from "./outcomes.js";
import { disputeFundsOf } from "../../platforms/index.js";
import type { Transaction } from "../../../generated/prisma/client.js";
import type { RefundsContext } from "./shared.js";

/**
 * Stripe's `charge.dispute.created` / `.updated` / `.closed`, inside the webhook's transaction,
 * with the dispute as re-read from Stripe: the buyer asked their bank for the money back.
 *
 * - Open: the charge's `incoming` becomes `disputed` (it cannot be refunded meanwhile — nor can it
 *   on Stripe). Nothing else moves in the books yet: Stripe holds the amount from the platform's
 *   balance until the bank decides, and the seller keeps their transfer.
 * - Won: the `incoming` is `succeeded` again; nothing was taken from anyone.
 * - Lost: the amount went back to the buyer, like a refund Stripe made for us. A `dispute` row
 *   (`refund_of` the charge, `stripeRefundId` the `dp_…`) takes the place of an `incoming:refund`,
 *   and the settlement is reversed in proportion exactly as a refund would: the sellers' transfers
 *   reversed at Stripe (after the commit, and by the `complete-refund` job), the fees given back —
 *   so Σ incoming = Σ outgoing + Σ fees and Σ refunds and disputes = Σ reversals still hold. Stripe's
 *   dispute fee is a `fee:dispute` row (`refund_of` the charge): a cost of the platform's.
 *   The `incoming` stays `disputed`.
 *
 * Each event is acted on for the dispute as it is now, so a replay or an out-of-order event changes
 * nothing more. A dispute of a charge not in the books yet (its settlement records it right after
 * Stripe answered) is a 503 when the intent names one of our settlements, so Stripe sends it again.
 */
export async function onDispute(ctx: RefundsContext, dispute: Dispute, intentMetadata: Metadata | null, tx: Tx): Promise<(() => Promise<void>) | undefined> {
  const found = await tx.transaction.findFirst({ where: { type: "incoming", stripeChargeId: dispute.chargeId }, select: { id: true } });
  if (!found) {
    if (intentMetadata?.platform_id) throw new ServiceUnavailableError("service_unavailable", `The charge ${dispute.chargeId} is not recorded yet; retry.`);
    return undefined;
  }
  await tx.$queryRaw`SELECT id FROM transactions WHERE id = ${found.id} FOR UPDATE`;
  const charge = await tx.transaction.findUniqueOrThrow({ where: { id: found.id } });
  const events: RecordEventInput[] = [];
  let after: (() => Promise<void>) | undefined;
  const setStatus = async (status: "succeeded" | "disputed") => {
    if (charge.status === status) return;
    events.push(transactionEvent("transaction.updated", await tx.transaction.update({ where: { id: charge.id }, data: { status } }), null));
  };

  // A lost dispute's rows (the amount, or only the fee when nothing was left to take back) say it was recorded.
  const lost = await tx.transaction.findFirst({ where: { idempotencyKey: { in: [`dispute:${dispute.id}`, `dispute:${dispute.id}:fee`] } }, select: { id: true } });
  const hold = await findHold(tx, dispute.id);
  const then = (id: string) => async () => void (await completeRefund(ctx, id).catch(() => undefined));
  if (dispute.status === "won" || dispute.status === "warning_closed") {
    if (charge.status === "disputed" && !lost) {
      // The sellers' transfers reversed when it opened are made again (first: it may ask Stripe to retry).
      if (hold && (await releaseHold(ctx, tx, events, hold))) after = then(hold.id);
      await setStatus("succeeded");
    }
  } else if (dispute.status === "lost") {
    if (!lost) {
      await setStatus("disputed");
      after = await recordLoss(ctx, tx, events, { ...charge, status: "disputed" }, dispute, hold);
    }
  } else if (charge.status === "succeeded") {
    await setStatus("disputed");
    if ((await disputeFundsOf(tx, charge.platformId)) === "reverse") {
      const held = await holdFunds(ctx, tx, events, charge, dispute);
      if (held) after = then(held);
    }
  }
  await recordEvents(tx, events);
  return after;
}

async function recordLoss(
  ctx: RefundsContext,
  tx: Tx,
  events: RecordEventInput[],
  charge: Awaited<ReturnType<Tx["transaction"]["findUniqueOrThrow"]>>,
  dispute: Dispute,
  hold: Transaction | null,
): Promise<(() => Promise<void>) | undefined> {
  const tenant = { platformId: charge.platformId, mode: charge.mode };
  // Held when it opened (disputeFunds `reverse`): the sellers' shares are taken already; the rest is the fees' shares.
  const held = hold?.status === "processing" ? hold.amount : 0;
  if (held > 0) await settleRow(tx, events, null, hold!.id, "succeeded");
  const amount = Math.min(dispute.amount, charge.amount - (charge.amountRefunded - held)) - held;
  const common = {
    platformId: charge.platformId,
    mode: charge.mode,
    contractId: charge.contractId,
    subscriptionId: charge.subscriptionId,
    transferGroup: charge.transferGroup,
    currency: charge.currency,
  };
  let headId: string | null = null;
  const locked = amount > 0 ? await lockPool(tx, tenant, charge) : [];
  if (amount > 0 && locked.every((t) => t.amount - t.amountRefunded <= 0)) {
    // Nothing of the settlement was paid out (its funds were held for the sellers: settle/release.ts in the
    // contracts module pays nothing out while a charge is disputed): the amount comes out of what was held,
    // with nothing to reverse. The books: Σ incoming = Σ disputes, nothing paid out.
    const head = await tx.transaction.create({
      data: {
        ...common,
        id: newId("transaction"),
        type: "dispute",
        status: "succeeded",
        amount,
        refundOfId: charge.id,
        buyerUserId: charge.buyerUserId,
        stripeChargeId: charge.stripeChargeId,
        stripePaymentIntentId: charge.stripePaymentIntentId,
        stripeRefundId: dispute.id,
        description: `Dispute ${dispute.id} lost: the buyer's bank gave the amount back (the sellers had not been paid: their funds were held).`,
        idempotencyKey: `dispute:${dispute.id}`,
      },
    });
    events.push(transactionEvent("transaction.created", head, null));
    events.push(transactionEvent("transaction.updated", await tx.transaction.update({ where: { id: charge.id }, data: { amountRefunded: { increment: amount } } }), null));
  } else if (amount > 0) {
    const fees = locked.filter((t) => t.type !== "outgoing");
    const pool = held > 0 && fees.reduce((sum, t) => sum + t.amount - t.amountRefunded, 0) >= amount ? fees : locked;
    const { refundId, rows, shares } = planRefund(tenant, charge, pool, amount, `Dispute ${dispute.id} lost: the buyer's bank gave the amount back.`);
    headId = refundId;
    rows[0] = { ...rows[0]!, type: "dispute", status: "succeeded", stripeRefundId: dispute.id, idempotencyKey: `dispute:${dispute.id}` };
    // Fee shares are our own books: given back at once. Reversals wait for their gateway calls.
    for (const row of rows.slice(1)) if (row.type !== "outgoing_refund") row.status = "succeeded";
    const written = await tx.transaction.createManyAndReturn({ data: rows });
    const order = new Map(rows.map((r, i) => [r.id, i]));
    written.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    events.push(...written.map((row) => transactionEvent("transaction.created", row, null)));
    events.push(transactionEvent("transaction.updated", await tx.transaction.update({ where: { id: charge.id }, data: { amountRefunded: { increment: amount } } }), null));
    for (const [i, t] of pool.entries()) {
      if (shares[i]! > 0)
        events.push(transactionEvent("transaction.updated", await tx.transaction.update({ where: { id: t.id }, data: { amountRefunded: { increment: shares[i]! } } }), null));
    }
    await enqueue(tx, "complete-refund", { refundId }, { runAt: ctx.clock.now(), jobKey: `complete-refund:${refundId}` });
  }
  if (dispute.fee > 0) {
    const fee = await tx.transaction.create({
      data: {
        ...common,
        id: newId("transaction"),
        type: "fee_dispute",
        status: "succeeded",
        amount: dispute.fee,
        refundOfId: charge.id,
        stripeRefundId: dispute.id,
        description: `Stripe's fee for dispute ${dispute.id}, paid by the platform.`,
        idempotencyKey: `dispute:${dispute.id}:fee`,
      },
    });
    events.push(transactionEvent("transaction.created", fee, null));
  }
  if (!headId) return held > 0 ? async () => void (await completeRefund(ctx, hold!.id).catch(() => undefined)) : undefined;
  const id = headId;
  // The job retries what this leaves processing.
  return async () => void (await completeRefund(ctx, id).catch(() => undefined));
}
