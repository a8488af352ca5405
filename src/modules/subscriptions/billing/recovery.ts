import type { Tx } from "../../../db/tenant.js";
import { periodAt, periodBoundary } from "../../../domain/subscriptions/periods.js";
import type { Subscription } from "../../../generated/prisma/client.js";
import { ConflictError } from "../../../lib/errors.js";
import { openCharge, openPeriod } from "../subscriptions.repo.js";
import { assertChargeable, claim } from "./attempt.js";
import type { BillingContext, Plan } from "./plan.js";

/**
 * A past-due subscription's subscriber resumed it: charge the period it is in now — the one that
 * failed if it is not over yet; else that one is given up and the periods since are not charged.
 * Inside the resume's transaction; answers the plan to execute after the commit.
 */
export async function planRecovery(ctx: BillingContext, tx: Tx, sub: Subscription, requestId: string): Promise<Plan> {
  const now = ctx.clock.now();
  const inputs = await assertChargeable(tx, sub);
  let row = await openCharge(tx, sub);
  if (row && (row.attemptPaymentMethodId || row.stripePaymentIntentId || (row.lockedUntil && row.lockedUntil.getTime() > now.getTime()))) {
    throw new ConflictError("renewal_in_progress", `${sub.id}'s renewal is being charged right now; retry shortly.`, "id");
  }
  const current = periodAt(sub.startDate, sub.cycle, now);
  if (!row || row.period < current) {
    if (row) await tx.subscriptionCharge.update({ where: { id: row.id }, data: { status: "void" } });
    const period = Math.max(current, sub.periodIndex + 1);
    // The periods it missed while past due are not charged: the one before the charged one is current.
    await tx.subscription.update({
      where: { id: sub.id },
      data: {
        periodIndex: period - 1,
        currentPeriodStart: periodBoundary(sub.startDate, sub.cycle, period - 1),
        currentPeriodEnd: periodBoundary(sub.startDate, sub.cycle, period),
      },
    });
    row = await openPeriod(tx, { ...sub, periodIndex: period - 1 }, period);
  }
  const plan = await claim(ctx, tx, sub, row, inputs, requestId);
  if (!plan) throw new Error(`${sub.id}: the recovery charge could not be planned`);
  return plan;
}
