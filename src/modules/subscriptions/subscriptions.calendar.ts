import type { Db } from "../../db/client.js";
import type { Tx } from "../../db/tenant.js";
import { periodBoundary } from "../../domain/subscriptions/periods.js";
import type { Subscription } from "../../generated/prisma/client.js";
import { syncSubscriptionEvents } from "../calendars/index.js";
import { productName } from "../products/index.js";
import type { StoredTerms } from "./billing/plan.js";

/**
 * A subscription on its parties' calendars (docs/api/calendars.md): each billed period shows as an
 * event of one hour (the whole period when a cycle is shorter) at the period's start, on the
 * subscriber's calendar and on each seller's, with `subscription_id`. Kept ahead for at most
 * 90 days and 30 periods; the hourly `extend-subscription-events` job moves that horizon on.
 * Periods starting while paused are not billed, so they have no event; ending removes the events
 * still to come. Past events stay as history.
 */

const EVENT_MS = 60 * 60_000;
const HORIZON_MS = 90 * 86_400_000;
const MAX_AHEAD = 30;

/** The periods to show from `now` on (the one under way included), as event intervals. */
export function subscriptionOccurrences(sub: Subscription, now: Date): { start: Date; end: Date }[] {
  if (sub.ended || sub.incomplete) return [];
  const out: { start: Date; end: Date }[] = [];
  const horizon = now.getTime() + HORIZON_MS;
  for (let n = sub.periodIndex; out.length < MAX_AHEAD; n++) {
    const start = periodBoundary(sub.startDate, sub.cycle, n);
    if (start.getTime() > horizon) break;
    const next = periodBoundary(sub.startDate, sub.cycle, n + 1);
    const end = new Date(Math.min(start.getTime() + EVENT_MS, next.getTime()));
    if (end.getTime() <= now.getTime()) continue;
    const paused = sub.isPaused && (!sub.pausedAt || start >= sub.pausedAt) && (!sub.pausedUntil || start < sub.pausedUntil);
    if (!paused) out.push({ start, end });
  }
  return out;
}

/** Brings the subscription's calendar events in line with its state, in the caller's transaction. */
export async function placeOnCalendars(tx: Tx, sub: Subscription, now: Date): Promise<void> {
  const sellers = ((sub.terms as unknown as StoredTerms | null)?.sellers ?? []).map((s) => s.user_id);
  const name = sub.serviceId ? await productName(tx, sub.serviceId) : null;
  const occurrences = subscriptionOccurrences(sub, now);
  // The event under way, if any, is kept as it is: from its start on.
  const from = occurrences[0] && occurrences[0].start < now ? occurrences[0].start : now;
  await syncSubscriptionEvents(
    tx,
    { platformId: sub.platformId, mode: sub.mode },
    {
      subscriptionId: sub.id,
      contractId: sub.contractId,
      title: name ?? "Subscription",
      userIds: [sub.userId, ...sellers],
      occurrences,
      from,
    },
  );
}

/** The `extend-subscription-events` job (system scope): every live subscription's events, one transaction each. */
export async function extendSubscriptionEvents(db: Db, now: Date): Promise<number> {
  let after = "";
  let count = 0;
  for (;;) {
    const batch = await db.subscription.findMany({ where: { id: { gt: after }, ended: null, incomplete: false }, orderBy: { id: "asc" }, take: 200, select: { id: true } });
    if (!batch.length) return count;
    for (const { id } of batch) {
      await db.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM subscriptions WHERE id = ${id} FOR UPDATE`;
        if (!rows.length) return;
        await placeOnCalendars(tx, await tx.subscription.findUniqueOrThrow({ where: { id } }), now);
      });
    }
    count += batch.length;
    after = batch.at(-1)!.id;
  }
}
