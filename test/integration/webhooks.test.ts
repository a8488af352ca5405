import { createHmac } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HostResolver } from "../../src/adapters/webhooks/public-address.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { startReceiver, type Receiver, type ReceivedRequest } from "../helpers/receiver.js";

/**
 * Webhook endpoints and deliveries, against real receivers (HTTP servers on loopback) and the real
 * job worker. Retries wait WEBHOOK_RETRY_BASE = 1 s, doubling.
 */
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
const receivers: Receiver[] = [];

beforeAll(async () => {
  t = await createTestContext({ WEBHOOKS_ALLOW_PRIVATE: "true", JOBS_WORKER: "true", JOBS_CONCURRENCY: "4", WEBHOOK_RETRY_BASE: "1", WEBHOOK_TIMEOUT: "1000" });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(async () => {
  await t.close();
  await Promise.all(receivers.map((r) => r.close()));
});

const key = (p: TestPlatform = acme) => bearer(p.apiKey);

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args);
  receivers.push(r);
  return r;
}

interface Endpoint {
  id: string;
  secret: string;
  url: string;
  events: string[];
}

async function createEndpoint(platform: TestPlatform, payload: Record<string, unknown>): Promise<Endpoint> {
  const res = await t.request({ method: "POST", url: "/v1/webhooks", headers: key(platform), payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const createUser = async (platform: TestPlatform, email: string) => {
  const res = await t.request({ method: "POST", url: "/v1/users", headers: key(platform), payload: { email } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { id: string; email: string };
};

interface Delivery {
  id: string;
  webhook_id: string;
  event_id: string;
  eventType: string;
  status: string;
  attempts: number;
  responseStatus: number | null;
  responseBody: string | null;
  error: string | null;
  nextAttempt: string | null;
  lastAttempt: string | null;
  delivered: string | null;
}

async function deliveries(platform: TestPlatform, endpointId: string, query = ""): Promise<Delivery[]> {
  const res = await t.request({ method: "GET", url: `/v1/webhooks/${endpointId}/deliveries${query}`, headers: key(platform) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data;
}

const emailOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { data: { object: { email?: string } } }).data.object.email;

describe("webhook endpoints", () => {
  it("POST creates one and shows its signing secret once", async () => {
    const res = await t.request({
      method: "POST",
      url: "/v1/webhooks",
      headers: key(),
      payload: { url: "https://hooks.example.com/candle", events: ["user.created", "user.updated", "user.created"], description: "CRM sync", name: "CRM" },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      id: expect.stringMatching(/^we_[0-9a-f]{32}$/),
      platform_id: acme.id,
      mode: "test",
      name: "CRM",
      description: "CRM sync",
      url: "https://hooks.example.com/candle",
      events: ["user.created", "user.updated"],
      isEnabled: true,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9]{32}$/),
    });
    const read = await t.request({ method: "GET", url: `/v1/webhooks/${created.id}`, headers: key() });
    expect(read.statusCode).toBe(200);
    expect(read.json()).not.toHaveProperty("secret");
    const { secret, ...shown } = created;
    expect(read.json()).toEqual(shown);
    const list = await t.request({ method: "GET", url: "/v1/webhooks", headers: key() });
    expect(list.json().data.map((e: { id: string }) => e.id)).toContain(created.id);
    expect(list.body).not.toContain(secret);
    expect(list.json().meta).toMatchObject({ current_page: 1 });
  });

  it.each([
    [{ url: "ftp://hooks.example.com/x", events: ["*"] }, "url"],
    [{ url: "not a url", events: ["*"] }, "url"],
    [{ events: ["*"] }, "url"],
    [{ url: "https://hooks.example.com/x", events: ["user.exploded"] }, "events.0"],
    [{ url: "https://hooks.example.com/x", events: [] }, "events"],
    [{ url: "https://hooks.example.com/x", events: ["*"], colour: "red" }, "colour"],
    [{ url: "https://hooks.example.com/x", events: ["*"], secret: "whsec_mine" }, "secret"],
  ])("POST %j is 400 naming %s", async (payload, param) => {
    const res = await t.request({ method: "POST", url: "/v1/webhooks", headers: key(), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
  });

  it("PUT modifies url, events, description, name and isEnabled; 400 for unknown fields and event types", async () => {
    const endpoint = await createEndpoint(acme, { url: "https://a.example.com/hook", events: ["*"] });
    const res = await t.request({
      method: "PUT",
      url: `/v1/webhooks/${endpoint.id}`,
      headers: key(),
      payload: { url: "https://b.example.com/hook", events: ["waitlist_entry.created"], description: "later", name: "B", isEnabled: false },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ url: "https://b.example.com/hook", events: ["waitlist_entry.created"], description: "later", name: "B", isEnabled: false });
    expect(res.json()).not.toHaveProperty("secret");
    expect((await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: key(), payload: { enabled: true } })).json().error.param).toBe("enabled");
    expect((await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: key(), payload: { events: ["nope"] } })).statusCode).toBe(400);
    expect((await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: key(), payload: { url: "javascript:alert(1)" } })).statusCode).toBe(400);
  });

  it("DELETE answers the endpoint as it was, with its deliveries gone", async () => {
    const r = await receiver();
    const endpoint = await createEndpoint(acme, { url: `${r.url}/hook`, events: ["webhook_endpoint.updated"] });
    await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: key(), payload: { name: "renamed" } });
    await r.waitFor(1);
    const res = await t.request({ method: "DELETE", url: `/v1/webhooks/${endpoint.id}`, headers: key() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: endpoint.id, name: "renamed" });
    expect((await t.request({ method: "GET", url: `/v1/webhooks/${endpoint.id}`, headers: key() })).statusCode).toBe(404);
    expect(await t.db.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(0);
    expect((await t.request({ method: "DELETE", url: `/v1/webhooks/${endpoint.id}`, headers: key() })).statusCode).toBe(404);
  });

  it("is 404 for another platform's endpoint", async () => {
    const endpoint = await createEndpoint(other, { url: "https://other.example.com/hook", events: ["*"] });
    for (const [method, url] of [
      ["GET", `/v1/webhooks/${endpoint.id}`],
      ["PUT", `/v1/webhooks/${endpoint.id}`],
      ["DELETE", `/v1/webhooks/${endpoint.id}`],
      ["GET", `/v1/webhooks/${endpoint.id}/deliveries`],
    ] as const) {
      const res = await t.request({ method, url, headers: key(), ...(method === "PUT" ? { payload: { name: "mine now" } } : {}) });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    expect((await t.request({ method: "GET", url: "/v1/webhooks", headers: key() })).json().data.map((e: { id: string }) => e.id)).not.toContain(endpoint.id);
    expect((await t.request({ method: "GET", url: `/v1/webhooks/${endpoint.id}`, headers: key(other) })).statusCode).toBe(200);
  });

  it("is for the platform key and owners: 401 without credentials, 403 for admins and members", async () => {
    const endpoint = await createEndpoint(acme, { url: "https://c.example.com/hook", events: ["*"] });
    const routes = [
      ["POST", "/v1/webhooks", { url: "https://d.example.com/hook", events: ["*"] }],
      ["GET", "/v1/webhooks", undefined],
      ["GET", `/v1/webhooks/${endpoint.id}`, undefined],
      ["PUT", `/v1/webhooks/${endpoint.id}`, { name: "x" }],
      ["DELETE", `/v1/webhooks/${endpoint.id}`, undefined],
      ["GET", `/v1/webhooks/${endpoint.id}/deliveries`, undefined],
    ] as const;
    const admin = await t.createUser(acme, "admin");
    const member = await t.createUser(acme, "member");
    for (const [method, url, payload] of routes) {
      expect((await t.request({ method, url, payload })).statusCode, `${method} ${url}`).toBe(401);
      for (const user of [admin, member]) {
        const res = await t.request({ method, url, payload, headers: bearer(user.token) });
        expect(res.statusCode, `${method} ${url} as ${user.role}`).toBe(403);
      }
    }
    const owner = await t.createUser(acme, "owner");
    expect((await t.request({ method: "POST", url: "/v1/webhooks", headers: bearer(owner.token), payload: { url: "https://e.example.com/hook", events: ["*"] } })).statusCode).toBe(
      201,
    );
  });

  it("changes endpoints while events are being recorded on the platform without failing any request", async () => {
    const p = await t.createPlatform();
    const endpoints = [];
    for (let i = 0; i < 4; i += 1) endpoints.push(await createEndpoint(p, { url: `https://busy${i}.example.com/`, events: ["*"] }));
    const answers = await Promise.all([
      ...endpoints.flatMap((e, i) => [1, 2].map((n) => t.request({ method: "PUT", url: `/v1/webhooks/${e.id}`, headers: key(p), payload: { name: `n${i}-${n}` } }))),
      ...Array.from({ length: 8 }, (_, i) => t.request({ method: "POST", url: "/v1/users", headers: key(p), payload: { email: `busy${i}@example.com` } })),
    ]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([...Array(8).fill(200), ...Array(8).fill(201)]);
    for (const e of endpoints) await t.request({ method: "DELETE", url: `/v1/webhooks/${e.id}`, headers: key(p) });
  });

  it("allows at most 20 endpoints per platform (422)", async () => {
    const p = await t.createPlatform();
    for (let i = 0; i < 20; i += 1) await createEndpoint(p, { url: `https://hooks${i}.example.com/`, events: ["*"] });
    const res = await t.request({ method: "POST", url: "/v1/webhooks", headers: key(p), payload: { url: "https://one-more.example.com/", events: ["*"] } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe("too_many_webhooks");
  });
});

describe("deliveries", () => {
  it("POSTs the event, signed with the endpoint's secret (HMAC-SHA256 of `t.body`)", async () => {
    const p = await t.createPlatform();
    const r = await receiver();
    const endpoint = await createEndpoint(p, { url: `${r.url}/hook?source=candle`, events: ["user.created"] });
    const user = await createUser(p, "signed@example.com");

    const [request] = await r.waitFor(1);
    expect(request!.method).toBe("POST");
    expect(request!.path).toBe("/hook?source=candle");
    expect(request!.headers["content-type"]).toBe("application/json");
    const signature = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(request!.headers["candle-signature"]));
    expect(signature).not.toBeNull();
    const [, timestamp, v1] = signature!;
    expect(createHmac("sha256", endpoint.secret).update(`${timestamp}.${request!.body}`).digest("hex")).toBe(v1);
    expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(60);
    expect(createHmac("sha256", "whsec_someone_else").update(`${timestamp}.${request!.body}`).digest("hex")).not.toBe(v1);

    const body = JSON.parse(request!.body);
    expect(body).toMatchObject({ type: "user.created", object_id: user.id, data: { object: user } });
    const event = await t.request({ method: "GET", url: `/v1/events/${body.id}`, headers: key(p) });
    expect(body).toEqual(event.json());
    expect(request!.headers["candle-event-id"]).toBe(body.id);
    expect(request!.headers["candle-event-type"]).toBe("user.created");

    await expect.poll(async () => (await deliveries(p, endpoint.id))[0]?.status).toBe("succeeded");
    const [delivery] = await deliveries(p, endpoint.id);
    expect(delivery).toMatchObject({
      id: request!.headers["candle-delivery-id"],
      webhook_id: endpoint.id,
      event_id: body.id,
      eventType: "user.created",
      attempts: 1,
      responseStatus: 200,
      responseBody: "ok",
      error: null,
      nextAttempt: null,
    });
    expect(delivery!.delivered).toMatch(/Z$/);
    expect(await deliveries(p, endpoint.id, "?filter[status]=failed")).toHaveLength(0);
    expect((await t.request({ method: "GET", url: `/v1/webhooks/${endpoint.id}/deliveries?filter[status]=lost`, headers: key(p) })).statusCode).toBe(400);
  });

  it("sends each endpoint only the types it subscribed to (or `*`), and nothing to disabled endpoints", async () => {
    const p = await t.createPlatform();
    const all = await receiver();
    const waitlistOnly = await receiver();
    const disabled = await receiver();
    await createEndpoint(p, { url: all.url, events: ["*"] });
    await createEndpoint(p, { url: waitlistOnly.url, events: ["waitlist_entry.created"] });
    const off = await createEndpoint(p, { url: disabled.url, events: ["user.created", "waitlist_entry.created"] });
    await t.request({ method: "PUT", url: `/v1/webhooks/${off.id}`, headers: key(p), payload: { isEnabled: false } });

    await createUser(p, "someone@example.com");
    await t.request({ method: "POST", url: "/v1/waitlists", headers: key(p), payload: { email: "waiting@example.com" } });

    await waitlistOnly.waitFor(1);
    // `*` gets every change from its own creation on, the endpoints' own included.
    const received = (await all.waitFor(6)).map((r) => r.headers["candle-event-type"]);
    expect(received).toEqual([
      "webhook_endpoint.created",
      "webhook_endpoint.created",
      "webhook_endpoint.created",
      "webhook_endpoint.updated",
      "user.created",
      "waitlist_entry.created",
    ]);
    expect(waitlistOnly.requests.map((r) => r.headers["candle-event-type"])).toEqual(["waitlist_entry.created"]);
    expect(disabled.requests).toHaveLength(0);
  });

  it("retries after a failing receiver, recording each attempt, until it answers 2xx", async () => {
    const p = await t.createPlatform();
    let healthy = false;
    const r = await receiver(() => (healthy ? { status: 200, body: "thanks" } : { status: 500, body: "down for maintenance" }));
    const endpoint = await createEndpoint(p, { url: r.url, events: ["user.created"] });
    await createUser(p, "retry@example.com");

    await expect.poll(async () => (await deliveries(p, endpoint.id))[0]?.responseStatus, { timeout: 15_000 }).toBe(500);
    const failing = (await deliveries(p, endpoint.id))[0]!;
    expect(failing).toMatchObject({ status: "pending", responseStatus: 500, responseBody: "down for maintenance", delivered: null });
    expect(Date.parse(failing.nextAttempt!)).toBeGreaterThan(Date.parse(failing.lastAttempt!));

    healthy = true;
    await expect.poll(async () => (await deliveries(p, endpoint.id))[0]?.status, { timeout: 20_000 }).toBe("succeeded");
    const delivered = (await deliveries(p, endpoint.id))[0]!;
    expect(delivered.attempts).toBeGreaterThanOrEqual(2);
    expect(delivered.attempts).toBe(r.requests.length);
    expect(new Set(r.requests.map((q) => q.headers["candle-delivery-id"]))).toEqual(new Set([delivered.id]));
    expect(delivered).toMatchObject({ responseStatus: 200, responseBody: "thanks", nextAttempt: null });
  });

  it("delivers in order per endpoint: B waits for A's retry", async () => {
    const p = await t.createPlatform();
    let failedA = false;
    const r = await receiver((request) => {
      if (emailOf(request) === "a@example.com" && !failedA) {
        failedA = true;
        return { status: 503 };
      }
      return { status: 200 };
    });
    const endpoint = await createEndpoint(p, { url: r.url, events: ["user.created"] });
    await createUser(p, "a@example.com");
    await r.waitFor(1);
    await createUser(p, "b@example.com");

    const requests = await r.waitFor(3);
    expect(requests.map(emailOf)).toEqual(["a@example.com", "a@example.com", "b@example.com"]);
    await expect
      .poll(async () => (await deliveries(p, endpoint.id)).map((d) => [d.eventType, d.status, d.attempts]))
      .toEqual([
        ["user.created", "succeeded", 1],
        ["user.created", "succeeded", 2],
      ]);
  });

  it("times out a silent receiver, follows no redirect, and keeps only the start of an answer", async () => {
    const p = await t.createPlatform();
    let phase: "hang" | "redirect" | "ok" = "hang";
    const r = await receiver(() =>
      phase === "hang" ? "hang" : phase === "redirect" ? { status: 302, headers: { location: "/elsewhere" } } : { status: 200, body: "x".repeat(10_000) },
    );
    const endpoint = await createEndpoint(p, { url: `${r.url}/hook`, events: ["user.created"] });
    await createUser(p, "slow@example.com");
    const latest = async () => (await deliveries(p, endpoint.id))[0]!;

    await expect.poll(async () => (await latest()).error ?? "", { timeout: 15_000 }).toMatch(/no answer within 1000 ms/);
    expect((await latest()).responseStatus).toBeNull();
    phase = "redirect";
    await expect.poll(async () => (await latest()).responseStatus, { timeout: 20_000 }).toBe(302);
    expect((await latest()).status).toBe("pending");
    phase = "ok";
    await expect.poll(async () => (await latest()).status, { timeout: 30_000 }).toBe("succeeded");
    const done = await latest();
    expect(done.responseBody).toHaveLength(2048);
    expect(r.requests.every((q) => q.path === "/hook")).toBe(true);
    expect(done.attempts).toBe(r.requests.length);
  });

  it("holds pending deliveries while an endpoint is disabled, sends them once it is enabled again, and skips events from while it was off", async () => {
    const p = await t.createPlatform();
    let up = false;
    const r = await receiver(() => ({ status: up ? 200 : 500 }));
    const endpoint = await createEndpoint(p, { url: r.url, events: ["user.created"] });
    await createUser(p, "held@example.com");
    await r.waitFor(1);
    await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: key(p), payload: { isEnabled: false } });
    await createUser(p, "skipped@example.com");
    const seen = r.requests.length;
    up = true;
    await t.request({ method: "PUT", url: `/v1/webhooks/${endpoint.id}`, headers: key(p), payload: { isEnabled: true } });
    await expect.poll(async () => (await deliveries(p, endpoint.id)).map((d) => d.status), { timeout: 15_000 }).toEqual(["succeeded"]);
    expect(r.requests.slice(seen).map(emailOf).at(-1)).toBe("held@example.com");
    expect(r.requests.map(emailOf)).not.toContain("skipped@example.com");
  });
});

describe("non-public addresses (WEBHOOKS_ALLOW_PRIVATE=false)", () => {
  let strict: TestContext;
  let platform: TestPlatform;
  const dns = new Map<string, string[]>([
    ["hooks.example", ["93.184.215.14"]],
    ["internal.example", ["10.0.0.5"]],
    ["mixed.example", ["93.184.215.14", "fd12::1"]],
    ["metadata.example", ["169.254.169.254"]],
  ]);
  const resolveHost: HostResolver = async (host) => {
    const addresses = dns.get(host);
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return addresses.map((address) => ({ address, family: net.isIP(address) === 6 ? 6 : 4 }));
  };

  beforeAll(async () => {
    strict = await createTestContext({ JOBS_WORKER: "true", WEBHOOK_RETRY_BASE: "1", WEBHOOK_TIMEOUT: "1000" }, { resolveHost });
    platform = await strict.createPlatform();
  });
  afterAll(() => strict.close());

  const register = (url: string, events = ["waitlist_entry.removed"]) => strict.request({ method: "POST", url: "/v1/webhooks", headers: key(platform), payload: { url, events } });

  it.each([
    "http://127.0.0.1:8080/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://localhost:3000/hook",
    "http://api.localhost/hook",
    "https://10.1.2.3/hook",
    "https://172.20.0.1/hook",
    "https://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://0.0.0.0/hook",
    "http://100.64.0.1/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fd00::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:a9fe:a9fe]/hook",
    "http://[64:ff9b::a00:1]/hook",
    "https://internal.example/hook",
    "https://mixed.example/hook",
    "https://metadata.example/hook",
  ])("refuses %s (400 url_not_public)", async (url) => {
    const res = await register(url);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "url_not_public", param: "url" });
  });

  it("accepts public addresses and names that resolve to them; PUT checks the new URL too", async () => {
    expect((await register("https://93.184.215.14/hook")).statusCode).toBe(201);
    expect((await register("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hook")).statusCode).toBe(201);
    const res = await register("https://hooks.example/hook");
    expect(res.statusCode).toBe(201);
    const moved = await strict.request({ method: "PUT", url: `/v1/webhooks/${res.json().id}`, headers: key(platform), payload: { url: "http://192.168.0.1/hook" } });
    expect(moved.statusCode).toBe(400);
    expect(moved.json().error.code).toBe("url_not_public");
    for (const e of (await strict.request({ method: "GET", url: "/v1/webhooks", headers: key(platform) })).json().data) {
      await strict.request({ method: "DELETE", url: `/v1/webhooks/${e.id}`, headers: key(platform) });
    }
  });

  it("checks again when delivering: a name that now resolves to loopback gets no request", async () => {
    const r = await receiver();
    dns.set("rebind.example", ["93.184.215.14"]);
    const created = await register(`http://rebind.example:${r.port}/hook`, ["user.created"]);
    expect(created.statusCode).toBe(201);
    dns.set("rebind.example", ["127.0.0.1"]);
    await strict.request({ method: "POST", url: "/v1/users", headers: key(platform), payload: { email: "rebind@example.com" } });

    const latest = async () =>
      (await strict.request({ method: "GET", url: `/v1/webhooks/${created.json().id}/deliveries`, headers: key(platform) })).json().data[0] as Delivery | undefined;
    await expect.poll(async () => (await latest())?.error ?? "", { timeout: 15_000 }).toMatch(/rebind\.example resolves to 127\.0\.0\.1, which is not a public address/);
    expect(await latest()).toMatchObject({ status: "pending", responseStatus: null });
    expect(r.requests).toHaveLength(0);
    await strict.request({ method: "DELETE", url: `/v1/webhooks/${created.json().id}`, headers: key(platform) });
  });
});

describe("giving up after 3 days (WEBHOOK_RETRY_BASE=3600)", () => {
  let patient: TestContext;
  let platform: TestPlatform;

  beforeAll(async () => {
    patient = await createTestContext({ WEBHOOKS_ALLOW_PRIVATE: "true", JOBS_WORKER: "true", WEBHOOK_RETRY_BASE: "3600", WEBHOOK_TIMEOUT: "1000" });
    platform = await patient.createPlatform();
  });
  afterAll(() => patient.close());

  /** A failing first delivery (its retry an hour away) with a second one queued behind it. */
  async function stuckBehindFailure() {
    const r = await receiver((request) => (emailOf(request)?.startsWith("doomed") ? { status: 500 } : { status: 204 }));
    const created = await patient.request({ method: "POST", url: "/v1/webhooks", headers: key(platform), payload: { url: r.url, events: ["user.created"] } });
    const endpointId = created.json().id as string;
    const suffix = endpointId.slice(-6);
    await patient.request({ method: "POST", url: "/v1/users", headers: key(platform), payload: { email: `doomed-${suffix}@example.com` } });
    await r.waitFor(1);
    await patient.request({ method: "POST", url: "/v1/users", headers: key(platform), payload: { email: `next-${suffix}@example.com` } });
    const list = async () => (await patient.request({ method: "GET", url: `/v1/webhooks/${endpointId}/deliveries`, headers: key(platform) })).json().data as Delivery[];
    // The first attempt's failure is recorded (its attempt is counted before it is sent).
    await expect
      .poll(async () => (await list()).map((d) => [d.attempts, d.nextAttempt !== null]))
      .toEqual([
        [0, false],
        [1, true],
      ]);
    const [, doomed] = await list();
    expect(Date.parse(doomed!.nextAttempt!) - Date.now()).toBeGreaterThan(3_000_000);
    /** Moves the failing delivery's event `age` into the past, its retry to now, and wakes the endpoint's job. */
    const age = async (interval: string) => {
      await patient.db.$executeRaw`
        UPDATE webhook_deliveries SET created = created - ${interval}::interval, next_attempt = now() WHERE id = ${doomed!.id}`;
      await patient.db.$executeRaw`
        SELECT graphile_worker.add_job('deliver-webhooks', json_build_object('endpointId', ${endpointId}::text), job_key => ${`deliver-webhooks:${endpointId}`})`;
    };
    return { r, list, age, suffix };
  }

  it("fails a delivery whose next retry would fall past the 3 days, then sends the one behind it", async () => {
    const { r, list, age, suffix } = await stuckBehindFailure();
    await age("3 days -30 minutes");
    const requests = await r.waitFor(3);
    expect(requests.map(emailOf)).toEqual([`doomed-${suffix}@example.com`, `doomed-${suffix}@example.com`, `next-${suffix}@example.com`]);
    await expect
      .poll(async () => (await list()).map((d) => [d.status, d.attempts, d.responseStatus, d.nextAttempt]))
      .toEqual([
        ["succeeded", 1, 204, null],
        ["failed", 2, 500, null],
      ]);
  });

  it("fails a delivery held back past the 3 days without another attempt", async () => {
    const { r, list, age, suffix } = await stuckBehindFailure();
    await age("3 days");
    const requests = await r.waitFor(2);
    expect(requests.map(emailOf)).toEqual([`doomed-${suffix}@example.com`, `next-${suffix}@example.com`]);
    await expect
      .poll(async () => (await list()).map((d) => [d.status, d.attempts]))
      .toEqual([
        ["succeeded", 1],
        ["failed", 1],
      ]);
  });
});
