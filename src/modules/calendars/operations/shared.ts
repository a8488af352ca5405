import type { GoogleCalendarGateway } from "../../../adapters/google-calendar/gateway.js";
import type { Db } from "../../../db/client.js";
import type { Sealer } from "../../../lib/sealed.js";
import type { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import type { Calendar } from "../../../generated/prisma/client.js";
import { NotFoundError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { Clock } from "../../../lib/time.js";
import { type EventType, type RecordEventInput, recordEvents } from "../../events/index.js";
import { findActiveUser } from "../../users/index.js";
import { attendeesOrdered, toCalendarResponse, type CalendarView, type EventView } from "../calendars.view.js";

/** What every calendar operation works with, and the steps they share. */
export interface CalendarsContext {
  db: Db;
  clock: Clock;
  /** Google Calendar (or its offline fake), for busy times. */
  google: GoogleCalendarGateway;
  /** Derived keys (src/lib/sealed.ts): the feed URLs' MACs, the OAuth states' MACs, the sealed refresh tokens. */
  keys: { feed: Buffer; oauthState: Buffer; tokens: Sealer };
  publicUrl: string;
}

export type Client = Db | Prisma.TransactionClient;
const isPool = (client: Client): client is Db => "$transaction" in client;

export const DAY_MS = 86_400_000;

export const eventOfChange = (tenant: Tenant, type: EventType, object: RecordEventInput["object"]): RecordEventInput => ({
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
export async function ensureCalendar(
  ctx: CalendarsContext,
  tenant: Tenant,
  userId: string,
  client: Client = ctx.db,
  events?: RecordEventInput[],
): Promise<Calendar & { timezone: string }> {
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

export async function calendarView(
  ctx: CalendarsContext,
  tenant: Tenant,
  userId: string,
  window: { from: Date; to: Date } | null,
  client: Client = ctx.db,
  events?: RecordEventInput[],
): Promise<CalendarView> {
  const calendar = await ensureCalendar(ctx, tenant, userId, client, events);
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

export async function lockCalendar(ctx: CalendarsContext, tx: Prisma.TransactionClient, tenant: Tenant, userId: string, events: RecordEventInput[]) {
  const calendar = await ensureCalendar(ctx, tenant, userId, tx, events);
  await tx.$queryRaw`SELECT id FROM calendars WHERE id = ${calendar.id} FOR UPDATE`;
  return calendar;
}

export async function eventOf(ctx: CalendarsContext, tenant: Tenant, userId: string, eventId: string, client: Db | Prisma.TransactionClient = ctx.db): Promise<EventView> {
  const event = await client.calendarEvent.findFirst({
    where: { id: eventId, userId, platformId: tenant.platformId, mode: tenant.mode },
    include: attendeesOrdered,
  });
  if (!event) throw new NotFoundError("event", eventId, "event_id");
  return event;
}
