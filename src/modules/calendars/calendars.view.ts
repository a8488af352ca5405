import type { AvailabilityEntry } from "../../domain/calendar/availability.js";
import type { Availability, Calendar, CalendarEvent, EventAttendee } from "../../generated/prisma/client.js";
import { toApiDate } from "../../lib/time.js";

/** A calendar and its events as the API answers them: no database here. */

export type EventView = CalendarEvent & { attendees: EventAttendee[] };
export type CalendarView = Calendar & { availability: Availability[]; events: EventView[]; timezone: string };

function toAvailabilityResponse(a: Availability) {
  return {
    id: a.id,
    dayOfWeek: a.dayOfWeek,
    overrideDate: a.overrideDate ? a.overrideDate.toISOString().slice(0, 10) : null,
    startTime: a.startTime,
    endTime: a.endTime,
    isUnavailable: a.isUnavailable,
  };
}

export function toEventResponse(e: EventView) {
  return {
    id: e.id,
    calendar_id: e.calendarId,
    user_id: e.userId,
    title: e.title,
    description: e.description,
    location: e.location,
    color: e.color,
    eventStart: toApiDate(e.eventStart),
    eventEnd: toApiDate(e.eventEnd),
    isUnavailable: e.isUnavailable,
    cancelled: e.cancelled,
    booked: e.booked,
    confirmed: e.confirmed,
    attendees: e.attendees.map((a) => ({ user_id: a.userId, email: a.email, name: a.name, responseStatus: a.responseStatus })),
    subscription_id: e.subscriptionId,
    contract_id: e.contractId,
    created: toApiDate(e.created),
    updated: toApiDate(e.updated),
  };
}

export function toCalendarResponse(c: CalendarView) {
  return {
    id: c.id,
    platform_id: c.platformId,
    user_id: c.userId,
    name: c.name,
    description: c.description,
    googleCalendarIds: c.googleCalendarIds,
    timezone: c.timezone,
    availability: c.availability.map(toAvailabilityResponse),
    events: c.events.map(toEventResponse),
    created: toApiDate(c.created),
    updated: toApiDate(c.updated),
  };
}

export function toDomainEntry(a: Availability): AvailabilityEntry {
  if (a.overrideDate) {
    return a.isUnavailable
      ? { overrideDate: a.overrideDate.toISOString().slice(0, 10), isUnavailable: true }
      : { overrideDate: a.overrideDate.toISOString().slice(0, 10), startTime: a.startTime!, endTime: a.endTime! };
  }
  return { dayOfWeek: a.dayOfWeek!, startTime: a.startTime!, endTime: a.endTime! };
}

export const attendeesOrdered = { attendees: { orderBy: [{ created: "asc" as const }, { id: "asc" as const }] } };
