import type { Tenant } from "../../../db/tenant.js";
import { ConflictError, NotFoundError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { recordEvent, type RecordEventInput, recordEvents } from "../../events/index.js";
import type { CreateEventInput, UpdateEventInput } from "../calendars.schemas.js";
import { toEventResponse, type EventView } from "../calendars.view.js";
import { assertBookable, attendeeRows } from "./bookable.js";
import { eventOf, eventOfChange, lockCalendar, type CalendarsContext } from "./shared.js";

export async function createEvent(ctx: CalendarsContext, tenant: Tenant, userId: string, input: CreateEventInput): Promise<EventView> {
  const id = newId("calendarEvent");
  return ctx.db.$transaction(async (tx) => {
    const events: RecordEventInput[] = [];
    const calendar = await lockCalendar(ctx, tx, tenant, userId, events);
    await assertBookable(tx, calendar, input.eventStart, input.eventEnd, input.isUnavailable ?? false);
    const { attendees = [], ...fields } = input;
    await tx.calendarEvent.create({ data: { id, platformId: tenant.platformId, mode: tenant.mode, calendarId: calendar.id, userId, ...fields } });
    const rows = await attendeeRows(tx, tenant, id, attendees);
    if (rows.length) await tx.eventAttendee.createMany({ data: rows });
    const created = await eventOf(ctx, tenant, userId, id, tx);
    events.push(eventOfChange(tenant, "calendar_event.created", toEventResponse(created)));
    await recordEvents(tx, events);
    return created;
  });
}

export async function updateEvent(ctx: CalendarsContext, tenant: Tenant, userId: string, eventId: string, input: UpdateEventInput): Promise<EventView> {
  return ctx.db.$transaction(async (tx) => {
    const events: RecordEventInput[] = [];
    const calendar = await lockCalendar(ctx, tx, tenant, userId, events);
    const current = await eventOf(ctx, tenant, userId, eventId, tx);
    const start = input.eventStart ?? current.eventStart;
    const end = input.eventEnd ?? current.eventEnd;
    const cancelled = input.cancelled ?? current.cancelled;
    const moved = start.getTime() !== current.eventStart.getTime() || end.getTime() !== current.eventEnd.getTime();
    const revived = current.cancelled && !cancelled;
    const unavailable = input.isUnavailable ?? current.isUnavailable;
    if (!cancelled && (moved || revived || unavailable !== current.isUnavailable)) {
      await assertBookable(tx, calendar, start, end, unavailable, eventId);
    }
    const { attendees, ...fields } = input;
    await tx.calendarEvent.update({ where: { id: eventId }, data: fields });
    if (attendees) {
      await tx.eventAttendee.deleteMany({ where: { eventId } });
      const rows = await attendeeRows(tx, tenant, eventId, attendees);
      if (rows.length) await tx.eventAttendee.createMany({ data: rows });
    }
    const updated = await eventOf(ctx, tenant, userId, eventId, tx);
    events.push(eventOfChange(tenant, "calendar_event.updated", toEventResponse(updated)));
    await recordEvents(tx, events);
    return updated;
  });
}

/** Removes an event the user made; events a subscription made are managed through it (409). Answers it as it was. */
export async function deleteEvent(ctx: CalendarsContext, tenant: Tenant, userId: string, eventId: string): Promise<EventView> {
  return ctx.db.$transaction(async (tx) => {
    const event = await eventOf(ctx, tenant, userId, eventId, tx);
    if (event.subscriptionId) {
      throw new ConflictError("subscription_event", "This event belongs to a subscription; manage it through the subscription.", "event_id");
    }
    // A parallel removal may have taken it meanwhile: then this one is a 404 and records nothing.
    const { count } = await tx.calendarEvent.deleteMany({ where: { id: event.id } });
    if (count === 0) throw new NotFoundError("event", eventId, "event_id");
    await recordEvent(tx, eventOfChange(tenant, "calendar_event.deleted", toEventResponse(event)));
    return event;
  });
}
