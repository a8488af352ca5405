import { DateTime } from "luxon";
import type { Tenant } from "../../../db/tenant.js";
import type { Calendar } from "../../../generated/prisma/client.js";
import { freeSlots, openIntervals, subtractIntervals, type Interval } from "../../../domain/calendar/availability.js";
import { ValidationError } from "../../../lib/errors.js";
import { toApiDate } from "../../../lib/time.js";
import { toDomainEntry } from "../calendars.view.js";
import { busyIntervals } from "./busy.js";
import { DAY_MS, ensureCalendar, type CalendarsContext } from "./shared.js";

const MAX_SLOT_WINDOW_MS = 62 * DAY_MS;
const MAX_SLOTS = 2000;

/** The free slots of a user's calendar in a window, in their time zone (or the one asked for) and in UTC. */
export async function slots(ctx: CalendarsContext, tenant: Tenant, userId: string, query: { from?: Date; to?: Date; duration: number; step?: number; timezone?: string }) {
  const calendar = await ensureCalendar(ctx, tenant, userId);
  const { from, to } = openingsWindow(ctx, query);
  const zone = query.timezone ?? calendar.timezone;
  const free = await openings(ctx, calendar, from, to);
  const found = freeSlots(free, query.duration * 60_000, (query.step ?? query.duration) * 60_000, MAX_SLOTS);
  const local = (ms: number) => DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!;
  return {
    user_id: userId,
    timezone: zone,
    duration: query.duration,
    slots: found.map((s) => ({ start: local(s.start), end: local(s.end), startUtc: toApiDate(new Date(s.start)), endUtc: toApiDate(new Date(s.end)) })),
  };
}

/** The calendar's open time in [from, to): availability less its live events and its imported busy times. */
export async function openings(ctx: CalendarsContext, calendar: Calendar & { timezone: string }, from: number, to: number): Promise<Interval[]> {
  const [availability, busy] = await Promise.all([
    ctx.db.availability.findMany({ where: { calendarId: calendar.id } }),
    busyIntervals(ctx.db, calendar.id, new Date(from), new Date(to)),
  ]);
  return subtractIntervals(openIntervals(availability.map(toDomainEntry), calendar.timezone, from, to), busy);
}

/** The window of `openings` a query asks for: default now to 14 days on, at most 62 days. */
export function openingsWindow(ctx: CalendarsContext, query: { from?: Date; to?: Date }): { from: number; to: number } {
  const from = (query.from ?? ctx.clock.now()).getTime();
  const to = query.to ? query.to.getTime() : from + 14 * DAY_MS;
  if (to <= from) throw new ValidationError("parameter_invalid", "`to` must be after `from`.", "to");
  if (to - from > MAX_SLOT_WINDOW_MS) throw new ValidationError("parameter_invalid", "Ask for at most 62 days at once.", "to");
  return { from, to };
}
