import fs from "node:fs/promises";
import path from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { Logger, runOnce } from "graphile-worker";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createPrisma, type Db } from "../../src/db/client.js";
import { graphileLogger } from "../../src/jobs/worker.js";
import { bearer, createTestContext, TEST_JWT_SECRET, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, okContract, onboardSeller, simulatorCounts } from "../helpers/contracts.js";
import { GIF_1PX, multipart } from "../helpers/images.js";

/**
 * What an outsider learnt from answers, logs and files (and what a retry cost a buyer), each
 * pinned by the requests that showed it.
 */

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

/** A second node on the same database and data dir, whose every log line (trace and up) is kept. */
async function loggedNode(): Promise<{ app: FastifyInstance; lines: string[]; close(): Promise<void> }> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ DATABASE_URL: t.databaseUrl, DATA_DIR: t.dataDir, LOG_LEVEL: "trace", JWT_SECRET: TEST_JWT_SECRET, SEED_DEMO_PLATFORM: "false" });
  const db: Db = createPrisma(t.databaseUrl, 2);
  const app = await buildApp({ config, db, jwtSecret: TEST_JWT_SECRET, logger: pino({ level: "trace" }, sink) });
  await app.ready();
  return {
    app,
    lines,
    async close() {
      await app.close();
      await db.$disconnect();
    },
  };
}

describe("an unauthenticated waitlist join does not tell who is on the list", () => {
  it("joining with an email already there answers exactly what a new email gets: no name, place or grant", async () => {
    // The platform's key puts someone on the list and lets them in.
    const vip = await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(acme.apiKey), payload: { email: "vip@example.com", name: "Very Important" } });
    expect(vip.statusCode).toBe(201);
    await t.request({ method: "POST", url: `/v1/waitlists/${vip.json().id}/grant`, headers: bearer(acme.apiKey) });

    // The attacker, with no credentials, probes an address they suspect and one that is new.
    const probe = await t.request({ method: "POST", url: "/v1/waitlists", payload: { email: "vip@example.com", platform_id: acme.id } });
    const fresh = await t.request({ method: "POST", url: "/v1/waitlists", payload: { email: "nobody-yet@example.com", platform_id: acme.id } });
    expect(probe.statusCode).toBe(fresh.statusCode);
    expect(Object.keys(probe.json()).sort()).toEqual(Object.keys(fresh.json()).sort());
    expect(probe.json()).toEqual({ ...fresh.json(), email: "vip@example.com" });
    for (const field of ["id", "name", "position", "granted", "created"]) expect(probe.json()).not.toHaveProperty(field);
    expect(probe.body).not.toContain("Very Important");

    // A member's token is no better than no credentials.
    const member = await t.createUser(acme, "member");
    const asMember = await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(member.token), payload: { email: "vip@example.com" } });
    expect(asMember.statusCode).toBe(fresh.statusCode);
    expect(asMember.body).not.toContain("Very Important");

    // The platform itself still gets the entry.
    const again = await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(acme.apiKey), payload: { email: "vip@example.com" } });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ name: "Very Important", position: 1 });
  });
});

describe("secrets never reach the logs or other users of the machine", () => {
  it("a sign-in code (and the session it buys) is in no log line at any level; the outbox file is 0600 in a 0700 folder", async () => {
    const node = await loggedNode();
    try {
      const email = "victim@example.com";
      const asked = await node.app.inject({ method: "POST", url: "/v1/auth/otp/email", headers: bearer(acme.apiKey), payload: { email } });
      expect(asked.statusCode).toBe(200);
      // The worker sends the email through this node's dev outbox.
      await runOnce({ connectionString: t.databaseUrl, taskList: node.app.services.tasks, noHandleSignals: true, logger: new Logger(() => () => {}) });

      const dir = path.join(t.dataDir, "outbox");
      const [file] = (await fs.readdir(dir)).filter((f) => f.includes(email));
      const text = await fs.readFile(path.join(dir, file!), "utf8");
      const code = /Subject: (\d{6}) is your/.exec(text)![1]!;
      expect((await fs.stat(path.join(dir, file!))).mode & 0o777).toBe(0o600);
      expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);

      const session = await node.app.inject({ method: "POST", url: "/v1/auth/otp/verify", headers: bearer(acme.apiKey), payload: { email, token: code } });
      expect(session.statusCode, session.body).toBe(200);
      const { accessToken, refreshToken } = session.json();
      await node.app.inject({ method: "POST", url: "/v1/auth/session/refresh", headers: bearer(acme.apiKey), payload: { refreshToken } });

      const all = node.lines.join("\n");
      expect(node.lines.some((l) => l.includes("outbox email"))).toBe(true);
      // The code as a number on its own (six digits inside a timestamp or a duration are not it).
      expect(all).not.toMatch(new RegExp(`(?<![\\d.])${code}(?!\\d)`));
      expect(all).not.toContain(refreshToken);
      expect(all).not.toContain(accessToken);
    } finally {
      await node.close();
    }
  });

  it("a failed email job logs its name and id, never its payload", () => {
    const lines: string[] = [];
    const log = pino({ level: "trace" }, new Writable({ write: (chunk, _e, done) => (lines.push(chunk.toString()), done()) }));
    const job = { id: "42", task_identifier: "send-email", payload: { to: "victim@example.com", subject: "913572 is your Acme sign-in code", text: "913572" } };
    graphileLogger(log)
      .scope({ label: "worker" })
      .error("Failed task 42 (send-email)", { failure: true, job, error: new Error("smtp down") });
    expect(lines.join("")).toContain("send-email");
    expect(lines.join("")).not.toContain("913572");
  });

  it("the Connect onboarding ?token= and an upload ?signature= are censored in request logs", async () => {
    const node = await loggedNode();
    try {
      const seller = await t.createUser(acme, "member");
      const created = await node.app.inject({
        method: "POST",
        url: `/v1/users/${seller.id}/bank_account`,
        headers: bearer(acme.apiKey),
        payload: { return_url: "https://shop.test/payouts" },
      });
      expect(created.statusCode, created.body).toBe(200);
      const link = new URL(created.json().url as string);
      const token = link.searchParams.get("token")!;
      expect(token.length).toBeGreaterThan(8);
      expect((await node.app.inject({ method: "GET", url: `${link.pathname}${link.search}` })).statusCode).toBe(302);

      const signature = "ab".repeat(32);
      await node.app.inject({
        method: "PUT",
        url: `/v1/uploads/products%2Fx%2Fy.png?content_type=image%2Fpng&expires=9999999999&signature=${signature}`,
        headers: { "content-type": "image/png" },
        payload: GIF_1PX,
      });
      await node.app.inject({ method: "GET", url: "/v1/platforms?sig=s3cr3t-sig-value&Token=upper-case-token&code=123456", headers: bearer(acme.apiKey) });

      const all = node.lines.join("\n");
      expect(node.lines.some((l) => l.includes("/offline/connect/onboard/"))).toBe(true);
      expect(all).toContain("[redacted]");
      for (const secret of [token, signature, "s3cr3t-sig-value", "upper-case-token", acme.apiKey]) expect(all).not.toContain(secret);
      expect(all).not.toMatch(/(?<![\d.])123456(?!\d)/);
    } finally {
      await node.close();
    }
  });
});

describe("codes are not readable in the database while their email waits to be sent", () => {
  it("a sign-in code's and an email-change code's emails are queued sealed: the job rows hold no code, address or subject", async () => {
    // No worker runs in this context, so the jobs stay queued as they were written.
    const email = "queued-code@example.com";
    expect((await t.request({ method: "POST", url: "/v1/auth/otp/email", headers: { api_key: acme.apiKey, mode: "test" }, payload: { email } })).statusCode).toBe(200);
    const admin = await t.createUser(acme, "admin");
    const member = await t.createUser(acme, "member");
    const moved = await t.request({ method: "PUT", url: `/v1/users/${member.id}`, headers: bearer(admin.token), payload: { email: "moved-code@example.com" } });
    expect(moved.statusCode, moved.body).toBe(200);

    const jobs = await t.db.$queryRawUnsafe<Array<{ payload: Record<string, unknown> }>>(
      "SELECT payload FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks k ON k.id = j.task_id WHERE k.identifier = 'send-email'",
    );
    const text = JSON.stringify(jobs);
    // The two code emails are sealed; the old address's notice of the change carries no secret and stays readable.
    const sealed = jobs.filter((j) => typeof j.payload.sealed === "string");
    expect(sealed).toHaveLength(2);
    for (const { payload } of sealed) expect(Object.keys(payload)).toEqual(["sealed"]);
    for (const { payload } of sealed)
      expect(Buffer.from((payload.sealed as string).split(".")[3]!, "base64url").toString("latin1")).not.toMatch(/queued-code@|moved-code@|sign-in|confirm/);
    // Nowhere a code: the notice to the old address names the new one, never the code sent there.
    // (Six digits are looked for outside the sealed values, which base64url ciphertext holds some by
    // chance, and outside the addresses: a test user's ends in six characters of its id, at times all digits.)
    const readable = JSON.stringify(jobs.map(({ payload }) => (typeof payload.sealed === "string" ? { ...payload, sealed: "…" } : payload))).replace(
      /[\w.+-]+@example\.com/g,
      "<address>",
    );
    expect(text).not.toMatch(/sign-in code/i);
    expect(readable).not.toMatch(/\b\d{6}\b/);
  });
});

describe("uploaded media cannot be turned into a page on our origin", () => {
  it("a GIF with a script in it is served with nosniff", async () => {
    const polyglot = Buffer.concat([GIF_1PX, Buffer.from("<script>alert(document.domain)</script>")]);
    const upload = multipart("media", "cat.gif", polyglot, "image/gif");
    const stored = await t.request({ method: "POST", url: "/v1/utils/media/upload", headers: { ...bearer(acme.apiKey), ...upload.headers }, payload: upload.payload });
    expect(stored.statusCode, stored.body).toBe(201);
    const served = await t.request({ method: "GET", url: new URL(stored.json().url as string).pathname });
    expect(served.statusCode).toBe(200);
    expect(served.headers["content-type"]).toMatch(/^image\/gif/);
    expect(served.headers["x-content-type-options"]).toBe("nosniff");
    expect(served.headers["content-disposition"]).toBeUndefined();
  });

  it("anything under /media that is not an image is a download, never rendered", async () => {
    const dir = path.join(t.dataDir, "media", acme.id);
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, "page.html"), "<script>alert(document.cookie)</script>");
    await fs.writeFile(path.join(dir, "logo.svg"), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    for (const name of ["page.html", "logo.svg"]) {
      const served = await t.request({ method: "GET", url: `/media/${acme.id}/${name}` });
      expect(served.statusCode).toBe(200);
      expect(served.headers["content-disposition"], name).toBe("attachment");
      expect(served.headers["x-content-type-options"]).toBe("nosniff");
    }
    // And every API answer carries nosniff too, errors included.
    expect((await t.request({ method: "GET", url: "/v1/platforms" })).headers["x-content-type-options"]).toBe("nosniff");
  });
});

describe("a retried settlement is answered, not refused, and charges once", () => {
  let seller: TestUser;
  beforeAll(async () => {
    seller = await t.createUser(acme, "member");
    await onboardSeller(t, acme, seller.id);
  });

  it("PUT /v1/contracts/:id/settle sent twice with one Idempotency-Key: the first 200 both times, one charge", async () => {
    const buyer = await t.createUser(acme, "member");
    await addCard(t, acme, buyer.id);
    const c = okContract(
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: bearer(acme.apiKey),
        payload: { items: [{ user_id: seller.id, price: 2500 }], buyers: [{ user_id: buyer.id }] },
      }),
      201,
    );
    const headers = { ...bearer(buyer.token), "idempotency-key": `pay-${c.id}` };
    const first = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers });
    // The answer was lost on the way; the client retries, as it was told it safely can.
    const retry = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers });
    expect(okContract(first).status).toBe("paid");
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toBe(first.body);
    const sim = await simulatorCounts(t, c.id);
    expect(sim.succeeded).toHaveLength(1);
    expect(sim.succeeded[0]!.amount).toBe(first.json().total);
  });
});
