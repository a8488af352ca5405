import type { Tx } from "../../../db/tenant.js";
import type { PaymentIntentOutcome } from "../../../generated/prisma/client.js";
import type { Mode } from "../../../generated/prisma/enums.js";
import { enqueue } from "../../../jobs/queue.js";
import { lockSubscription } from "../subscriptions.repo.js";
import { recordCharge, recordDecline } from "./outcomes.js";
import type { BillingContext, RenewSubscriptionJob } from "./plan.js";

/**
 * The PaymentOutcomeHandler for subscription charges (`subscription_id` in the PaymentIntent's
 * metadata), inside the Stripe webhook's transaction: a success records the charge if it was not
 * (a charge that cleared after our node died, or a bank debit) and has the job finish the
 * period; a decline ends that attempt, once.
 */
export async function onPaymentOutcome(ctx: BillingContext, outcome: PaymentIntentOutcome, tx: Tx): Promise<void> {
  const metadata = (outcome.metadata ?? {}) as Record<string, unknown>;
  const subscriptionId = typeof metadata.subscription_id === "string" ? metadata.subscription_id : null;
  const platformId = typeof metadata.platform_id === "string" ? metadata.platform_id : null;
  const mode: Mode | null = metadata.mode === "test" || metadata.mode === "live" ? metadata.mode : null;
  const period = Number(metadata.period);
  if (!subscriptionId || !platformId || !mode || !Number.isInteger(period) || outcome.platformId !== platformId) return;
  const sub = await lockSubscription(tx, { platformId, mode }, subscriptionId);
  if (!sub) return;
  const row = await tx.subscriptionCharge.findUnique({ where: { subscriptionId_period: { subscriptionId, period } } });
  if (row?.status !== "open") return;
  await tx.$queryRaw`SELECT id FROM subscription_charges WHERE id = ${row.id} FOR UPDATE`;
  if (outcome.status === "succeeded") {
    const recorded = await recordCharge(ctx, tx, sub, row, { id: outcome.id, chargeId: outcome.chargeId, amount: outcome.amount, currency: outcome.currency }, null);
    if (recorded) {
      // The charger at work (if any) carries on; if it died, the job does once its lease lapsed.
      await enqueue(tx, "renew-subscription", { subscriptionId, platformId, mode } satisfies RenewSubscriptionJob, {
        jobKey: `renew-subscription:${subscriptionId}`,
        maxAttempts: 5,
      });
    }
    return;
  }
  if (outcome.status === "requires_payment_method" || outcome.status === "canceled") {
    const attempt = Number(metadata.attempt);
    if (Number.isInteger(attempt)) await recordDecline(ctx, tx, sub, row.id, attempt, null);
  }
}
