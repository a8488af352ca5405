import type { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import { isWithin, openIntervals } from "../../../domain/calendar/availability.js";
import type { Calendar } from "../../../generated/prisma/client.js";
import { ConflictError, NotFoundError, ValidationError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { findActiveUsers } from "../../users/index.js";
import type { CreateEventInput } from "../calendars.schemas.js";
import { toDomainEntry } from "../calendars.view.js";
import { importedBusy } from "./busy.js";
import { DAY_MS } from "./shared.js";

/** What an event must be to be written: bookable in its calendar, with attendees who exist. */

const MAX_EVENT_MS = 31 * DAY_MS;

/**
 * Checks a new or moved event against the calendar under its row lock: inside availability
 * (unless it blocks time off) and clear of every other live event. The lock makes two bookings
 * of one slot take turns, so the second sees the first.
 */
export async function assertBookable(tx: Prisma.TransactionClient, calendar: Calendar & { timezone: string }, start: Date, end: Date, isUnavailable: boolean, excludeId?: string) {
  if (end <= start) throw new ValidationError("parameter_invalid", "`eventEnd` must be after `eventStart`.", "eventEnd");
  if (end.getTime() - start.getTime() > MAX_EVENT_MS) throw new ValidationError("parameter_invalid", "An event lasts at most 31 days.", "eventEnd");
  if (!isUnavailable) {
    const entries = (await tx.availability.findMany({ where: { calendarId: calendar.id } })).map(toDomainEntry);
    const open = openIntervals(entries, calendar.timezone, start.getTime(), end.getTime());
    if (!isWithin(open, start.getTime(), end.getTime())) {
      throw new ConflictError("outside_availability", "The event is outside the calendar owner's availability.", "eventStart");
    }
  }
  const clash = await tx.calendarEvent.findFirst({
    where: { calendarId: calendar.id, cancelled: false, eventStart: { lt: end }, eventEnd: { gt: start }, ...(excludeId ? { id: { not: excludeId } } : {}) },
    select: { id: true },
  });
  if (clash) throw new ConflictError("slot_taken", `The time overlaps another event (${clash.id}).`, "eventStart");
  // Time blocked off may overlap what Google says is busy; a booking may not.
  if (!isUnavailable && (await importedBusy(tx, calendar.id, start, end)).length > 0) {
    throw new ConflictError("busy_in_google_calendar", "The time is busy in the calendar owner's Google Calendar.", "eventStart");
  }
}

export async function attendeeRows(tx: Prisma.TransactionClient, tenant: Tenant, eventId: string, attendees: NonNullable<CreateEventInput["attendees"]>) {
  const ids = [...new Set(attendees.flatMap((a) => (a.user_id ? [a.user_id] : [])))];
  const users = await findActiveUsers(tx, tenant, ids);
  const byId = new Map(users.map((u) => [u.id, u]));
  return attendees.map((a, index) => {
    const user = a.user_id ? byId.get(a.user_id) : undefined;
    if (a.user_id && !user) throw new NotFoundError("user", a.user_id, `attendees.${index}.user_id`);
    if (!a.user_id && !a.email) throw new ValidationError("parameter_missing", "An attendee needs a user_id or an email.", `attendees.${index}.email`);
    return {
      id: newId("attendee"),
      platformId: tenant.platformId,
      mode: tenant.mode,
      eventId,
      userId: user?.id ?? null,
      email: a.email ?? user?.email ?? null,
      name: a.name ?? user?.name ?? null,
      responseStatus: a.responseStatus ?? "needsAction",
    };
  });
}
