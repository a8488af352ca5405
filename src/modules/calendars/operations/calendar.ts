import type { Tenant, Tx } from "../../../db/tenant.js";
import type { Calendar } from "../../../generated/prisma/client.js";
import { enqueue } from "../../../jobs/queue.js";
import { type RecordEventInput, recordEvents } from "../../events/index.js";
import type { UpdateCalendarInput } from "../calendars.schemas.js";
import { toCalendarResponse, type CalendarView } from "../calendars.view.js";
import { calendarView, eventOfChange, lockCalendar, type CalendarsContext } from "./shared.js";

/**
 * `PUT /calendars/auth`: the calendar's `name`, `description` and `googleCalendarIds`. New Google
 * calendars have their busy times imported at once by the job queue when Google is connected;
 * those no longer listed lose theirs here.
 */
export async function updateCalendar(ctx: CalendarsContext, tenant: Tenant, userId: string, input: UpdateCalendarInput): Promise<CalendarView> {
  return ctx.db.$transaction(async (tx) => {
    const events: RecordEventInput[] = [];
    const calendar = await lockCalendar(ctx, tx, tenant, userId, events);
    await applyCalendarDetails(ctx, tx, tenant, calendar, input);
    const after = await calendarView(ctx, tenant, userId, null, tx, events);
    events.push(eventOfChange(tenant, "calendar.updated", toCalendarResponse(after)));
    await recordEvents(tx, events);
    return after;
  });
}

/** Writes the details given (under the calendar's lock, in the caller's transaction); true when any was. */
export async function applyCalendarDetails(ctx: CalendarsContext, tx: Tx, tenant: Tenant, calendar: Calendar, input: UpdateCalendarInput): Promise<boolean> {
  const ids = input.googleCalendarIds;
  if (input.name === undefined && input.description === undefined && ids === undefined) return false;
  await tx.calendar.update({
    where: { id: calendar.id },
    data: {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(ids !== undefined ? { googleCalendarIds: ids } : {}),
      updated: ctx.clock.now(),
    },
  });
  if (ids !== undefined) {
    await tx.calendarBusyTime.deleteMany({ where: { calendarId: calendar.id, googleCalendarId: { notIn: ids } } });
    const connected = await tx.googleCalendarConnection.findUnique({ where: { userId: calendar.userId }, select: { id: true } });
    if (connected && ids.some((id) => !calendar.googleCalendarIds.includes(id))) await enqueueBusyRefresh(tx, tenant, calendar.userId);
  }
  return true;
}

export interface RefreshBusyJob {
  platformId: string;
  mode: Tenant["mode"];
  userId: string;
}

/** One pending refresh per user: a second ask before it runs is the same job. */
export function enqueueBusyRefresh(tx: Parameters<typeof enqueue>[0], tenant: Tenant, userId: string) {
  const job: RefreshBusyJob = { platformId: tenant.platformId, mode: tenant.mode, userId };
  return enqueue(tx, "refresh-google-busy", job, { jobKey: `refresh-google-busy:${userId}`, maxAttempts: 5 });
}
