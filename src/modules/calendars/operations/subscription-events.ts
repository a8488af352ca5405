import type { Tenant, Tx } from "../../../db/tenant.js";
import { NotFoundError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { systemClock } from "../../../lib/time.js";
import { type RecordEventInput, recordEvents } from "../../events/index.js";
import { toEventResponse } from "../calendars.view.js";
import { eventOfChange, lockCalendar, type CalendarsContext } from "./shared.js";

/** What a subscription wants on its parties' calendars from `from` on (subscriptions.calendar.ts computes it). */
export interface SubscriptionEventsSpec {
  subscriptionId: string;
  contractId: string;
  title: string;
  /** The subscriber and the contract's sellers. */
  userIds: string[];
  /** The occurrences starting at or after `from`; none when the subscription ended. */
  occurrences: { start: Date; end: Date }[];
  /** Events that started before it are history and stay as they are. */
  from: Date;
}

// Runs in the caller's transaction (subscriptions'), so it never takes a connection of its own.
const inCallersTransaction = {
  get db(): never {
    throw new Error("subscription events are written in the caller's transaction");
  },
  clock: systemClock,
} as unknown as CalendarsContext;

/**
 * Makes each party's calendar hold the subscription's occurrences from `spec.from` on: events no
 * longer wanted (paused over, ended) are removed, missing ones added, the others kept (same id, so
 * calendar apps subscribed to the feed see no change). Written as they are — a subscription's time
 * is paid for, so neither availability nor other events refuse it. Calendars are locked in id
 * order, as bookings lock them one at a time, so the two never wait on each other in a circle.
 */
export async function syncSubscriptionEvents(tx: Tx, tenant: Tenant, spec: SubscriptionEventsSpec): Promise<void> {
  const events: RecordEventInput[] = [];
  const wanted = spec.occurrences.filter((o) => o.start.getTime() >= spec.from.getTime());
  for (const userId of [...new Set(spec.userIds)].sort()) {
    // With nothing to add, a calendar is not created for it (nor again for a party being erased).
    if (!wanted.length && !(await tx.calendar.findUnique({ where: { userId }, select: { id: true } }))) continue;
    let calendar: Awaited<ReturnType<typeof lockCalendar>>;
    try {
      calendar = await lockCalendar(inCallersTransaction, tx, tenant, userId, events);
    } catch (err) {
      // An erased party has no calendar any more.
      if (err instanceof NotFoundError) continue;
      throw err;
    }
    const existing = await tx.calendarEvent.findMany({
      where: { calendarId: calendar.id, subscriptionId: spec.subscriptionId, eventStart: { gte: spec.from } },
      include: { attendees: true },
    });
    const key = (start: Date, end: Date) => `${start.getTime()}/${end.getTime()}`;
    const wantedKeys = new Set(wanted.map((o) => key(o.start, o.end)));
    const stale = existing.filter((e) => !wantedKeys.has(key(e.eventStart, e.eventEnd)));
    const kept = new Set(existing.filter((e) => !stale.includes(e)).map((e) => key(e.eventStart, e.eventEnd)));
    if (stale.length) await tx.calendarEvent.deleteMany({ where: { id: { in: stale.map((e) => e.id) } } });
    for (const e of stale) events.push(eventOfChange(tenant, "calendar_event.deleted", toEventResponse(e)));
    const now = new Date();
    const rows = wanted
      .filter((o) => !kept.has(key(o.start, o.end)))
      .map((o) => ({
        id: newId("calendarEvent"),
        platformId: tenant.platformId,
        mode: tenant.mode,
        calendarId: calendar.id,
        userId,
        title: spec.title,
        description: `Subscription ${spec.subscriptionId} (contract ${spec.contractId}).`,
        eventStart: o.start,
        eventEnd: o.end,
        booked: true,
        confirmed: true,
        subscriptionId: spec.subscriptionId,
        contractId: spec.contractId,
      }));
    if (rows.length) await tx.calendarEvent.createMany({ data: rows });
    for (const r of rows) {
      events.push(
        eventOfChange(
          tenant,
          "calendar_event.created",
          toEventResponse({ ...r, location: null, color: null, isUnavailable: false, cancelled: false, created: now, updated: now, attendees: [] }),
        ),
      );
    }
  }
  await recordEvents(tx, events);
}
