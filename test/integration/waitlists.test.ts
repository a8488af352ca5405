import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { startSmtpServer } from "../helpers/smtp.js";

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme", url: "https://acme.example" });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

const join = (platform: TestPlatform, email: string, name?: string) =>
  t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(platform.apiKey), payload: { email, ...(name ? { name } : {}) } });

const list = async (platform: TestPlatform, query = "") => (await t.request({ method: "GET", url: `/v1/waitlists${query}`, headers: bearer(platform.apiKey) })).json();

describe("waitlists", () => {
  it("POST adds someone with a position; joining again answers the same entry", async () => {
    const p = await t.createPlatform();
    const first = await join(p, "Ann@Example.com", "Ann");
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ email: "ann@example.com", name: "Ann", position: 1, granted: null, platform_id: p.id });
    expect(first.json().id).toMatch(/^wlist_[0-9a-f]{32}$/);
    const second = await join(p, "bob@example.com");
    expect(second.json().position).toBe(2);
    const again = await join(p, "ann@example.com");
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: first.json().id, position: 1 });
  });

  it("POST is public with platform_id, and 400/404 without a usable platform", async () => {
    const res = await t.request({ method: "POST", url: "/v1/waitlists", payload: { email: "public@example.com", platform_id: acme.id } });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ joined: true, platform_id: acme.id, email: "public@example.com" });
    expect(await t.db.waitlistEntry.count({ where: { platformId: acme.id, email: "public@example.com" } })).toBe(1);
    expect((await t.request({ method: "POST", url: "/v1/waitlists", payload: { email: "x@example.com" } })).statusCode).toBe(400);
    expect((await t.request({ method: "POST", url: "/v1/waitlists", payload: { email: "x@example.com", platform_id: "plat_nope" } })).statusCode).toBe(404);
    expect((await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(acme.apiKey), payload: { email: "bad" } })).json().error.param).toBe("email");
    expect((await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(acme.apiKey), payload: { email: "a@b.co", position: 1 } })).statusCode).toBe(400);
  });

  it("keeps positions 1..n under concurrent joins", async () => {
    const p = await t.createPlatform();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => join(p, `c${i}@example.com`)));
    expect(answers.every((a) => a.statusCode === 201)).toBe(true);
    const entries = (await list(p, "?per_page=100")).data;
    expect(entries.map((e: { position: number }) => e.position)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(answers.map((a) => a.json().position)).size).toBe(30);
  });

  it("joins with the same email in parallel make one entry", async () => {
    const p = await t.createPlatform();
    const answers = await Promise.all(Array.from({ length: 6 }, () => join(p, "same@example.com")));
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(1);
    expect((await list(p)).meta.total).toBe(1);
  });

  it("closes positions up on removal", async () => {
    const p = await t.createPlatform();
    const ids = [];
    for (const who of ["a", "b", "c", "d"]) ids.push((await join(p, `${who}@example.com`)).json().id);
    const removed = await t.request({ method: "DELETE", url: `/v1/waitlists/${ids[1]}/remove`, headers: bearer(p.apiKey) });
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ id: ids[1], position: 2 });
    const entries = (await list(p)).data;
    expect(entries.map((e: { id: string; position: number }) => [e.id, e.position])).toEqual([
      [ids[0], 1],
      [ids[2], 2],
      [ids[3], 3],
    ]);
    expect((await t.request({ method: "DELETE", url: `/v1/waitlists/${ids[1]}/remove`, headers: bearer(p.apiKey) })).statusCode).toBe(404);
    const rejoin = await join(p, "b@example.com");
    expect(rejoin.json().position).toBe(4);
  });

  it("grant sets `granted` and emails the person, once", async () => {
    const entry = (await join(acme, "lucky@example.com", "Lucky")).json();
    const res = await t.request({ method: "POST", url: `/v1/waitlists/${entry.id}/grant`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(200);
    expect(res.json().granted).toMatch(/Z$/);
    const email = await smtp.waitFor("lucky@example.com");
    expect(email.subject).toContain("Acme");
    expect(email.raw).toContain("https://acme.example");
    const again = await t.request({ method: "POST", url: `/v1/waitlists/${entry.id}/grant`, headers: bearer(acme.apiKey) });
    expect(again.json().granted).toBe(res.json().granted);
    // Once every queued email has gone out, there was still only one for this address.
    await expect
      .poll(async () => Number((await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'send-email'`)[0]!.n), {
        timeout: 15_000,
      })
      .toBe(0);
    expect(smtp.messages.filter((m) => m.to.includes("lucky@example.com"))).toHaveLength(1);
  });

  it("lists with filters, search, sort and pagination; counts", async () => {
    const p = await t.createPlatform();
    for (const who of ["amy", "ben", "cat", "dan"]) await join(p, `${who}@example.com`, who.toUpperCase());
    const ben = (await list(p, "?search=ben")).data[0];
    await t.request({ method: "POST", url: `/v1/waitlists/${ben.id}/grant`, headers: bearer(p.apiKey) });
    const waiting = await list(p, "?filter[granted]=false");
    expect(waiting.data.map((e: { name: string }) => e.name)).toEqual(["AMY", "CAT", "DAN"]);
    expect(waiting.data.map((e: { position: number }) => e.position)).toEqual([1, 3, 4]);
    const granted = await list(p, "?filter[granted]=true");
    expect(granted.data.map((e: { name: string }) => e.name)).toEqual(["BEN"]);
    const reversed = await list(p, "?sort=-position&per_page=2");
    expect(reversed.data.map((e: { name: string }) => e.name)).toEqual(["DAN", "CAT"]);
    expect(reversed.meta).toMatchObject({ total: 4, last_page: 2, from: 1, to: 2 });
    const count = await t.request({ method: "GET", url: "/v1/waitlists/count", headers: bearer(p.apiKey) });
    expect(count.json()).toEqual({ count: 4, waiting: 3, granted: 1 });
  });

  it("admin routes: 401 without credentials, 403 for a member, open to an admin", async () => {
    const member = await t.createUser(acme, "member");
    const admin = await t.createUser(acme, "admin");
    for (const [method, url] of [
      ["GET", "/v1/waitlists"],
      ["GET", "/v1/waitlists/count"],
      ["POST", "/v1/waitlists/wlist_x/grant"],
      ["DELETE", "/v1/waitlists/wlist_x/remove"],
    ] as const) {
      expect((await t.request({ method, url })).statusCode, `${method} ${url}`).toBe(401);
      expect((await t.request({ method, url, headers: bearer(member.token) })).statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await t.request({ method: "GET", url: "/v1/waitlists", headers: bearer(admin.token) })).statusCode).toBe(200);
  });

  it("another platform's entries are 404 and never listed", async () => {
    const theirs = (await join(other, "theirs@example.com")).json();
    expect((await t.request({ method: "POST", url: `/v1/waitlists/${theirs.id}/grant`, headers: bearer(acme.apiKey) })).statusCode).toBe(404);
    expect((await t.request({ method: "DELETE", url: `/v1/waitlists/${theirs.id}/remove`, headers: bearer(acme.apiKey) })).statusCode).toBe(404);
    expect((await list(acme, "?search=theirs")).data).toEqual([]);
    expect((await t.db.waitlistEntry.findUniqueOrThrow({ where: { id: theirs.id } })).granted).toBeNull();
  });
});
