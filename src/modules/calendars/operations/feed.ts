import ical, { ICalEventStatus } from "ical-generator";
import type { Tenant } from "../../../db/tenant.js";
import { randomBase62, safeEqual } from "../../../lib/crypto.js";
import { NotFoundError } from "../../../lib/errors.js";
import { macOf } from "../../../lib/sealed.js";
import { DAY_MS, ensureCalendar, type CalendarsContext } from "./shared.js";

/**
 * The secret iCalendar feed (RFC 5545) of a calendar's events, for Google Calendar, Apple Calendar
 * or Outlook to subscribe to. Its secret is an HMAC of the calendar's id and its random salt under
 * a key derived from the server's secret, so nothing secret is stored and the URL can be shown
 * again; rotating draws a new salt, and the old URL is then a 404. The platform is in the path so
 * the feed is read as that platform, not across platforms.
 */

/** Events a feed carries: a month back, a year ahead, at most this many. */
const FEED_PAST_MS = 31 * DAY_MS;
const FEED_AHEAD_MS = 366 * DAY_MS;
const FEED_MAX_EVENTS = 2000;

const secretOf = (ctx: CalendarsContext, calendarId: string, salt: string) => macOf(ctx.keys.feed, calendarId, salt);

function urls(ctx: CalendarsContext, tenant: Tenant, calendarId: string, salt: string) {
  const url = `${ctx.publicUrl}/v1/calendars/feed/${tenant.platformId}/${calendarId}/${secretOf(ctx, calendarId, salt)}.ics`;
  return { url, webcalUrl: url.replace(/^https?:/, "webcal:") };
}

/** The feed's URLs; the first ask draws the salt. */
export async function feedOf(ctx: CalendarsContext, tenant: Tenant, userId: string) {
  const calendar = await ensureCalendar(ctx, tenant, userId);
  if (calendar.feedSalt) return urls(ctx, tenant, calendar.id, calendar.feedSalt);
  // Two first asks at once: the first salt stays, and both answer it.
  await ctx.db.calendar.updateMany({ where: { id: calendar.id, feedSalt: null }, data: { feedSalt: randomBase62(24) } });
  const { feedSalt } = await ctx.db.calendar.findUniqueOrThrow({ where: { id: calendar.id }, select: { feedSalt: true } });
  return urls(ctx, tenant, calendar.id, feedSalt!);
}

/** A new secret: the old URL stops working at once. */
export async function rotateFeed(ctx: CalendarsContext, tenant: Tenant, userId: string) {
  const calendar = await ensureCalendar(ctx, tenant, userId);
  const feedSalt = randomBase62(24);
  await ctx.db.calendar.update({ where: { id: calendar.id }, data: { feedSalt } });
  return urls(ctx, tenant, calendar.id, feedSalt);
}

/** The feed's text, for the secret in its URL; 404 for a wrong, rotated or unknown one. */
export async function renderFeed(ctx: CalendarsContext, tenant: Tenant, calendarId: string, secret: string): Promise<string> {
  const given = secret.replace(/\.ics$/, "");
  const calendar = await ctx.db.calendar.findFirst({ where: { id: calendarId, platformId: tenant.platformId, mode: tenant.mode } });
  if (!calendar?.feedSalt || !safeEqual(secretOf(ctx, calendar.id, calendar.feedSalt), given)) throw new NotFoundError("calendar feed", undefined, "secret");
  const now = ctx.clock.now().getTime();
  const events = await ctx.db.calendarEvent.findMany({
    where: { calendarId: calendar.id, cancelled: false, eventEnd: { gt: new Date(now - FEED_PAST_MS) }, eventStart: { lt: new Date(now + FEED_AHEAD_MS) } },
    orderBy: [{ eventStart: "asc" }, { id: "asc" }],
    take: FEED_MAX_EVENTS,
  });
  const host = new URL(ctx.publicUrl).hostname;
  const feed = ical({
    name: calendar.name ?? "Calendar",
    description: calendar.description ?? undefined,
    prodId: { company: "Candle", product: "calendars", language: "EN" },
    // How often subscribers should poll (REFRESH-INTERVAL / X-PUBLISHED-TTL).
    ttl: 15 * 60,
  });
  for (const e of events) {
    feed.createEvent({
      id: `${e.id}@${host}`,
      start: e.eventStart,
      end: e.eventEnd,
      stamp: e.updated,
      summary: e.title ?? (e.isUnavailable ? "Unavailable" : "Busy"),
      description: e.description ?? undefined,
      location: e.location ?? undefined,
      status: e.confirmed ? ICalEventStatus.CONFIRMED : ICalEventStatus.TENTATIVE,
    });
  }
  return feed.toString();
}
