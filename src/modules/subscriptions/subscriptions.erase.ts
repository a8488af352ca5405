import type { Tx } from "../../db/tenant.js";
import { placeOnCalendars } from "./subscriptions.calendar.js";
import { recordSubscriptionEvent } from "./subscriptions.view.js";

/** Erasure's part here: the user's live subscriptions end now, each started one with its `subscription.ended` event. */
export async function endUserSubscriptions(tx: Tx, user: { id: string }, now: Date): Promise<void> {
  const ending = await tx.subscription.findMany({ where: { userId: user.id, ended: null, incomplete: false }, select: { id: true } });
  await tx.subscription.updateMany({ where: { userId: user.id, ended: null }, data: { isActive: false, isPaused: false, ended: now, nextAttemptAt: null } });
  for (const s of ending) {
    await placeOnCalendars(tx, await tx.subscription.findUniqueOrThrow({ where: { id: s.id } }), now);
    await recordSubscriptionEvent(tx, s.id, "subscription.ended", null);
  }
}
