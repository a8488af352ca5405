import { DateTime } from "luxon";
import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { findAvailabilityProblems, freeSlots, isWithin, openIntervals, subtractIntervals, type AvailabilityEntry, type Interval } from "../../domain/calendar/availability.js";
import type { Availability, Calendar, CalendarEvent, EventAttendee } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import { type EventType, recordEvent, type RecordEventInput, recordEvents } from "../events/index.js";
import type { AvailabilityEntryInput, CreateEventInput, UpdateEventInput } from "./calendars.schemas.js";
import type { Tenant } from "../../db/tenant.js";
import { findActiveUser, findActiveUsers } from "../users/index.js";

export type { Tenant };

type Client = Db | Prisma.TransactionClient;
const isPool = (client: Client): client is Db => "$transaction" in client;

const DAY_MS = 86_400_000;
const MAX_EVENT_MS = 31 * DAY_MS;
const MAX_SLOT_WINDOW_MS = 62 * DAY_MS;
const MAX_SLOTS = 2000;

type EventView = CalendarEvent & { attendees: EventAttendee[] };
type CalendarView = Calendar & { availability: Availability[]; events: EventView[]; timezone: string };

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

function toDomainEntry(a: Availability): AvailabilityEntry {
  if (a.overrideDate) {
    return a.isUnavailable
      ? { overrideDate: a.overrideDate.toISOString().slice(0, 10), isUnavailable: true }
      : { overrideDate: a.overrideDate.toISOString().slice(0, 10), startTime: a.startTime!, endTime: a.endTime! };
  }
  return { dayOfWeek: a.dayOfWeek!, startTime: a.startTime!, endTime: a.endTime! };
}

const attendeesOrdered = { attendees: { orderBy: [{ created: "asc" as const }, { id: "asc" as const }] } };

export function createCalendarsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  const eventOfChange = (tenant: Tenant, type: EventType, object: RecordEventInput["object"]): RecordEventInput => ({
    platformId: tenant.platformId,
    mode: tenant.mode,
    requestId: tenant.requestId,
    type,
    object,
  });

  /**
   * The user's calendar, created on first use with a `calendar.created` event — added to `events`
   * when given, for the caller to record once its transaction's writes are done, else recorded at
   * once; 404 for a user of another platform.
   */
  async function ensureCalendar(tenant: Tenant, userId: string, client: Client = db, events?: RecordEventInput[]): Promise<Calendar & { timezone: string }> {
    const user = await findActiveUser(client, tenant, userId);
    if (!user) throw new NotFoundError("user", userId, "user_id");
    const existing = await client.calendar.findUnique({ where: { userId } });
    if (existing) return { ...existing, timezone: user.timezone };
    const create = async (tx: Prisma.TransactionClient, pending: RecordEventInput[]) => {
      // A parallel first use may create it first: then this one records nothing.
      const { count } = await tx.calendar.createMany({ data: [{ id: newId("calendar"), platformId: tenant.platformId, mode: tenant.mode, userId }], skipDuplicates: true });
      const calendar = await tx.calendar.findUniqueOrThrow({ where: { userId } });
      if (count === 1) pending.push(eventOfChange(tenant, "calendar.created", toCalendarResponse({ ...calendar, timezone: user.timezone, availability: [], events: [] })));
      return calendar;
    };
    const createAndRecord = async (tx: Prisma.TransactionClient) => {
      const pending: RecordEventInput[] = [];
      const created = await create(tx, pending);
      await recordEvents(tx, pending);
      return created;
    };
    const calendar = isPool(client) ? await client.$transaction(createAndRecord) : events ? await create(client, events) : await createAndRecord(client);
    return { ...calendar, timezone: user.timezone };
  }

  async function view(tenant: Tenant, userId: string, window: { from: Date; to: Date } | null, client: Client = db, events?: RecordEventInput[]): Promise<CalendarView> {
    const calendar = await ensureCalendar(tenant, userId, client, events);
    // One after the other: `client` may be a transaction, whose queries share one connection.
    const availability = await client.availability.findMany({
      where: { calendarId: calendar.id },
      orderBy: [{ overrideDate: { sort: "asc", nulls: "first" } }, { created: "asc" }, { id: "asc" }],
    });
    const calendarEvents: EventView[] = window
      ? await client.calendarEvent.findMany({
          where: { calendarId: calendar.id, eventEnd: { gt: window.from }, eventStart: { lt: window.to } },
          include: attendeesOrdered,
          orderBy: [{ eventStart: "asc" }, { id: "asc" }],
        })
      : [];
    return { ...calendar, availability, events: calendarEvents };
  }

  /**
   * Checks a new or moved event against the calendar under its row lock: inside availability
   * (unless it blocks time off) and clear of every other live event. The lock makes two bookings
   * of one slot take turns, so the second sees the first.
   */
  async function assertBookable(tx: Prisma.TransactionClient, calendar: Calendar & { timezone: string }, start: Date, end: Date, isUnavailable: boolean, excludeId?: string) {
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
  }

  async function lockCalendar(tx: Prisma.TransactionClient, tenant: Tenant, userId: string, events: RecordEventInput[]) {
    const calendar = await ensureCalendar(tenant, userId, tx, events);
    await tx.$queryRaw`SELECT id FROM calendars WHERE id = ${calendar.id} FOR UPDATE`;
    return calendar;
  }

  async function attendeeRows(tx: Prisma.TransactionClient, tenant: Tenant, eventId: string, attendees: NonNullable<CreateEventInput["attendees"]>) {
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

  async function eventOf(tenant: Tenant, userId: string, eventId: string, client: Db | Prisma.TransactionClient = db): Promise<EventView> {
    const event = await client.calendarEvent.findFirst({
      where: { id: eventId, userId, platformId: tenant.platformId, mode: tenant.mode },
      include: attendeesOrdered,
    });
    if (!event) throw new NotFoundError("event", eventId, "event_id");
    return event;
  }

  return {
    ensureCalendar,

    /** The signed-in user's calendar with its events in [from, to) (default: a week back to 90 days ahead). */
    mine(tenant: Tenant, userId: string, window: { from?: Date; to?: Date }) {
      const now = clock.now().getTime();
      return view(tenant, userId, { from: window.from ?? new Date(now - 7 * DAY_MS), to: window.to ?? new Date(now + 90 * DAY_MS) });
    },

    /** Anyone's availability; their events stay private (free time is at /slots). */
    availabilityOf(tenant: Tenant, userId: string) {
      return view(tenant, userId, null);
    },

    /** Replaces the whole availability list. */
    async setAvailability(tenant: Tenant, userId: string, input: AvailabilityEntryInput[]): Promise<CalendarView> {
      // Every field is kept as sent, so that a closed date that also carries times is caught.
      const entries: AvailabilityEntry[] = input.map((e) =>
        e.overrideDate !== undefined
          ? { overrideDate: e.overrideDate, startTime: e.startTime, endTime: e.endTime, isUnavailable: e.isUnavailable }
          : { dayOfWeek: e.dayOfWeek!, startTime: e.startTime!, endTime: e.endTime! },
      );
      const [problem] = findAvailabilityProblems(entries);
      if (problem)
        throw new ValidationError(
          "parameter_invalid",
          `Availability entry ${problem.index}: ${problem.field} ${problem.message}.`,
          `availability.${problem.index}.${problem.field}`,
        );
      return db.$transaction(async (tx) => {
        const events: RecordEventInput[] = [];
        const calendar = await lockCalendar(tx, tenant, userId, events);
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
        await tx.calendar.update({ where: { id: calendar.id }, data: { updated: clock.now() } });
        const after = await view(tenant, userId, null, tx, events);
        events.push(eventOfChange(tenant, "calendar.availability_updated", toCalendarResponse(after)));
        await recordEvents(tx, events);
        return after;
      });
    },

    retrieveEvent: (tenant: Tenant, userId: string, eventId: string) => eventOf(tenant, userId, eventId),

    async createEvent(tenant: Tenant, userId: string, input: CreateEventInput): Promise<EventView> {
      const id = newId("calendarEvent");
      return db.$transaction(async (tx) => {
        const events: RecordEventInput[] = [];
        const calendar = await lockCalendar(tx, tenant, userId, events);
        await assertBookable(tx, calendar, input.eventStart, input.eventEnd, input.isUnavailable ?? false);
        const { attendees = [], ...fields } = input;
        await tx.calendarEvent.create({ data: { id, platformId: tenant.platformId, mode: tenant.mode, calendarId: calendar.id, userId, ...fields } });
        const rows = await attendeeRows(tx, tenant, id, attendees);
        if (rows.length) await tx.eventAttendee.createMany({ data: rows });
        const created = await eventOf(tenant, userId, id, tx);
        events.push(eventOfChange(tenant, "calendar_event.created", toEventResponse(created)));
        await recordEvents(tx, events);
        return created;
      });
    },

    async updateEvent(tenant: Tenant, userId: string, eventId: string, input: UpdateEventInput): Promise<EventView> {
      return db.$transaction(async (tx) => {
        const events: RecordEventInput[] = [];
        const calendar = await lockCalendar(tx, tenant, userId, events);
        const current = await eventOf(tenant, userId, eventId, tx);
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
        const updated = await eventOf(tenant, userId, eventId, tx);
        events.push(eventOfChange(tenant, "calendar_event.updated", toEventResponse(updated)));
        await recordEvents(tx, events);
        return updated;
      });
    },

    /** Removes an event the user made; events a subscription made are managed through it (409). Answers it as it was. */
    async deleteEvent(tenant: Tenant, userId: string, eventId: string): Promise<EventView> {
      return db.$transaction(async (tx) => {
        const event = await eventOf(tenant, userId, eventId, tx);
        if (event.subscriptionId) {
          throw new ConflictError("subscription_event", "This event belongs to a subscription; manage it through the subscription.", "event_id");
        }
        // A parallel removal may have taken it meanwhile: then this one is a 404 and records nothing.
        const { count } = await tx.calendarEvent.deleteMany({ where: { id: event.id } });
        if (count === 0) throw new NotFoundError("event", eventId, "event_id");
        await recordEvent(tx, eventOfChange(tenant, "calendar_event.deleted", toEventResponse(event)));
        return event;
      });
    },

    async slots(tenant: Tenant, userId: string, query: { from?: Date; to?: Date; duration: number; step?: number; timezone?: string }) {
      const calendar = await ensureCalendar(tenant, userId);
      const from = (query.from ?? clock.now()).getTime();
      const to = query.to ? query.to.getTime() : from + 14 * DAY_MS;
      if (to <= from) throw new ValidationError("parameter_invalid", "`to` must be after `from`.", "to");
      if (to - from > MAX_SLOT_WINDOW_MS) throw new ValidationError("parameter_invalid", "Ask for at most 62 days of slots at once.", "to");
      const zone = query.timezone ?? calendar.timezone;
      const [availability, busy] = await Promise.all([
        db.availability.findMany({ where: { calendarId: calendar.id } }),
        db.calendarEvent.findMany({
          where: { calendarId: calendar.id, cancelled: false, eventEnd: { gt: new Date(from) }, eventStart: { lt: new Date(to) } },
          select: { eventStart: true, eventEnd: true },
        }),
      ]);
      const open = openIntervals(availability.map(toDomainEntry), calendar.timezone, from, to);
      const free = subtractIntervals(
        open,
        busy.map((e): Interval => ({ start: e.eventStart.getTime(), end: e.eventEnd.getTime() })),
      );
      const found = freeSlots(free, query.duration * 60_000, (query.step ?? query.duration) * 60_000, MAX_SLOTS);
      const local = (ms: number) => DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true })!;
      return {
        user_id: userId,
        timezone: zone,
        duration: query.duration,
        slots: found.map((s) => ({ start: local(s.start), end: local(s.end), startUtc: toApiDate(new Date(s.start)), endUtc: toApiDate(new Date(s.end)) })),
      };
    },
  };
}

/** A UTC instant in a time zone (the documented `/calendar/localtime?date=` converter). */
export function localTime(date: Date, timezone: string) {
  const local = DateTime.fromJSDate(date, { zone: timezone });
  return {
    date: toApiDate(date),
    timezone,
    local: local.toISO({ suppressMilliseconds: true })!,
    localDate: local.toISODate()!,
    localTime: local.toFormat("HH:mm:ss"),
    offset: local.toFormat("ZZ"),
    offsetMinutes: local.offset,
    abbreviation: local.offsetNameShort ?? local.toFormat("ZZ"),
  };
}

export type CalendarsService = ReturnType<typeof createCalendarsService>;
