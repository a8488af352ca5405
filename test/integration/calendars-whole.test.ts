import { Logger, runOnce } from "graphile-worker";
import ICAL from "ical.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflineGoogleCalendar } from "../../src/adapters/google-calendar/offline.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, okContract, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * Calendars that are whole (docs/api/calendars.md): their name, description and Google calendars;
 * subscriptions' events on both parties' calendars; the secret iCalendar feed, read back with a
 * parser; Google Calendar busy times through the offline fake, imported by the job queue, taken
 * out of availability and refused to bookings.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The app's clock: real time plus an offset the tests move (forward only). */
function movableClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
}

const clock = movableClock();
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let google: OfflineGoogleCalendar;

const quiet = new Logger(() => () => {});
const runJobs = () => runOnce({ connectionString: t.databaseUrl, taskList: t.app.services.tasks, noHandleSignals: true, logger: quiet });
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const allWeek = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].map((dayOfWeek) => ({ dayOfWeek, startTime: "00:00", endTime: "24:00" }));

beforeAll(async () => {
  t = await createTestContext({}, { clock });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  google = t.app.services.googleCalendar as OfflineGoogleCalendar;
  expect(google.kind).toBe("offline");
});
afterAll(() => t.close());

describe("PUT /calendars/auth", () => {
  it("sets name, description and googleCalendarIds, records calendar.updated, and validates", async () => {
    const user = await t.createUser(acme, "member");
    const res = await t.request({
      method: "PUT",
      url: "/v1/calendars/auth",
      headers: bearer(user.token),
      payload: { name: "Work Schedule", description: "Lessons and office hours.", googleCalendarIds: ["primary", "team@example.com"] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: "Work Schedule", description: "Lessons and office hours.", googleCalendarIds: ["primary", "team@example.com"] });
    // Anyone's availability shows them; a partial update leaves the rest.
    const partial = await t.request({ method: "PUT", url: "/v1/calendars/auth", headers: bearer(user.token), payload: { name: null } });
    expect(partial.json()).toMatchObject({ name: null, description: "Lessons and office hours.", googleCalendarIds: ["primary", "team@example.com"] });
    const seen = await t.request({ method: "GET", url: `/v1/calendars/user/${user.id}/availability`, headers: bearer(acme.apiKey) });
    expect(seen.json()).toMatchObject({ description: "Lessons and office hours.", googleCalendarIds: ["primary", "team@example.com"] });
    const events = await t.db.event.findMany({ where: { platformId: acme.id, type: "calendar.updated" } });
    expect(events).toHaveLength(2);

    const bad: [Json, string][] = [
      [{ name: "x".repeat(201) }, "name"],
      [{ description: "x".repeat(2001) }, "description"],
      [{ googleCalendarIds: "primary" }, "googleCalendarIds"],
      [{ googleCalendarIds: [42] }, "googleCalendarIds.0"],
      [{ googleCalendarIds: ["a b"] }, "googleCalendarIds.0"],
      [{ googleCalendarIds: ["same", "same"] }, "googleCalendarIds"],
      [{ googleCalendarIds: Array.from({ length: 21 }, (_, i) => `c${i}@example.com`) }, "googleCalendarIds"],
      [{ id: "cal_x" }, "id"],
    ];
    for (const [payload, param] of bad) {
      const r = await t.request({ method: "PUT", url: "/v1/calendars/auth", headers: bearer(user.token), payload });
      expect(r.statusCode, `${JSON.stringify(payload)}: ${r.body}`).toBe(400);
      expect(r.json().error.param).toBe(param);
    }
    expect((await t.request({ method: "PUT", url: "/v1/calendars/auth", headers: bearer(acme.apiKey), payload: { name: "x" } })).statusCode).toBe(401);
  });

  it("are also accepted beside a wrapped availability list (where the calendar is first set up)", async () => {
    const user = await t.createUser(acme, "member");
    const res = await t.request({
      method: "POST",
      url: "/v1/calendars/auth/availability",
      headers: bearer(user.token),
      payload: { availability: [{ dayOfWeek: "monday", startTime: "09:00", endTime: "12:00" }], name: "Mornings", googleCalendarIds: ["primary"] },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ name: "Mornings", description: null, googleCalendarIds: ["primary"], availability: [{ dayOfWeek: "monday" }] });
    const types = (await t.db.event.findMany({ where: { objectId: res.json().id }, orderBy: { created: "asc" } })).map((e) => e.type);
    expect(types).toEqual(["calendar.created", "calendar.updated", "calendar.availability_updated"]);
    const bad = await t.request({ method: "PUT", url: "/v1/calendars/auth/availability", headers: bearer(user.token), payload: { availability: [], googleCalendarIds: [""] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("googleCalendarIds.0");
  });
});

describe("subscriptions on calendars", () => {
  let seller: TestUser;
  let buyer: TestUser;
  let subscriptionId: string;
  const eventsOf = async (user: TestUser) =>
    (await t.db.calendarEvent.findMany({ where: { userId: user.id, subscriptionId }, orderBy: { eventStart: "asc" } })).map((e) => ({
      id: e.id,
      start: e.eventStart.getTime(),
      end: e.eventEnd.getTime(),
    }));

  beforeAll(async () => {
    seller = await t.createUser(acme, "member");
    buyer = await t.createUser(acme, "member");
    await onboardSeller(t, acme, seller.id);
    await addCard(t, acme, buyer.id);
    const product = await t.request({
      method: "POST",
      url: "/v1/products",
      headers: bearer(acme.apiKey),
      payload: { user_id: seller.id, name: "Weekly piano lesson", price: 5000, cycle: "weekly" },
    });
    expect(product.statusCode, product.body).toBe(201);
    const contract = okContract(
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: bearer(acme.apiKey),
        payload: { items: [{ product_id: product.json().id, quantity: 1 }], buyers: [{ user_id: buyer.id }] },
      }),
      201,
    );
    const sub = await t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${contract.id}`, headers: bearer(buyer.token) });
    expect(sub.statusCode, sub.body).toBe(201);
    subscriptionId = sub.json().id;
  });

  it("puts the weekly periods on the buyer's and the seller's calendars, with subscription_id", async () => {
    const sub = (await t.db.subscription.findUniqueOrThrow({ where: { id: subscriptionId } })) as { startDate: Date };
    const start = sub.startDate.getTime();
    const expected = Array.from({ length: 13 }, (_, n) => ({ start: start + n * 7 * DAY, end: start + n * 7 * DAY + HOUR }));
    for (const user of [buyer, seller]) {
      expect((await eventsOf(user)).map(({ start, end }) => ({ start, end }))).toEqual(expected);
    }
    const mine = await t.request({ method: "GET", url: "/v1/calendars/auth", headers: bearer(buyer.token) });
    const first = (mine.json().events as Json[]).find((e) => e.subscription_id === subscriptionId)!;
    expect(first).toMatchObject({ title: "Weekly piano lesson", booked: true, confirmed: true, subscription_id: subscriptionId });
    expect(await t.db.event.count({ where: { platformId: acme.id, type: "calendar_event.created", objectId: first.id as string } })).toBe(1);
  });

  it("refuses to remove a subscription's event through the calendar (409 subscription_event)", async () => {
    const [event] = await eventsOf(seller);
    const res = await t.request({ method: "DELETE", url: `/v1/calendars/auth/event/${event!.id}`, headers: bearer(seller.token) });
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.code).toBe("subscription_event");
    expect(await t.db.calendarEvent.count({ where: { id: event!.id } })).toBe(1);
  });

  it("takes the paused periods off both calendars, puts them back on resume, and moves the horizon with the hourly job", async () => {
    const before = await eventsOf(buyer);
    const pause = await t.request({
      method: "PUT",
      url: `/v1/subscriptions/${subscriptionId}/pause`,
      headers: bearer(acme.apiKey),
      payload: { pausedUntil: iso(Date.now() + 15 * DAY) },
    });
    expect(pause.statusCode, pause.body).toBe(200);
    for (const user of [buyer, seller]) {
      const during = await eventsOf(user);
      // The periods starting in 7 and 14 days fall in the pause; the one under way and the later ones stay.
      expect(during.map((e) => e.start)).toEqual(before.filter((_, n) => n !== 1 && n !== 2).map((e) => e.start));
    }
    const kept = new Set((await eventsOf(buyer)).map((e) => e.id));
    const resume = await t.request({ method: "PUT", url: `/v1/subscriptions/auth/${subscriptionId}/resume`, headers: bearer(buyer.token) });
    expect(resume.statusCode, resume.body).toBe(200);
    const after = await eventsOf(buyer);
    expect(after.map((e) => e.start)).toEqual(before.map((e) => e.start));
    // Events that stayed keep their ids (a feed's subscribers see no change).
    expect(after.filter((e) => kept.has(e.id))).toHaveLength(11);
    expect(await eventsOf(seller)).toHaveLength(13);

    clock.advance(10 * DAY);
    await t.app.services.tasks["extend-subscription-events"]!({}, {} as never);
    // 10 days on, the horizon (90 days) reaches two more weekly periods (at 91 and 98 days); the past ones stay.
    const start = before[0]!.start;
    for (const user of [buyer, seller]) expect((await eventsOf(user)).map((e) => (e.start - start) / (7 * DAY))).toEqual(Array.from({ length: 15 }, (_, n) => n));
  });

  it("erasing a subscriber ends their subscription: the seller's events to come go, and so does the subscriber's Google grant", async () => {
    const eve = await t.createUser(acme, "member");
    await addCard(t, acme, eve.id);
    const contract = okContract(
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: bearer(acme.apiKey),
        payload: { items: [{ user_id: seller.id, price: 3000 }], buyers: [{ user_id: eve.id }] },
      }),
      201,
    );
    const sub = await t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${contract.id}`, headers: bearer(eve.token), payload: { cycle: "monthly" } });
    expect(sub.statusCode, sub.body).toBe(201);
    const eveSub = sub.json().id as string;
    const upcoming = () => t.db.calendarEvent.count({ where: { userId: seller.id, subscriptionId: eveSub, eventStart: { gt: clock.now() } } });
    expect(await upcoming()).toBe(3);
    const consent = new URL((await t.request({ method: "POST", url: "/v1/calendars/auth/google", headers: bearer(eve.token) })).json().url as string);
    expect((await t.request({ method: "GET", url: `${consent.pathname}${consent.search}` })).statusCode).toBe(200);

    await t.db.user.update({ where: { id: eve.id }, data: { scheduledDeletion: new Date(clock.now().getTime() - 1000) } });
    await t.db.$executeRaw`SELECT graphile_worker.add_job('erase-due-users')`;
    await runJobs();
    expect(await upcoming()).toBe(0);
    expect(await t.db.googleCalendarConnection.count({ where: { userId: eve.id } })).toBe(0);
    expect(await t.db.calendar.count({ where: { userId: eve.id } })).toBe(0);
  });

  it("removes the events still to come when the subscription ends", async () => {
    const end = await t.request({ method: "DELETE", url: `/v1/subscriptions/auth/${subscriptionId}`, headers: bearer(buyer.token) });
    expect(end.statusCode, end.body).toBe(200);
    const now = clock.now().getTime();
    for (const user of [buyer, seller]) {
      const left = await eventsOf(user);
      expect(left.filter((e) => e.start >= now)).toEqual([]);
      // Past periods stay, as history.
      expect(left.length).toBeGreaterThan(0);
    }
    expect(await t.db.event.count({ where: { platformId: acme.id, type: "calendar_event.deleted" } })).toBeGreaterThan(0);
  });
});

describe("the iCalendar feed", () => {
  it("is a secret URL that a parser reads back; rotating it makes the old URL a 404", async () => {
    const user = await t.createUser(acme, "member");
    await t.request({ method: "PUT", url: "/v1/calendars/auth", headers: bearer(user.token), payload: { name: "Studio" } });
    await t.request({ method: "PUT", url: "/v1/calendars/auth/availability", headers: bearer(user.token), payload: allWeek });
    const start = Math.ceil(clock.now().getTime() / HOUR) * HOUR + DAY;
    for (const [i, title] of ["Lesson, with Ann; room 2", "Tuning"].entries()) {
      const res = await t.request({
        method: "POST",
        url: "/v1/calendars/auth/event",
        headers: bearer(user.token),
        payload: { title, location: "Room 2", eventStart: iso(start + i * 2 * HOUR), eventEnd: iso(start + i * 2 * HOUR + HOUR) },
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const feed = await t.request({ method: "GET", url: "/v1/calendars/auth/feed", headers: bearer(user.token) });
    expect(feed.statusCode, feed.body).toBe(200);
    const { url, webcalUrl } = feed.json() as { url: string; webcalUrl: string };
    expect(url).toMatch(new RegExp(`^${t.config.publicUrl}/v1/calendars/feed/${acme.id}/cal_[0-9a-f]{32}/[A-Za-z0-9_-]{43}\\.ics$`));
    expect(webcalUrl).toBe(url.replace(/^http:/, "webcal:"));
    // The same URL every time until it is rotated.
    expect((await t.request({ method: "GET", url: "/v1/calendars/auth/feed", headers: bearer(user.token) })).json().url).toBe(url);

    const path = new URL(url).pathname;
    const res = await t.request({ method: "GET", url: path });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers["content-type"]).toBe("text/calendar; charset=utf-8");
    const parsed = new ICAL.Component(ICAL.parse(res.body));
    expect(parsed.name).toBe("vcalendar");
    expect(parsed.getFirstPropertyValue("version")).toBe("2.0");
    expect(parsed.getFirstPropertyValue("x-wr-calname")).toBe("Studio");
    const vevents = parsed.getAllSubcomponents("vevent").map((v) => new ICAL.Event(v));
    expect(vevents.map((e) => e.summary)).toEqual(["Lesson, with Ann; room 2", "Tuning"]);
    expect(vevents[0]!.startDate.toJSDate().getTime()).toBe(start);
    expect(vevents[0]!.endDate.toJSDate().getTime()).toBe(start + HOUR);
    expect(vevents[0]!.location).toBe("Room 2");
    expect(new Set(vevents.map((e) => e.uid)).size).toBe(2);

    // A wrong secret, another platform in the path: 404.
    expect((await t.request({ method: "GET", url: path.replace(/\/[^/]+\.ics$/, `/${"A".repeat(43)}.ics`) })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: path.replace(acme.id, other.id) })).statusCode).toBe(404);

    const rotated = await t.request({ method: "POST", url: "/v1/calendars/auth/feed/rotate", headers: bearer(user.token) });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json().url).not.toBe(url);
    expect((await t.request({ method: "GET", url: path })).statusCode).toBe(404);
    const fresh = await t.request({ method: "GET", url: new URL(rotated.json().url).pathname });
    expect(fresh.statusCode).toBe(200);
    expect(new ICAL.Component(ICAL.parse(fresh.body)).getAllSubcomponents("vevent")).toHaveLength(2);
  });
});

describe("Google Calendar busy times (the offline Google Calendar)", () => {
  let user: TestUser;
  const day = () => Math.floor(clock.now().getTime() / DAY) * DAY + 2 * DAY;

  beforeAll(async () => {
    user = await t.createUser(acme, "member");
    await t.request({ method: "PUT", url: "/v1/calendars/auth/availability", headers: bearer(user.token), payload: allWeek });
    await t.request({ method: "PUT", url: "/v1/calendars/auth", headers: bearer(user.token), payload: { googleCalendarIds: ["work@example.com", "primary"] } });
  });

  it("connects through the consent URL (offline: opening it completes it), keeping the refresh token sealed", async () => {
    const status = await t.request({ method: "GET", url: "/v1/calendars/auth/google", headers: bearer(user.token) });
    expect(status.json()).toMatchObject({ connected: false, email: null, busySynced: null });
    const start = await t.request({ method: "POST", url: "/v1/calendars/auth/google", headers: bearer(user.token) });
    expect(start.statusCode, start.body).toBe(200);
    const consent = new URL(start.json().url as string);
    expect(consent.pathname).toBe("/v1/calendars/google/callback");

    // A tampered state, a refused consent, a code Google did not issue: 400, nothing kept.
    const tampered = new URL(consent);
    tampered.searchParams.set("state", `${consent.searchParams.get("state")!.slice(0, -2)}xx`);
    expect((await t.request({ method: "GET", url: `${tampered.pathname}${tampered.search}` })).json().error).toMatchObject({ code: "parameter_invalid", param: "state" });
    const refused = `${consent.pathname}?state=${encodeURIComponent(consent.searchParams.get("state")!)}&error=access_denied`;
    expect((await t.request({ method: "GET", url: refused })).json().error).toMatchObject({ param: "error" });
    const badCode = `${consent.pathname}?state=${encodeURIComponent(consent.searchParams.get("state")!)}&code=forged`;
    expect((await t.request({ method: "GET", url: badCode })).json().error).toMatchObject({ param: "code" });
    expect(await t.db.googleCalendarConnection.count({ where: { userId: user.id } })).toBe(0);

    const done = await t.request({ method: "GET", url: `${consent.pathname}${consent.search}` });
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json()).toMatchObject({ connected: true, googleCalendarIds: ["work@example.com", "primary"] });
    const row = await t.db.googleCalendarConnection.findUniqueOrThrow({ where: { userId: user.id } });
    expect(row.refreshTokenSealed).toMatch(/^v1\./);
    expect(row.refreshTokenSealed).not.toContain("offline_refresh_");
  });

  it("imports busy times with the job queue, takes them out of availability and slots, and refuses an overlapping booking", async () => {
    const d = day();
    google.setBusy("work@example.com", [{ start: new Date(d + 10 * HOUR), end: new Date(d + 11 * HOUR) }]);
    google.setBusy("primary", [{ start: new Date(d + 15 * HOUR), end: new Date(d + 16 * HOUR) }]);
    google.setBusy("not-listed@example.com", [{ start: new Date(d + 12 * HOUR), end: new Date(d + 13 * HOUR) }]);
    // The connection queued the first import.
    await runJobs();
    const status = await t.request({ method: "GET", url: "/v1/calendars/auth/google", headers: bearer(user.token) });
    expect(status.json().busySynced).not.toBeNull();

    const availability = await t.request({ method: "GET", url: `/v1/calendars/user/${user.id}/availability?from=${iso(d)}&to=${iso(d + DAY)}`, headers: bearer(acme.apiKey) });
    expect(availability.statusCode, availability.body).toBe(200);
    expect(availability.json().openings).toEqual([
      { start: iso(d), end: iso(d + 10 * HOUR) },
      { start: iso(d + 11 * HOUR), end: iso(d + 15 * HOUR) },
      { start: iso(d + 16 * HOUR), end: iso(d + DAY) },
    ]);
    const slots = await t.request({
      method: "GET",
      url: `/v1/calendars/user/${user.id}/slots?from=${iso(d + 9 * HOUR)}&to=${iso(d + 12 * HOUR)}&duration=60`,
      headers: bearer(acme.apiKey),
    });
    expect(slots.json().slots.map((s: Json) => s.startUtc)).toEqual([iso(d + 9 * HOUR), iso(d + 11 * HOUR)]);

    const overlapping = await t.request({
      method: "POST",
      url: "/v1/calendars/auth/event",
      headers: bearer(user.token),
      payload: { title: "Call", eventStart: iso(d + 10 * HOUR + 30 * 60_000), eventEnd: iso(d + 11 * HOUR + 30 * 60_000) },
    });
    expect(overlapping.statusCode, overlapping.body).toBe(409);
    expect(overlapping.json().error.code).toBe("busy_in_google_calendar");
    // Blocking time off may overlap it.
    const off = await t.request({
      method: "POST",
      url: "/v1/calendars/auth/event",
      headers: bearer(user.token),
      payload: { isUnavailable: true, eventStart: iso(d + 15 * HOUR), eventEnd: iso(d + 15 * HOUR + 30 * 60_000) },
    });
    expect(off.statusCode, off.body).toBe(201);
  });

  it("the quarter-hourly sweep refreshes them: what Google freed is bookable again", async () => {
    const d = day();
    google.setBusy("work@example.com", [{ start: new Date(d + 8 * HOUR), end: new Date(d + 9 * HOUR) }]);
    await t.app.services.tasks["refresh-google-busy-all"]!({}, {} as never);
    await runJobs();
    const rows = await t.db.calendarBusyTime.findMany({ where: { calendar: { userId: user.id } }, orderBy: { busyStart: "asc" } });
    expect(rows.map((r) => [r.googleCalendarId, r.busyStart.getTime()])).toEqual([
      ["work@example.com", d + 8 * HOUR],
      ["primary", d + 15 * HOUR],
    ]);
    const freed = await t.request({
      method: "POST",
      url: "/v1/calendars/auth/event",
      headers: bearer(user.token),
      payload: { title: "Call", eventStart: iso(d + 10 * HOUR), eventEnd: iso(d + 11 * HOUR) },
    });
    expect(freed.statusCode, freed.body).toBe(201);
    const nowBusy = await t.request({
      method: "POST",
      url: "/v1/calendars/auth/event",
      headers: bearer(user.token),
      payload: { title: "Early", eventStart: iso(d + 8 * HOUR), eventEnd: iso(d + 9 * HOUR) },
    });
    expect(nowBusy.json().error.code).toBe("busy_in_google_calendar");
    // A Google calendar taken off the list loses its busy times at once.
    await t.request({ method: "PUT", url: "/v1/calendars/auth", headers: bearer(user.token), payload: { googleCalendarIds: ["primary"] } });
    expect(await t.db.calendarBusyTime.count({ where: { calendar: { userId: user.id }, googleCalendarId: "work@example.com" } })).toBe(0);
  });

  it("disconnects: the grant is revoked and the busy times removed; a second disconnect is a 409", async () => {
    const res = await t.request({ method: "DELETE", url: "/v1/calendars/auth/google", headers: bearer(user.token) });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ connected: false, busySynced: null });
    expect(await t.db.calendarBusyTime.count({ where: { calendar: { userId: user.id } } })).toBe(0);
    expect(await t.db.googleCalendarConnection.count({ where: { userId: user.id } })).toBe(0);
    const again = await t.request({ method: "DELETE", url: "/v1/calendars/auth/google", headers: bearer(user.token) });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("google_calendar_not_connected");
    // The job of a connection that is gone does nothing.
    expect(await t.app.services.calendars.refreshBusy({ platformId: acme.id, mode: "test", userId: user.id })).toBe("not_connected");
  });
});
