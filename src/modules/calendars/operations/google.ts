import { GoogleCalendarError } from "../../../adapters/google-calendar/gateway.js";
import type { Db } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import type { Mode } from "../../../generated/prisma/enums.js";
import { randomBase62, safeEqual } from "../../../lib/crypto.js";
import { AppError, ConflictError, ValidationError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { macOf } from "../../../lib/sealed.js";
import { toApiDate } from "../../../lib/time.js";
import { enqueueBusyRefresh, type RefreshBusyJob } from "./calendar.js";
import { DAY_MS, ensureCalendar, type CalendarsContext } from "./shared.js";

/**
 * A user's Google Calendar connection (OAuth 2.0, offline access, read-only free/busy) and the busy
 * times imported through it. The consent round trip carries a signed, expiring `state` naming the
 * platform, mode and user, so the callback — a browser redirect without our credentials — knows
 * whose connection it finishes and that we started it.
 */

const STATE_TTL_MS = 15 * 60_000;
/** Busy times are imported this far ahead (the free slots' longest window, and some). */
export const BUSY_HORIZON_MS = 90 * DAY_MS;

export class GoogleUnavailableError extends AppError {
  constructor(message: string) {
    super(502, "api_error", "google_calendar_unavailable", message);
  }
}

function signState(ctx: CalendarsContext, tenant: Tenant, userId: string): string {
  const expires = String(Math.floor((ctx.clock.now().getTime() + STATE_TTL_MS) / 1000));
  const body = [tenant.platformId, tenant.mode, userId, expires, randomBase62(12)];
  return [...body, macOf(ctx.keys.oauthState, ...body)].join(".");
}

/** The state's platform, mode and user, if it is ours and fresh; else null. */
export function readState(ctx: CalendarsContext, state: string): { platformId: string; mode: Mode; userId: string } | null {
  const parts = state.split(".");
  if (parts.length !== 6) return null;
  const [platformId, mode, userId, expires, nonce, mac] = parts as [string, string, string, string, string, string];
  if (!safeEqual(macOf(ctx.keys.oauthState, platformId, mode, userId, expires, nonce), mac)) return null;
  if (Number(expires) * 1000 < ctx.clock.now().getTime()) return null;
  if (mode !== "test" && mode !== "live") return null;
  return { platformId, mode, userId };
}

/** `POST /calendars/auth/google`: Google's consent page for the signed-in user. */
export async function startGoogleConnect(ctx: CalendarsContext, tenant: Tenant, userId: string) {
  await ensureCalendar(ctx, tenant, userId);
  return { url: ctx.google.consentUrl(signState(ctx, tenant, userId)) };
}

const googleFailure = (err: unknown, param: string): never => {
  if (err instanceof GoogleCalendarError && err.reason === "invalid_grant")
    throw new ValidationError("parameter_invalid", "Google refused the authorization code: start connecting again.", param);
  if (err instanceof GoogleCalendarError) throw new GoogleUnavailableError("Google Calendar could not be reached: try again.");
  throw err;
};

/** The callback: trades the code for a refresh token, kept sealed, and queues the first import. */
export async function finishGoogleConnect(ctx: CalendarsContext, tenant: Tenant, userId: string, code: string) {
  const granted = await ctx.google.exchangeCode(code).catch((err) => googleFailure(err, "code"));
  const calendar = await ensureCalendar(ctx, tenant, userId);
  const sealed = ctx.keys.tokens.seal(granted.refreshToken);
  const previous = await ctx.db.$transaction(async (tx) => {
    const before = await tx.googleCalendarConnection.findUnique({ where: { userId } });
    await tx.googleCalendarConnection.upsert({
      where: { userId },
      create: { id: newId("googleConnection"), platformId: tenant.platformId, mode: tenant.mode, userId, refreshTokenSealed: sealed, email: granted.email },
      update: { refreshTokenSealed: sealed, email: granted.email },
    });
    await enqueueBusyRefresh(tx, tenant, userId);
    return before;
  });
  // A connection made again replaces the old grant, which is revoked.
  const old = previous ? ctx.keys.tokens.open(previous.refreshTokenSealed) : null;
  if (old) await ctx.google.revoke(old);
  return connectionOf(ctx, tenant, userId, calendar.id);
}

export async function googleStatus(ctx: CalendarsContext, tenant: Tenant, userId: string) {
  const calendar = await ensureCalendar(ctx, tenant, userId);
  return connectionOf(ctx, tenant, userId, calendar.id);
}

async function connectionOf(ctx: CalendarsContext, tenant: Tenant, userId: string, calendarId: string) {
  const [connection, calendar] = await Promise.all([
    ctx.db.googleCalendarConnection.findFirst({ where: { userId, platformId: tenant.platformId, mode: tenant.mode } }),
    ctx.db.calendar.findUniqueOrThrow({ where: { id: calendarId } }),
  ]);
  return {
    connected: connection !== null,
    email: connection?.email ?? null,
    googleCalendarIds: calendar.googleCalendarIds,
    busySynced: connection && calendar.busySynced ? toApiDate(calendar.busySynced) : null,
    connected_at: connection ? toApiDate(connection.created) : null,
  };
}

/** `DELETE /calendars/auth/google`: the grant is revoked at Google and the imported busy times go. */
export async function disconnectGoogle(ctx: CalendarsContext, tenant: Tenant, userId: string) {
  const calendar = await ensureCalendar(ctx, tenant, userId);
  const removed = await ctx.db.$transaction(async (tx) => {
    const connection = await tx.googleCalendarConnection.findUnique({ where: { userId } });
    if (!connection) throw new ConflictError("google_calendar_not_connected", "Google Calendar is not connected.", "user_id");
    await tx.googleCalendarConnection.delete({ where: { id: connection.id } });
    await tx.calendarBusyTime.deleteMany({ where: { calendarId: calendar.id } });
    await tx.calendar.update({ where: { id: calendar.id }, data: { busySynced: null } });
    return connection;
  });
  const token = ctx.keys.tokens.open(removed.refreshTokenSealed);
  if (token) await ctx.google.revoke(token);
  return connectionOf(ctx, tenant, userId, calendar.id);
}

/**
 * The `refresh-google-busy` job: the user's busy times in [now, now + 90 days) from each of their
 * `googleCalendarIds`, replacing what was imported before. A grant Google refuses (revoked at
 * Google, expired) ends the connection: the user connects again. Google unreachable: the job fails
 * and the queue retries it.
 */
export async function refreshBusy(ctx: CalendarsContext, job: RefreshBusyJob): Promise<"refreshed" | "not_connected" | "disconnected"> {
  const { db, clock } = ctx;
  const connection = await db.googleCalendarConnection.findFirst({ where: { userId: job.userId, platformId: job.platformId, mode: job.mode } });
  const calendar = await db.calendar.findUnique({ where: { userId: job.userId } });
  if (!connection || !calendar) return "not_connected";
  const token = ctx.keys.tokens.open(connection.refreshTokenSealed);
  const now = clock.now();
  const to = new Date(now.getTime() + BUSY_HORIZON_MS);
  let busy: Map<string, { start: Date; end: Date }[]> | null = null;
  if (token && calendar.googleCalendarIds.length) {
    try {
      busy = await ctx.google.freeBusy(token, calendar.googleCalendarIds, now, to);
    } catch (err) {
      if (!(err instanceof GoogleCalendarError && err.reason === "invalid_grant")) throw err;
    }
  }
  if (!token || (calendar.googleCalendarIds.length && busy === null)) {
    await forgetConnection(db, connection.id, calendar.id);
    return "disconnected";
  }
  await db.$transaction(async (tx) => {
    await tx.calendarBusyTime.deleteMany({ where: { calendarId: calendar.id } });
    const rows = [...(busy ?? new Map()).entries()].flatMap(([googleCalendarId, intervals]) =>
      (intervals as { start: Date; end: Date }[])
        .filter((b) => b.end > b.start)
        .map((b) => ({
          id: newId("busyTime"),
          platformId: calendar.platformId,
          mode: calendar.mode,
          calendarId: calendar.id,
          googleCalendarId,
          busyStart: b.start,
          busyEnd: b.end,
        })),
    );
    if (rows.length) await tx.calendarBusyTime.createMany({ data: rows });
    await tx.calendar.update({ where: { id: calendar.id }, data: { busySynced: now } });
  });
  return "refreshed";
}

async function forgetConnection(db: Db, connectionId: string, calendarId: string) {
  await db.$transaction(async (tx) => {
    await tx.googleCalendarConnection.deleteMany({ where: { id: connectionId } });
    await tx.calendarBusyTime.deleteMany({ where: { calendarId } });
    await tx.calendar.update({ where: { id: calendarId }, data: { busySynced: null } });
  });
}

/** The `refresh-google-busy-all` sweep: one refresh job per connection (the jobs run in parallel and retry alone). */
export async function queueAllBusyRefreshes(ctx: CalendarsContext): Promise<number> {
  let count = 0;
  let after = "";
  for (;;) {
    const batch = await ctx.db.googleCalendarConnection.findMany({
      where: { id: { gt: after } },
      orderBy: { id: "asc" },
      take: 500,
      select: { id: true, platformId: true, mode: true, userId: true },
    });
    if (!batch.length) return count;
    for (const c of batch) await enqueueBusyRefresh(ctx.db, { platformId: c.platformId, mode: c.mode }, c.userId);
    count += batch.length;
    after = batch.at(-1)!.id;
  }
}
