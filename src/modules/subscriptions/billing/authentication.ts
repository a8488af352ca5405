import type { EmailMessage } from "../../../adapters/mailer/mailer.js";
import type { PaymentIntent } from "../../../adapters/payments/gateway.js";
import type { Tx } from "../../../db/tenant.js";
import type { Subscription, SubscriptionCharge } from "../../../generated/prisma/client.js";
import { enqueue } from "../../../jobs/queue.js";
import { formatMoney } from "../../../lib/money.js";
import { platformNameAndUrl } from "../../platforms/index.js";
import { emailOf } from "../../users/index.js";
import { recordSubscriptionEvent } from "../subscriptions.view.js";
import { failedAttempt } from "./outcomes.js";
import { later, type BillingContext, type Charge, type Plan } from "./plan.js";

/**
 * A renewal whose card wants its holder to authenticate (3-D Secure). Off-session the charge
 * declines `authentication_required`; nobody is there to authenticate, so retrying it off-session
 * would decline again. Instead:
 *
 * 1. `askForAuthentication` (the decline's record): the next attempt is made on-session
 *    (`attemptOnSession`), with the same card, at once.
 * 2. That attempt answers `requires_action`: `recordActionRequired` names the intent on the billed
 *    period (`actionPaymentIntentId`), emails the subscriber a link to complete it (Stripe's hosted
 *    page, or the simulator's) and records `subscription.payment_action_required`. No automatic
 *    attempt is made meanwhile; the subscriber has as long as the retries would have taken
 *    (SUBSCRIPTION_RETRY_SCHEDULE's sum, at least a day).
 * 3. The intent's webhook carries on as for any charge (payment-outcome.ts): succeeded, the period
 *    is paid and the subscription renewed; failed, that attempt is a decline like any other.
 * 4. `abandonAuthentication`: the window passed unauthenticated — past due, emailed as after the
 *    last retry. The link still works: completed later, the period is paid and the subscription
 *    recovers by the same webhook.
 */

/** The decline was `authentication_required`: the next attempt asks the subscriber, on-session. False when someone else recorded the attempt's end. */
export async function askForAuthentication(ctx: BillingContext, tx: Tx, sub: Subscription, rowId: string, charge: Charge): Promise<boolean> {
  const now = ctx.clock.now();
  const ended = await tx.subscriptionCharge.updateMany({
    where: { id: rowId, status: "open", attempts: charge.attempt, stripePaymentIntentId: null },
    data: { attempts: charge.attempt + 1, attemptPaymentMethodId: charge.paymentMethodId, attemptOnSession: true, lastAttempt: now, leaseId: null, lockedUntil: null },
  });
  if (ended.count === 0) return false;
  await tx.subscription.update({ where: { id: sub.id }, data: { failedAttempts: sub.failedAttempts + 1, nextAttemptAt: now } });
  return true;
}

export const authenticationWindowMs = (ctx: BillingContext) => Math.max(86_400_000, ctx.retrySchedule.reduce((sum, s) => sum + s, 0) * 1000);

/** The on-session attempt is `requires_action`: the intent is kept, the subscriber emailed once and the event recorded. */
export async function recordActionRequired(ctx: BillingContext, plan: Plan, charge: Charge, intent: PaymentIntent): Promise<void> {
  if (intent.status !== "requires_action") return;
  await ctx.db.$transaction(async (tx) => {
    const marked = await tx.subscriptionCharge.updateMany({
      where: { id: plan.rowId, status: "open", attempts: charge.attempt, stripePaymentIntentId: null, actionPaymentIntentId: null },
      data: { actionPaymentIntentId: intent.id },
    });
    if (marked.count === 0) return;
    await tx.subscription.update({ where: { id: plan.subscriptionId }, data: { nextAttemptAt: later(ctx.clock.now(), authenticationWindowMs(ctx)) } });
    // One after the other: a transaction's queries share one connection.
    const user = await emailOf(tx, plan.userId);
    const platform = await platformNameAndUrl(tx, plan.platformId);
    const subscription = await recordSubscriptionEvent(tx, plan.subscriptionId, "subscription.payment_action_required", plan.requestId);
    const link = intent.nextActionUrl ?? platform.url;
    if (user?.email && !user.deleted) {
      await enqueue(
        tx,
        "send-email",
        authenticationEmail({ to: user.email, platformName: platform.name, subscriptionId: subscription.id, amount: plan.amount, currency: plan.currency, link }),
        { maxAttempts: 10 },
      );
    }
  });
}

/** The window passed and the subscriber did not authenticate: past due (and emailed) as after the last retry. */
export async function abandonAuthentication(ctx: BillingContext, tx: Tx, sub: Subscription, row: SubscriptionCharge): Promise<void> {
  await tx.subscriptionCharge.update({ where: { id: row.id }, data: { attemptPaymentMethodId: null, attemptOnSession: false, actionPaymentIntentId: null } });
  await failedAttempt(ctx, tx, sub, Math.max(sub.failedAttempts, ctx.retrySchedule.length) + 1, null);
}

export function authenticationEmail(input: { to: string; platformName: string; subscriptionId: string; amount: number; currency: string; link: string | null }): EmailMessage {
  const money = formatMoney(input.amount, input.currency);
  const text = [
    `Your bank wants you to confirm the payment of ${money} for your subscription ${input.subscriptionId} on ${input.platformName}.`,
    "",
    ...(input.link ? [`Complete it here: ${input.link}`, ""] : ["Sign in to complete it.", ""]),
    "Until you do, the subscription is not renewed.",
    "",
  ].join("\n");
  return { to: input.to, subject: `${input.platformName}: confirm your subscription payment of ${money} (${input.subscriptionId})`, text };
}
