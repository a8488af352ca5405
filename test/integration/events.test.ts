import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../src/modules/events/event-types.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { PNG_1PX, multipart } from "../helpers/images.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";

interface ApiEvent {
  id: string;
  platform_id: string;
  mode: string;
  type: string;
  object_type: string;
  object_id: string;
  data: { object: Record<string, unknown> };
  request_id: string | null;
  created: string;
}

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let admin: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  admin = await t.createUser(acme, "admin", "admin@acme.test");
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

const key = (p: TestPlatform = acme) => bearer(p.apiKey);

function upload(url: string) {
  const form = multipart("media", "image.png", PNG_1PX, "image/png");
  return t.request({ method: "POST", url, headers: { ...key(), ...form.headers }, payload: form.payload });
}

async function events(query = "", platform: TestPlatform = acme): Promise<{ data: ApiEvent[]; meta: { total: number } & Record<string, number | null> }> {
  const res = await t.request({ method: "GET", url: `/v1/events${query}`, headers: key(platform) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** The events about one object, oldest first. */
async function eventsAbout(objectId: string, platform: TestPlatform = acme): Promise<ApiEvent[]> {
  return (await events(`?filter[object_id]=${objectId}&per_page=100`, platform)).data.reverse();
}

/** The one event the request's change recorded: its type, the object as answered, and the request's id. */
async function expectEventOf(res: LightMyRequestResponse, type: string, object: Record<string, unknown> = res.json()) {
  expect(res.statusCode, res.body).toBeLessThan(300);
  const found = (await events(`?filter[type]=${type}&per_page=100`)).data.filter((e) => e.request_id === res.headers["request-id"]);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatchObject({ type, object_id: object.id, platform_id: acme.id, mode: "test" });
  expect(found[0]!.data.object).toEqual(object);
  return found[0]!;
}

describe("events recorded by each change", () => {
  it("user.created (API) and user.updated (profile, role, image, links), each with the user after the change", async () => {
    const created = await t.request({ method: "POST", url: "/v1/users", headers: key(), payload: { email: "eve@example.com", name: "Eve" } });
    const event = await expectEventOf(created, "user.created");
    expect(event).toMatchObject({ object_type: "user", id: expect.stringMatching(/^evt_[0-9a-f]{32}$/), created: expect.stringMatching(/Z$/) });
    const id = created.json().id as string;

    await expectEventOf(await t.request({ method: "PUT", url: `/v1/users/${id}`, headers: key(), payload: { username: "eve_e", bio: "hi" } }), "user.updated");
    const promoted = await t.request({ method: "PUT", url: `/v1/users/${id}`, headers: key(), payload: { role: "editor" } });
    expect((await expectEventOf(promoted, "user.updated")).data.object.role).toBe("editor");
    await expectEventOf(await upload(`/v1/users/${id}/image`), "user.updated");
    const linked = await t.request({ method: "POST", url: `/v1/users/${id}/link`, headers: key(), payload: { label: "site", url: "https://eve.example" } });
    await expectEventOf(linked, "user.updated");
    const linkId = (linked.json().links as { id: string }[])[0]!.id;
    await expectEventOf(await t.request({ method: "DELETE", url: `/v1/users/${id}/link/${linkId}`, headers: key() }), "user.updated");

    const user = await t.createUser(acme, "member");
    await expectEventOf(await t.request({ method: "PUT", url: "/v1/users/auth", headers: bearer(user.token), payload: { name: "Self" } }), "user.updated");

    expect((await eventsAbout(id)).map((e) => e.type)).toEqual(["user.created", "user.updated", "user.updated", "user.updated", "user.updated", "user.updated"]);
  });

  it("records nothing for a change that failed and rolled back", async () => {
    const before = (await events()).meta.total!;
    const taken = await t.request({ method: "POST", url: "/v1/users", headers: key(), payload: { email: "admin@acme.test" } });
    expect(taken.statusCode).toBe(409);
    const user = await t.createUser(acme, "member");
    await t.request({ method: "PUT", url: `/v1/users/${user.id}`, headers: key(), payload: { username: "unique_one" } });
    const clash = await t.request({ method: "PUT", url: `/v1/users/${admin.id}`, headers: key(), payload: { username: "unique_one" } });
    expect(clash.statusCode).toBe(409);
    expect((await events()).meta.total).toBe(before + 1);
  });

  it("user.created on a first sign-in; user.updated only when a sign-in cancels a scheduled deletion", async () => {
    const signIn = async (email: string) => {
      smtp.messages.length = 0;
      await t.request({ method: "POST", url: "/v1/auth/otp/email", headers: key(), payload: { email } });
      const code = codeOf(await smtp.waitFor(email));
      const res = await t.request({ method: "POST", url: "/v1/auth/otp/verify", headers: key(), payload: { email, token: code } });
      expect(res.statusCode, res.body).toBe(200);
      return res;
    };
    const first = await signIn("newcomer@example.com");
    const user = first.json().user as Record<string, unknown>;
    await expectEventOf(first, "user.created", user);

    await signIn("newcomer@example.com");
    expect((await eventsAbout(user.id as string)).map((e) => e.type)).toEqual(["user.created"]);

    const token = first.json().token as string;
    await expectEventOf(await t.request({ method: "DELETE", url: "/v1/users/auth", headers: bearer(token) }), "user.deletion_scheduled");
    const back = await signIn("newcomer@example.com");
    const cancelled = await expectEventOf(back, "user.updated", back.json().user);
    expect(cancelled.data.object.scheduledDeletion).toBeNull();
  });

  it("user.deletion_scheduled once; user.deleted by the erase job, and no event keeps the person's data", async () => {
    const created = await t.request({ method: "POST", url: "/v1/users", headers: key(), payload: { email: "leaving@example.com", name: "Leaving Soon" } });
    const id = created.json().id as string;
    const joined = await t.request({ method: "POST", url: "/v1/waitlists", headers: key(), payload: { email: "leaving@example.com", name: "Leaving Soon" } });
    const scheduled = await t.request({ method: "DELETE", url: `/v1/users/${id}`, headers: key() });
    await expectEventOf(scheduled, "user.deletion_scheduled");
    const again = await t.request({ method: "DELETE", url: `/v1/users/${id}`, headers: key() });
    expect(again.json().scheduledDeletion).toBe(scheduled.json().scheduledDeletion);
    expect((await eventsAbout(id)).map((e) => e.type)).toEqual(["user.created", "user.deletion_scheduled"]);

    await t.db.user.update({ where: { id }, data: { scheduledDeletion: new Date(Date.now() - 1000) } });
    // This file's worker runs the hourly job as soon as it is queued.
    await t.db.$executeRaw`SELECT graphile_worker.add_job('erase-due-users')`;
    await expect.poll(async () => (await eventsAbout(id)).length, { timeout: 15_000 }).toBe(3);

    const history = await eventsAbout(id);
    expect(history.map((e) => e.type)).toEqual(["user.created", "user.deletion_scheduled", "user.deleted"]);
    const deleted = history.at(-1)!;
    expect(deleted.request_id).toBeNull();
    expect(deleted.data.object).toMatchObject({ id, email: null, name: null, username: null, links: [] });
    for (const e of history) expect(JSON.stringify(e.data)).not.toMatch(/leaving@example\.com|Leaving Soon/);
    for (const e of await eventsAbout(joined.json().id)) expect(JSON.stringify(e.data)).not.toMatch(/leaving@example\.com|Leaving Soon/);
  });

  it("platform.updated (modify, logo)", async () => {
    await expectEventOf(
      await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { description: "Things", domains: ["acme.events.test"] } }),
      "platform.updated",
    );
    const logo = await upload(`/v1/platforms/${acme.id}/image`);
    const event = await expectEventOf(logo, "platform.updated");
    expect(event.data.object.logo).toBe(logo.json().logo);
  });

  it("platform.created and api_key.created when a platform is created", async () => {
    const p = await t.createPlatform({ name: "Fresh" });
    const history = (await events("?per_page=100", p)).data.reverse();
    expect(history.map((e) => e.type)).toEqual(["platform.created", "api_key.created"]);
    expect(history[0]!.data.object).toMatchObject({ id: p.id, name: "Fresh" });
    expect(history[1]!.data.object).toMatchObject({ name: "Default key", platform_id: p.id });
  });

  it("api_key.created and api_key.revoked, never with the secret", async () => {
    const created = await t.request({ method: "POST", url: `/v1/platforms/${acme.id}/keys`, headers: key(), payload: { name: "Backend" } });
    const { secret, ...shown } = created.json() as Record<string, unknown>;
    const event = await expectEventOf(created, "api_key.created", shown);
    expect(JSON.stringify(event)).not.toContain(secret as string);
    await expectEventOf(await t.request({ method: "DELETE", url: `/v1/platforms/${acme.id}/keys/${shown.id}`, headers: key() }), "api_key.revoked");
  });

  it("waitlist_entry.created (not for a repeated join), .granted (once) and .removed (as it was)", async () => {
    const joined = await t.request({ method: "POST", url: "/v1/waitlists", headers: key(), payload: { email: "queue@example.com" } });
    expect(joined.statusCode).toBe(201);
    await expectEventOf(joined, "waitlist_entry.created");
    expect((await t.request({ method: "POST", url: "/v1/waitlists", payload: { email: "queue@example.com", platform_id: acme.id } })).statusCode).toBe(202);
    const id = joined.json().id as string;
    await expectEventOf(await t.request({ method: "POST", url: `/v1/waitlists/${id}/grant`, headers: key() }), "waitlist_entry.granted");
    await t.request({ method: "POST", url: `/v1/waitlists/${id}/grant`, headers: key() });
    await expectEventOf(await t.request({ method: "DELETE", url: `/v1/waitlists/${id}/remove`, headers: key() }), "waitlist_entry.removed");
    expect((await eventsAbout(id)).map((e) => e.type)).toEqual(["waitlist_entry.created", "waitlist_entry.granted", "waitlist_entry.removed"]);
  });

  it("keeps the event list in one place: every recorded type is a known type", async () => {
    const all = await t.db.event.findMany({ select: { type: true }, distinct: ["type"] });
    for (const { type } of all) expect(EVENT_TYPES).toContain(type);
  });
});

describe("GET /v1/events", () => {
  it("lists newest first with { data, meta }, and pages", async () => {
    const p = await t.createPlatform();
    for (const email of ["a@example.com", "b@example.com", "c@example.com"]) await t.request({ method: "POST", url: "/v1/users", headers: key(p), payload: { email } });
    const page1 = await events("?per_page=2", p);
    expect(page1.meta).toMatchObject({ total: 5, per_page: 2, current_page: 1, last_page: 3, from: 1, to: 2 });
    expect(page1.data.map((e) => e.data.object.email)).toEqual(["c@example.com", "b@example.com"]);
    const page3 = await events("?per_page=2&page=3", p);
    expect(page3.data.map((e) => e.type)).toEqual(["platform.created"]);
  });

  it("filters by type (comma list), object id and date", async () => {
    const p = await t.createPlatform();
    const user = (await t.request({ method: "POST", url: "/v1/users", headers: key(p), payload: { email: "f@example.com" } })).json();
    await t.request({ method: "PUT", url: `/v1/users/${user.id}`, headers: key(p), payload: { name: "F" } });
    await t.request({ method: "POST", url: "/v1/waitlists", headers: key(p), payload: { email: "w@example.com" } });

    expect((await events("?filter[type]=user.created,waitlist_entry.created", p)).data.map((e) => e.type)).toEqual(["waitlist_entry.created", "user.created"]);
    expect((await events(`?filter[type]=user.updated&filter[type]=user.created`, p)).meta.total).toBe(2);
    expect((await events(`?filter[object_id]=${user.id}`, p)).data.map((e) => e.type)).toEqual(["user.updated", "user.created"]);

    const all = (await events("", p)).data;
    expect((await events(`?since=${encodeURIComponent(all[0]!.created)}`, p)).data.length).toBeGreaterThanOrEqual(1);
    await t.db.event.updateMany({ where: { platformId: p.id, type: { in: ["platform.created", "api_key.created"] } }, data: { created: new Date("2020-01-01T00:00:00Z") } });
    expect((await events("?since=2021-01-01", p)).meta.total).toBe(3);
    expect((await events("?since=2019-12-31T00:00:00Z", p)).meta.total).toBe(5);
  });

  it("is 400 for an unknown type, a malformed date or an unknown parameter", async () => {
    const bad = await t.request({ method: "GET", url: "/v1/events?filter[type]=user.exploded", headers: key() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toMatch(/^filter\[type\]/);
    expect((await t.request({ method: "GET", url: "/v1/events?since=yesterday", headers: key() })).json().error.param).toBe("since");
    expect((await t.request({ method: "GET", url: "/v1/events?filter[colour]=red", headers: key() })).statusCode).toBe(400);
  });

  it("never shows another platform's events", async () => {
    const mine = (await events("?per_page=100", other)).data;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((e) => e.platform_id === other.id)).toBe(true);
  });

  it("GET /:id answers the event; another platform's or an unknown id is 404", async () => {
    const [latest] = (await events("?per_page=1")).data;
    const res = await t.request({ method: "GET", url: `/v1/events/${latest!.id}`, headers: key() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(latest);
    const elsewhere = await t.request({ method: "GET", url: `/v1/events/${latest!.id}`, headers: key(other) });
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json().error.code).toBe("resource_missing");
    expect((await t.request({ method: "GET", url: "/v1/events/evt_00000000000000000000000000000000", headers: key() })).statusCode).toBe(404);
  });

  it("is for the platform key and admins: 401 without credentials, 403 for editors and members", async () => {
    expect((await t.request({ method: "GET", url: "/v1/events" })).statusCode).toBe(401);
    expect((await t.request({ method: "GET", url: "/v1/events/evt_00000000000000000000000000000000" })).statusCode).toBe(401);
    for (const role of ["member", "editor"] as const) {
      const user = await t.createUser(acme, role);
      const res = await t.request({ method: "GET", url: "/v1/events", headers: bearer(user.token) });
      expect(res.statusCode).toBe(403);
      expect((await t.request({ method: "GET", url: "/v1/events/evt_00000000000000000000000000000000", headers: bearer(user.token) })).statusCode).toBe(403);
    }
    expect((await t.request({ method: "GET", url: "/v1/events", headers: bearer(admin.token) })).statusCode).toBe(200);
  });
});
