import type { PaymentIntent } from "../../../adapters/payments/gateway.js";
import type { Tx } from "../../../db/tenant.js";
import type { Subscription, SubscriptionCharge } from "../../../generated/prisma/client.js";
import { enqueue } from "../../../jobs/queue.js";
import { platformNameAndUrl } from "../../platforms/index.js";
import { recordSettlementTransactions } from "../../settlement/index.js";
import { emailOf } from "../../users/index.js";
import { pastDueEmail } from "../subscriptions.emails.js";
import { recordSubscriptionEvent, toSubscriptionResponse } from "../subscriptions.view.js";
import { later, type BillingContext } from "./plan.js";

/** What an attempt's end records — each in the caller's transaction, subscription row first, then the billed period. */

/** A definitive failure of a renewal's attempt (or one that could not start): retry later, or past due. */
export async function failedAttempt(ctx: BillingContext, tx: Tx, sub: Subscription, failures: number, requestId: string | null): Promise<void> {
  const { clock, retrySchedule } = ctx;
  const now = clock.now();
  if (sub.pastDue) {
    // A past-due subscription's own try (its subscriber resumed it) failed: it stays past due.
    await tx.subscription.update({ where: { id: sub.id }, data: { failedAttempts: failures, nextAttemptAt: null } });
    await recordSubscriptionEvent(tx, sub.id, "subscription.renewal_failed", requestId);
    return;
  }
  const delay = retrySchedule[failures - 1];
  if (delay !== undefined) {
    await tx.subscription.update({ where: { id: sub.id }, data: { failedAttempts: failures, nextAttemptAt: later(now, delay * 1000) } });
    await recordSubscriptionEvent(tx, sub.id, "subscription.renewal_failed", requestId);
    return;
  }
  await tx.subscription.update({ where: { id: sub.id }, data: { failedAttempts: failures, pastDue: true, nextAttemptAt: null } });
  // One after the other: a transaction's queries share one connection (pg@9 refuses overlapping ones).
  const user = await emailOf(tx, sub.userId);
  const platform = await platformNameAndUrl(tx, sub.platformId);
  if (user?.email && !user.deleted) {
    const subscription = toSubscriptionResponse(await tx.subscription.findUniqueOrThrow({ where: { id: sub.id } }));
    await enqueue(tx, "send-email", pastDueEmail({ to: user.email, platformName: platform.name, subscription, attempts: failures, url: platform.url }), { maxAttempts: 10 });
  }
  await recordSubscriptionEvent(tx, sub.id, "subscription.renewal_failed", requestId);
  await recordSubscriptionEvent(tx, sub.id, "subscription.past_due", requestId);
}

/**
 * Attempt n of a billed period was declined (once, whoever saw it first). The first cycle's
 * decline takes the subscription away with it; a renewal's is retried or makes it past due.
 */
export async function recordDecline(ctx: BillingContext, tx: Tx, sub: Subscription, rowId: string, attempt: number, requestId: string | null): Promise<void> {
  const ended = await tx.subscriptionCharge.updateMany({
    where: { id: rowId, status: "open", attempts: attempt, stripePaymentIntentId: null },
    data: {
      attempts: attempt + 1,
      attemptPaymentMethodId: null,
      attemptOnSession: false,
      actionPaymentIntentId: null,
      lastAttempt: ctx.clock.now(),
      leaseId: null,
      lockedUntil: null,
    },
  });
  if (ended.count === 0) return;
  if (sub.incomplete) {
    await tx.subscription.delete({ where: { id: sub.id } });
    return;
  }
  await failedAttempt(ctx, tx, sub, attempt + 1, requestId);
}

/** A successful charge of a billed period, recorded once (the charger, a resumed charger, the webhook). */
export async function recordCharge(
  ctx: BillingContext,
  tx: Tx,
  sub: Subscription,
  row: SubscriptionCharge,
  intent: Pick<PaymentIntent, "id" | "chargeId" | "amount" | "currency">,
  requestId: string | null,
): Promise<boolean> {
  const { log } = ctx;
  if (row.stripePaymentIntentId) {
    if (row.stripePaymentIntentId !== intent.id)
      log.error({ subscriptionId: sub.id, period: row.period, paymentIntentId: intent.id }, "a second charge succeeded for a paid period: refund it");
    return false;
  }
  if (intent.amount !== row.amount || intent.currency !== row.currency) {
    log.error(
      { subscriptionId: sub.id, period: row.period, paymentIntentId: intent.id, amount: intent.amount },
      "a charge succeeded for another amount than the period's: it was not recorded; refund it",
    );
    return false;
  }
  await tx.subscriptionCharge.update({
    where: { id: row.id },
    data: { stripePaymentIntentId: intent.id, stripeChargeId: intent.chargeId, attemptPaymentMethodId: null, attemptOnSession: false, actionPaymentIntentId: null },
  });
  await recordSettlementTransactions(tx, {
    platformId: sub.platformId,
    mode: sub.mode,
    requestId,
    contractId: sub.contractId,
    subscriptionId: sub.id,
    currency: row.currency,
    transferGroup: row.transferGroup,
    charges: [{ buyerUserId: sub.userId, amount: intent.amount, stripeChargeId: intent.chargeId ?? "", stripePaymentIntentId: intent.id }],
  });
  return true;
}
