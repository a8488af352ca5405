import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let seller: TestUser; // America/New_York, weekdays 09:00–17:00
let buyer: TestUser;
let stranger: TestUser;

const weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"].map((dayOfWeek) => ({ dayOfWeek, startTime: "09:00", endTime: "17:00" }));

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  seller = await t.createUser(acme, "member", "seller@acme.test");
  buyer = await t.createUser(acme, "member", "buyer@acme.test");
  stranger = await t.createUser(other, "member", "stranger@other.test");
  await t.request({ method: "PUT", url: "/v1/users/auth", headers: bearer(seller.token), payload: { timezone: "America/New_York", name: "Sam Seller" } });
  const res = await t.request({ method: "POST", url: "/v1/calendars/auth/availability", headers: bearer(seller.token), payload: weekdays });
  expect(res.statusCode).toBe(200);
});
afterAll(() => t.close());

const createEvent = (user: TestUser, payload: Record<string, unknown>) => t.request({ method: "POST", url: "/v1/calendars/auth/event", headers: bearer(user.token), payload });

describe("calendars", () => {
  it("are created on first use, one per user", async () => {
    const first = await t.request({ method: "GET", url: "/v1/calendars/auth", headers: bearer(buyer.token) });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ user_id: buyer.id, platform_id: acme.id, timezone: "UTC", availability: [], events: [], googleCalendarIds: [] });
    expect(first.json().id).toMatch(/^cal_[0-9a-f]{32}$/);
    const again = await t.request({ method: "GET", url: "/v1/calendars/auth", headers: bearer(buyer.token) });
    expect(again.json().id).toBe(first.json().id);
    await Promise.all(Array.from({ length: 5 }, () => t.request({ method: "GET", url: "/v1/calendars/auth", headers: bearer(stranger.token) })));
    expect(await t.db.calendar.count({ where: { userId: stranger.id } })).toBe(1);
  });

  it("/auth routes need a user token", async () => {
    const res = await t.request({ method: "GET", url: "/v1/calendars/auth", headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(401);
    expect((await t.request({ method: "GET", url: "/v1/calendars/auth" })).statusCode).toBe(401);
  });
});

describe("availability", () => {
  it("is set as a whole list, bare or wrapped, with normalised times", async () => {
    const user = await t.createUser(acme, "member");
    const set = await t.request({
      method: "POST",
      url: "/v1/calendars/auth/availability",
      headers: bearer(user.token),
      payload: {
        availability: [
          { dayOfWeek: "monday", startTime: "09:00", endTime: "12:00" },
          { dayOfWeek: "monday", startTime: "13:00:00", endTime: "24:00" },
          { overrideDate: "2027-12-24", startTime: "10:00", endTime: "12:00" },
          { overrideDate: "2027-12-25", isUnavailable: true },
        ],
      },
    });
    expect(set.statusCode).toBe(200);
    expect(set.json().availability.map((a: Record<string, unknown>) => [a.dayOfWeek, a.overrideDate, a.startTime, a.endTime, a.isUnavailable])).toEqual([
      ["monday", null, "09:00:00", "12:00:00", false],
      ["monday", null, "13:00:00", "24:00:00", false],
      [null, "2027-12-24", "10:00:00", "12:00:00", false],
      [null, "2027-12-25", null, null, true],
    ]);
    const replaced = await t.request({
      method: "PUT",
      url: "/v1/calendars/auth/availability",
      headers: bearer(user.token),
      payload: [{ dayOfWeek: "sunday", startTime: "10:00", endTime: "11:00" }],
    });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().availability).toHaveLength(1);
    expect(await t.db.availability.count({ where: { calendar: { userId: user.id } } })).toBe(1);
  });

  it.each([
    [[{ dayOfWeek: "monday", startTime: "17:00", endTime: "09:00" }], "availability.0.endTime"],
    [
      [
        { dayOfWeek: "monday", startTime: "09:00", endTime: "12:00" },
        { dayOfWeek: "monday", startTime: "11:00", endTime: "13:00" },
      ],
      "availability.1.startTime",
    ],
    [[{ dayOfWeek: "monday", startTime: "9:00", endTime: "12:00" }], "availability.0.startTime"],
    [[{ dayOfWeek: "funday", startTime: "09:00", endTime: "12:00" }], "availability.0.dayOfWeek"],
    [[{ overrideDate: "2027-02-30", startTime: "09:00", endTime: "12:00" }], "availability.0.overrideDate"],
    [[{ dayOfWeek: "monday", overrideDate: "2027-01-04", startTime: "09:00", endTime: "12:00" }], "availability.0.dayOfWeek"],
    [[{ overrideDate: "2027-01-04", isUnavailable: true, startTime: "09:00", endTime: "12:00" }], "availability.0.isUnavailable"],
    [[{ dayOfWeek: "monday", startTime: "09:00" }], "availability.0.endTime"],
    [[{ dayOfWeek: "monday", startTime: "09:00", endTime: "10:00", colour: "red" }], "availability.0.colour"],
  ])("is 400 for %j, naming %s, and keeps the previous list", async (payload, param) => {
    const res = await t.request({ method: "PUT", url: "/v1/calendars/auth/availability", headers: bearer(seller.token), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
    expect(await t.db.availability.count({ where: { calendar: { userId: seller.id } } })).toBe(5);
  });

  it("can be read by anyone on the platform, without the owner's events", async () => {
    const res = await t.request({ method: "GET", url: `/v1/calendars/user/${seller.id}/availability`, headers: bearer(buyer.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user_id: seller.id, timezone: "America/New_York", events: [] });
    expect(res.json().availability).toHaveLength(5);
    expect((await t.request({ method: "GET", url: `/v1/calendars/user/${seller.id}/availability`, headers: bearer(acme.apiKey) })).statusCode).toBe(200);
  });

  it("is 404 for another platform's user and 401 without credentials", async () => {
    expect((await t.request({ method: "GET", url: `/v1/calendars/user/${stranger.id}/availability`, headers: bearer(acme.apiKey) })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/calendars/user/${seller.id}/availability` })).statusCode).toBe(401);
  });
});

describe("events", () => {
  // Monday 2027-03-08 is EST (UTC−5): 10:00–11:00 local is 15:00–16:00Z.
  const slot = { eventStart: "2027-03-08T15:00:00Z", eventEnd: "2027-03-08T16:00:00Z" };

  it("are created inside availability, in the documented shape", async () => {
    const res = await createEvent(seller, {
      ...slot,
      title: "Lesson",
      location: "Studio",
      color: "#ff0000",
      booked: true,
      attendees: [{ user_id: buyer.id }, { email: "guest@example.com", name: "Guest" }],
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      user_id: seller.id,
      title: "Lesson",
      eventStart: "2027-03-08T15:00:00Z",
      eventEnd: "2027-03-08T16:00:00Z",
      isUnavailable: false,
      cancelled: false,
      booked: true,
      confirmed: false,
      subscription_id: null,
      attendees: [
        { user_id: buyer.id, email: "buyer@acme.test", name: null, responseStatus: "needsAction" },
        { user_id: null, email: "guest@example.com", name: "Guest", responseStatus: "needsAction" },
      ],
    });
    const calendar = await t.request({ method: "GET", url: "/v1/calendars/auth?from=2027-03-01T00:00:00Z&to=2027-04-01T00:00:00Z", headers: bearer(seller.token) });
    expect(calendar.json().events.map((e: { id: string }) => e.id)).toContain(res.json().id);
  });

  it("are 409 outside availability, in the owner's time zone", async () => {
    // 08:00–09:00 New York on that Monday: before the day opens.
    const early = await createEvent(seller, { eventStart: "2027-03-08T13:00:00Z", eventEnd: "2027-03-08T14:00:00Z" });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe("outside_availability");
    const weekend = await createEvent(seller, { eventStart: "2027-03-13T15:00:00Z", eventEnd: "2027-03-13T16:00:00Z" });
    expect(weekend.statusCode).toBe(409);
    // After the change to EDT (14 March 2027), 09:00 local is 13:00Z: the same UTC hour now fits.
    const afterDst = await createEvent(seller, { eventStart: "2027-03-15T13:00:00Z", eventEnd: "2027-03-15T14:00:00Z" });
    expect(afterDst.statusCode).toBe(201);
  });

  it("may block time off anywhere (isUnavailable)", async () => {
    const res = await createEvent(seller, { eventStart: "2027-03-13T15:00:00Z", eventEnd: "2027-03-13T18:00:00Z", isUnavailable: true, title: "Away" });
    expect(res.statusCode).toBe(201);
  });

  it("are 409 when they overlap another event; cancelling frees the time", async () => {
    const clash = await createEvent(seller, { eventStart: "2027-03-08T15:30:00Z", eventEnd: "2027-03-08T16:30:00Z" });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error.code).toBe("slot_taken");
    const touching = await createEvent(seller, { eventStart: "2027-03-08T16:00:00Z", eventEnd: "2027-03-08T17:00:00Z" });
    expect(touching.statusCode).toBe(201);
    const cancelled = await t.request({ method: "PUT", url: `/v1/calendars/auth/event/${touching.json().id}`, headers: bearer(seller.token), payload: { cancelled: true } });
    expect(cancelled.json().cancelled).toBe(true);
    expect((await createEvent(seller, { eventStart: "2027-03-08T16:00:00Z", eventEnd: "2027-03-08T16:30:00Z" })).statusCode).toBe(201);
  });

  it("let exactly one of two parallel bookings of a slot through", async () => {
    const s = { eventStart: "2027-03-09T15:00:00Z", eventEnd: "2027-03-09T16:00:00Z" };
    const results = await Promise.all([createEvent(seller, s), createEvent(seller, s), createEvent(seller, s)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    expect(await t.db.calendarEvent.count({ where: { userId: seller.id, eventStart: new Date(s.eventStart) } })).toBe(1);
  });

  it("are moved with the same checks", async () => {
    const event = (await createEvent(seller, { eventStart: "2027-03-10T15:00:00Z", eventEnd: "2027-03-10T16:00:00Z" })).json();
    const ontoOther = await t.request({ method: "PUT", url: `/v1/calendars/auth/event/${event.id}`, headers: bearer(seller.token), payload: { ...slot } });
    expect(ontoOther.statusCode).toBe(409);
    const later = await t.request({
      method: "PUT",
      url: `/v1/calendars/auth/event/${event.id}`,
      headers: bearer(seller.token),
      payload: { eventStart: "2027-03-10T17:00:00Z", eventEnd: "2027-03-10T18:00:00Z", title: "Moved" },
    });
    expect(later.statusCode).toBe(200);
    expect(later.json()).toMatchObject({ title: "Moved", eventStart: "2027-03-10T17:00:00Z" });
    const inverted = await t.request({ method: "PUT", url: `/v1/calendars/auth/event/${event.id}`, headers: bearer(seller.token), payload: { eventEnd: "2027-03-10T16:00:00Z" } });
    expect(inverted.statusCode).toBe(400);
    expect(inverted.json().error.param).toBe("eventEnd");
  });

  it("are 400 for bad times and attendees, 404 for foreign attendees", async () => {
    expect((await createEvent(seller, { eventStart: "2027-03-11T16:00:00Z", eventEnd: "2027-03-11T15:00:00Z" })).json().error.param).toBe("eventEnd");
    expect((await createEvent(seller, { eventStart: "tomorrow", eventEnd: "2027-03-11T15:00:00Z" })).json().error.param).toBe("eventStart");
    expect((await createEvent(seller, { eventEnd: "2027-03-11T15:00:00Z" })).json().error).toMatchObject({ code: "parameter_missing", param: "eventStart" });
    const noContact = await createEvent(seller, { eventStart: "2027-03-11T15:00:00Z", eventEnd: "2027-03-11T16:00:00Z", attendees: [{ name: "Nobody" }] });
    expect(noContact.json().error.param).toBe("attendees.0.email");
    const foreign = await createEvent(seller, { eventStart: "2027-03-11T15:00:00Z", eventEnd: "2027-03-11T16:00:00Z", attendees: [{ user_id: stranger.id }] });
    expect(foreign.statusCode).toBe(404);
    expect(await t.db.calendarEvent.count({ where: { userId: seller.id, eventStart: new Date("2027-03-11T15:00:00Z") } })).toBe(0);
  });

  it("are private: another user's event is 404", async () => {
    const event = (await createEvent(seller, { eventStart: "2027-03-12T15:00:00Z", eventEnd: "2027-03-12T15:30:00Z" })).json();
    for (const method of ["GET", "PUT", "DELETE"] as const) {
      const res = await t.request({ method, url: `/v1/calendars/auth/event/${event.id}`, headers: bearer(buyer.token), payload: method === "PUT" ? { title: "x" } : undefined });
      expect(res.statusCode, method).toBe(404);
    }
  });

  it("are removed, except those a subscription made (409)", async () => {
    const event = (await createEvent(seller, { eventStart: "2027-03-12T16:00:00Z", eventEnd: "2027-03-12T16:30:00Z" })).json();
    const removed = await t.request({ method: "DELETE", url: `/v1/calendars/auth/event/${event.id}`, headers: bearer(seller.token) });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().id).toBe(event.id);
    expect((await t.request({ method: "GET", url: `/v1/calendars/auth/event/${event.id}`, headers: bearer(seller.token) })).statusCode).toBe(404);

    const booked = (await createEvent(seller, { eventStart: "2027-03-12T17:00:00Z", eventEnd: "2027-03-12T17:30:00Z" })).json();
    await t.db.calendarEvent.update({ where: { id: booked.id }, data: { subscriptionId: "subs_00000000000000000000000000000000" } });
    const refused = await t.request({ method: "DELETE", url: `/v1/calendars/auth/event/${booked.id}`, headers: bearer(seller.token) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe("subscription_event");
    expect(await t.db.calendarEvent.count({ where: { id: booked.id } })).toBe(1);
  });
});

describe("GET /v1/calendars/user/:user_id/slots", () => {
  it("lists free slots around busy events, across the DST change, in the requested zone", async () => {
    // Friday 2027-03-12 (EST) and Monday 2027-03-15 (EDT); the seller has events on the Friday.
    const res = await t.request({
      method: "GET",
      url: `/v1/calendars/user/${seller.id}/slots?from=2027-03-12T00:00:00Z&to=2027-03-16T00:00:00Z&duration=60&timezone=Europe/Paris`,
      headers: bearer(buyer.token),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ user_id: seller.id, timezone: "Europe/Paris", duration: 60 });
    const friday = body.slots.filter((s: { startUtc: string }) => s.startUtc.startsWith("2027-03-12"));
    // Open 14:00–22:00Z; busy 15:00–15:30 and 17:00–17:30; cancelled-free 16:00–16:30 stays free? (deleted)
    expect(friday.map((s: { startUtc: string }) => s.startUtc.slice(11, 16))).toEqual(["14:00", "15:30", "17:30", "18:30", "19:30", "20:30"]);
    expect(friday[0]).toMatchObject({ start: "2027-03-12T15:00:00+01:00", end: "2027-03-12T16:00:00+01:00", startUtc: "2027-03-12T14:00:00Z" });
    const monday = body.slots.filter((s: { startUtc: string }) => s.startUtc.startsWith("2027-03-15"));
    expect(monday[0].startUtc).toBe("2027-03-15T14:00:00Z"); // 13:00–14:00Z is taken by an event
    expect(monday.at(-1).endUtc).toBe("2027-03-15T21:00:00Z"); // 17:00 EDT
    expect(body.slots.some((s: { startUtc: string }) => s.startUtc.startsWith("2027-03-13"))).toBe(false);
  });

  it("defaults to the owner's time zone and honours step", async () => {
    const res = await t.request({
      method: "GET",
      url: `/v1/calendars/user/${seller.id}/slots?from=2027-04-05T13:00:00Z&to=2027-04-05T15:00:00Z&duration=60&step=30`,
      headers: bearer(acme.apiKey),
    });
    expect(res.json().timezone).toBe("America/New_York");
    expect(res.json().slots.map((s: { start: string }) => s.start)).toEqual(["2027-04-05T09:00:00-04:00", "2027-04-05T09:30:00-04:00", "2027-04-05T10:00:00-04:00"]);
  });

  it("is 400 for a bad window or duration, 404 for a foreign user", async () => {
    const q = (query: string) => t.request({ method: "GET", url: `/v1/calendars/user/${seller.id}/slots?${query}`, headers: bearer(buyer.token) });
    expect((await q("from=2027-01-01T00:00:00Z&to=2027-06-01T00:00:00Z&duration=30")).json().error.param).toBe("to");
    expect((await q("from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z&duration=30")).json().error.param).toBe("to");
    expect((await q("duration=2")).json().error.param).toBe("duration");
    expect((await q("")).json().error).toMatchObject({ code: "parameter_missing", param: "duration" });
    expect((await q("duration=30&timezone=Nowhere/City")).json().error.param).toBe("timezone");
    expect((await t.request({ method: "GET", url: `/v1/calendars/user/${stranger.id}/slots?duration=30`, headers: bearer(buyer.token) })).statusCode).toBe(404);
  });
});

describe("GET /v1/calendar/localtime", () => {
  it("converts a UTC date to a zone", async () => {
    const res = await t.request({ method: "GET", url: "/v1/calendar/localtime?date=2023-06-21T10:00:00Z&timezone=America/New_York", headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      date: "2023-06-21T10:00:00Z",
      timezone: "America/New_York",
      local: "2023-06-21T06:00:00-04:00",
      localDate: "2023-06-21",
      localTime: "06:00:00",
      offset: "-04:00",
      offsetMinutes: -240,
      abbreviation: "EDT",
    });
  });

  it("uses the signed-in user's zone when none is given; also at /v1/calendars/localtime", async () => {
    const res = await t.request({ method: "GET", url: "/v1/calendars/localtime?date=2023-12-21T10:00:00Z", headers: bearer(seller.token) });
    expect(res.json()).toMatchObject({ timezone: "America/New_York", local: "2023-12-21T05:00:00-05:00", abbreviation: "EST" });
  });

  it("is 400 without a zone to use, or for a bad date or zone; 401 without credentials", async () => {
    expect((await t.request({ method: "GET", url: "/v1/calendar/localtime?date=2023-12-21T10:00:00Z", headers: bearer(acme.apiKey) })).json().error.param).toBe("timezone");
    expect((await t.request({ method: "GET", url: "/v1/calendar/localtime?date=yesterday&timezone=UTC", headers: bearer(acme.apiKey) })).json().error.param).toBe("date");
    expect((await t.request({ method: "GET", url: "/v1/calendar/localtime?date=2023-12-21T10:00:00Z&timezone=Mars/Base", headers: bearer(acme.apiKey) })).json().error.param).toBe(
      "timezone",
    );
    expect((await t.request({ method: "GET", url: "/v1/calendar/localtime?date=2023-12-21T10:00:00Z&timezone=UTC" })).statusCode).toBe(401);
  });
});
