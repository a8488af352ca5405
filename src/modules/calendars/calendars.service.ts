import { DateTime } from "luxon";
import type { GoogleCalendarGateway } from "../../adapters/google-calendar/gateway.js";
import type { Db } from "../../db/client.js";
import { createSealer, deriveKey } from "../../lib/sealed.js";
import type { Tenant } from "../../db/tenant.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { RecordEventInput } from "../events/index.js";
import { availabilityOf, mine, setAvailability } from "./operations/availability.js";
import { type RefreshBusyJob, updateCalendar } from "./operations/calendar.js";
import { createEvent, deleteEvent, updateEvent } from "./operations/events.js";
import { feedOf, renderFeed, rotateFeed } from "./operations/feed.js";
import { disconnectGoogle, finishGoogleConnect, googleStatus, queueAllBusyRefreshes, readState, refreshBusy, startGoogleConnect } from "./operations/google.js";
import { ensureCalendar as ensure, eventOf, type CalendarsContext, type Client } from "./operations/shared.js";
import { slots } from "./operations/slots.js";

export type { Tenant };
export { toCalendarResponse, toEventResponse } from "./calendars.view.js";

/** The calendars' operations, one file each under operations/, bound to their dependencies. */
export function createCalendarsService(deps: { db: Db; clock: Clock; google: GoogleCalendarGateway; secret: string; publicUrl: string }) {
  const ctx: CalendarsContext = {
    db: deps.db,
    clock: deps.clock,
    google: deps.google,
    keys: {
      feed: deriveKey(deps.secret, "calendar-feed"),
      oauthState: deriveKey(deps.secret, "google-oauth-state"),
      tokens: createSealer(deps.secret, "google-refresh-token"),
    },
    publicUrl: deps.publicUrl,
  };
  type Rest<F> = F extends (ctx: CalendarsContext, ...rest: infer A) => infer R ? (...rest: A) => R : never;
  const bind = <F extends (ctx: CalendarsContext, ...rest: never[]) => unknown>(f: F): Rest<F> =>
    ((...rest: unknown[]) => (f as unknown as (...a: unknown[]) => unknown)(ctx, ...rest)) as Rest<F>;
  // A declaration, not a property: the transaction-pool test reads its pool default to check the callers.
  const ensureCalendar = (tenant: Tenant, userId: string, client: Client = deps.db, events?: RecordEventInput[]) => ensure(ctx, tenant, userId, client, events);
  return {
    ensureCalendar,
    mine: bind(mine),
    availabilityOf: bind(availabilityOf),
    setAvailability: bind(setAvailability),
    retrieveEvent: (tenant: Tenant, userId: string, eventId: string) => eventOf(ctx, tenant, userId, eventId),
    createEvent: bind(createEvent),
    updateEvent: bind(updateEvent),
    deleteEvent: bind(deleteEvent),
    slots: bind(slots),
    updateCalendar: bind(updateCalendar),
    feedOf: bind(feedOf),
    rotateFeed: bind(rotateFeed),
    renderFeed: bind(renderFeed),
    startGoogleConnect: bind(startGoogleConnect),
    readGoogleState: (state: string) => readState(ctx, state),
    finishGoogleConnect: bind(finishGoogleConnect),
    googleStatus: bind(googleStatus),
    disconnectGoogle: bind(disconnectGoogle),
    /** The `refresh-google-busy` job. */
    refreshBusy: (job: RefreshBusyJob) => refreshBusy(ctx, job),
    /** The `refresh-google-busy-all` sweep. */
    queueAllBusyRefreshes: () => queueAllBusyRefreshes(ctx),
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
