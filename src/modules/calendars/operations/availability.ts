import type { Tenant } from "../../../db/tenant.js";
import { findAvailabilityProblems, type AvailabilityEntry } from "../../../domain/calendar/availability.js";
import { ValidationError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { type RecordEventInput, recordEvents } from "../../events/index.js";
import type { AvailabilityEntryInput, UpdateCalendarInput } from "../calendars.schemas.js";
import { applyCalendarDetails } from "./calendar.js";
import { toCalendarResponse, type CalendarView } from "../calendars.view.js";
import { toApiDate } from "../../../lib/time.js";
import { openings, openingsWindow } from "./slots.js";
import { calendarView, DAY_MS, eventOfChange, lockCalendar, type CalendarsContext } from "./shared.js";

/** The signed-in user's calendar with its events in [from, to) (default: a week back to 90 days ahead). */
export function mine(ctx: CalendarsContext, tenant: Tenant, userId: string, window: { from?: Date; to?: Date }) {
  const now = ctx.clock.now().getTime();
  return calendarView(ctx, tenant, userId, { from: window.from ?? new Date(now - 7 * DAY_MS), to: window.to ?? new Date(now + 90 * DAY_MS) });
}

/**
 * Anyone's availability, with its `openings` in a window: the availability less the owner's events
 * and Google busy times, as intervals (their events' details stay private).
 */
export async function availabilityOf(ctx: CalendarsContext, tenant: Tenant, userId: string, query: { from?: Date; to?: Date } = {}) {
  const window = openingsWindow(ctx, query);
  const view = await calendarView(ctx, tenant, userId, null);
  const open = await openings(ctx, view, window.from, window.to);
  return { view, openings: open.map((i) => ({ start: toApiDate(new Date(i.start)), end: toApiDate(new Date(i.end)) })) };
}

/** Replaces the whole availability list. */
export async function setAvailability(
  ctx: CalendarsContext,
  tenant: Tenant,
  userId: string,
  input: AvailabilityEntryInput[],
  details: UpdateCalendarInput = {},
): Promise<CalendarView> {
  // Every field is kept as sent, so that a closed date that also carries times is caught.
  const entries: AvailabilityEntry[] = input.map((e) =>
    e.overrideDate !== undefined
      ? { overrideDate: e.overrideDate, startTime: e.startTime, endTime: e.endTime, isUnavailable: e.isUnavailable }
      : { dayOfWeek: e.dayOfWeek!, startTime: e.startTime!, endTime: e.endTime! },
  );
  const [problem] = findAvailabilityProblems(entries);
  if (problem)
    throw new ValidationError("parameter_invalid", `Availability entry ${problem.index}: ${problem.field} ${problem.message}.`, `availability.${problem.index}.${problem.field}`);
  return ctx.db.$transaction(async (tx) => {
    const events: RecordEventInput[] = [];
    const calendar = await lockCalendar(ctx, tx, tenant, userId, events);
    await tx.availability.deleteMany({ where: { calendarId: calendar.id } });
    await tx.availability.createMany({
      data: entries.map((e) => ({
        id: newId("availability"),
        platformId: tenant.platformId,
        mode: tenant.mode,
        calendarId: calendar.id,
        dayOfWeek: "dayOfWeek" in e ? e.dayOfWeek : null,
        overrideDate: "overrideDate" in e ? new Date(`${e.overrideDate}T00:00:00Z`) : null,
        startTime: e.startTime ?? null,
        endTime: e.endTime ?? null,
        isUnavailable: "isUnavailable" in e ? Boolean(e.isUnavailable) : false,
      })),
    });
    const detailed = await applyCalendarDetails(ctx, tx, tenant, calendar, details);
    if (!detailed) await tx.calendar.update({ where: { id: calendar.id }, data: { updated: ctx.clock.now() } });
    const after = await calendarView(ctx, tenant, userId, null, tx, events);
    if (detailed) events.push(eventOfChange(tenant, "calendar.updated", toCalendarResponse(after)));
    events.push(eventOfChange(tenant, "calendar.availability_updated", toCalendarResponse(after)));
    await recordEvents(tx, events);
    return after;
  });
}
