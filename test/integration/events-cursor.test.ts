import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordEvent } from "../../src/modules/events/events.service.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { createTestDatabase } from "../helpers/database.js";

interface Page {
  data: { id: string; type: string; object_id: string }[];
  has_more: boolean;
}

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(() => t.close());

async function list(query: string, platform = acme): Promise<Page> {
  const res = await t.request({ method: "GET", url: `/v1/events?${query}`, headers: bearer(platform.apiKey) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const createUser = (n: number | string) =>
  t.request({ method: "POST", url: "/v1/users", headers: { ...bearer(acme.apiKey), "content-type": "application/json" }, payload: { email: `u${n}@acme.test` } });

/** Every event of the platform, by offset pages (which show an event as soon as it commits). */
async function allIds(): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page += 1) {
    const res = await t.request({ method: "GET", url: `/v1/events?per_page=100&page=${page}`, headers: bearer(acme.apiKey) });
    const body = res.json();
    ids.push(...body.data.map((e: { id: string }) => e.id));
    if (page >= body.meta.last_page) return ids;
  }
}

/**
 * A poller as a client writes it: start from the newest page, then ask for what is newer than the
 * newest event seen, following `has_more`.
 */
function poller() {
  const seen: string[] = [];
  let newest: string | undefined;
  return {
    seen,
    async poll(): Promise<number> {
      let got = 0;
      for (;;) {
        const page = await list(newest ? `limit=5&ending_before=${newest}` : "limit=5");
        if (page.data.length > 0) newest = page.data[0]!.id;
        seen.push(...page.data.map((e) => e.id).reverse());
        got += page.data.length;
        if (!newest || !page.has_more) return got;
      }
    },
  };
}

/** Polls until `done` holds (the test's timeout bounds it; the pause only paces the loop). */
async function pollUntil(p: ReturnType<typeof poller>, done: () => boolean | Promise<boolean>): Promise<void> {
  for (;;) {
    await p.poll();
    if (await done()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("GET /v1/events with cursors", () => {
  it("pages newest first with limit and starting_after, answered as { data, has_more }", async () => {
    for (let i = 0; i < 7; i += 1) expect((await createUser(`page${i}`)).statusCode).toBe(201);
    const expected = await allIds();
    // Cursor pages show an event once every transaction that started before its own has finished,
    // anywhere on the database server (other test files' too): wait until these are all shown.
    await expect.poll(async () => (await list("limit=100")).data.length, { timeout: 20_000 }).toBe(expected.length);
    const walked: string[] = [];
    let page = await list("limit=3");
    expect(Object.keys(page).sort()).toEqual(["data", "has_more"]);
    walked.push(...page.data.map((e) => e.id));
    while (page.has_more) {
      page = await list(`limit=3&starting_after=${walked.at(-1)}`);
      walked.push(...page.data.map((e) => e.id));
    }
    expect(walked).toEqual(expected);
    // ending_before walks back up, each page still newest first.
    const back = await list(`limit=2&ending_before=${walked.at(-1)}`);
    expect(back.data.map((e) => e.id)).toEqual(walked.slice(-3, -1));
    expect(back.has_more).toBe(true);
  });

  it("keeps offsets for old clients, and filters either way", async () => {
    const offset = await t.request({ method: "GET", url: "/v1/events?page=1&per_page=2", headers: bearer(acme.apiKey) });
    expect(offset.json().meta).toMatchObject({ per_page: 2, current_page: 1 });
    const created = await list("limit=100&filter[type]=user.created");
    expect(created.data.length).toBeGreaterThan(0);
    expect(created.data.every((e) => e.type === "user.created")).toBe(true);
  });

  it("refuses a cursor of another platform, two cursors, or a cursor with page", async () => {
    const [first] = (await list("limit=1")).data;
    const foreign = await t.request({ method: "GET", url: `/v1/events?starting_after=${first!.id}`, headers: bearer(other.apiKey) });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json().error).toMatchObject({ code: "resource_missing", param: "starting_after" });
    const both = await t.request({ method: "GET", url: `/v1/events?starting_after=${first!.id}&ending_before=${first!.id}`, headers: bearer(acme.apiKey) });
    expect(both.json().error).toMatchObject({ code: "cursor_conflict" });
    const mixed = await t.request({ method: "GET", url: `/v1/events?limit=5&page=2`, headers: bearer(acme.apiKey) });
    expect(mixed.json().error).toMatchObject({ code: "cursor_conflict", param: "page" });
  });

  it("never skips an event committed after a newer one was already polled", async () => {
    const before = new Set(await allIds());
    const p = poller();
    await p.poll();
    // A slow transaction records its event first and commits last.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let recorded!: () => void;
    const written = new Promise<void>((resolve) => (recorded = resolve));
    const slow = t.db.$transaction(
      async (tx) => {
        const event = await recordEvent(tx, { platformId: acme.id, mode: acme.mode, type: "user.updated", object: { id: "user_slow" } });
        recorded();
        await gate;
        return event;
      },
      { timeout: 60_000 },
    );
    await written;
    // Meanwhile a quick one commits, and the poller polls.
    expect((await createUser("quick")).statusCode).toBe(201);
    await p.poll();
    release();
    const { id: slowId } = await slow;
    await pollUntil(p, () => p.seen.includes(slowId));
    const expected = (await allIds()).filter((id) => !before.has(id));
    expect(expected).toHaveLength(2);
    expect(p.seen.filter((id) => !before.has(id)).sort()).toEqual(expected.sort());
    expect(p.seen.length).toBe(new Set(p.seen).size);
  });

  it("neither skips nor repeats while events are written concurrently", async () => {
    const before = new Set(await allIds());
    const p = poller();
    await p.poll();
    const writers = Array.from({ length: 4 }, (_, w) =>
      (async () => {
        for (let i = 0; i < 6; i += 1) expect((await createUser(`w${w}-${i}`)).statusCode).toBe(201);
      })(),
    );
    let writing = true;
    const polling = (async () => {
      while (writing) {
        await p.poll();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await Promise.all(writers);
    writing = false;
    await polling;
    const expected = (await allIds()).filter((id) => !before.has(id));
    expect(expected).toHaveLength(24);
    const fresh = () => p.seen.filter((id) => !before.has(id));
    await pollUntil(p, () => fresh().length >= expected.length);
    expect(p.seen.length).toBe(new Set(p.seen).size);
    expect(fresh().sort()).toEqual(expected.sort());
  });

  it("is not held back by a long transaction of another database on the same server", async () => {
    const elsewhere = await createTestDatabase({ empty: true });
    const client = new pg.Client({ connectionString: elsewhere.url });
    await client.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_current_xact_id()");
      const created = await createUser("while-elsewhere-runs");
      expect(created.statusCode).toBe(201);
      const newest = await list("limit=1");
      expect(newest.data[0]).toMatchObject({ type: "user.created", object_id: created.json().id });
    } finally {
      await client.query("ROLLBACK");
      await client.end();
      await elsewhere.drop();
    }
  });
});
