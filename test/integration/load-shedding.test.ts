import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * A node over its limits answers 503 `server_busy` with `Retry-After`, in the envelope, before
 * doing anything — the health routes excepted. Made deterministic: an in-flight bound of 1 held by
 * a request whose body never comes, and a memory threshold every node is over (1 MB of RSS).
 * Over real HTTP: the gate is the HTTP server's own (`app.inject()` never passes through it).
 */

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext({ LOAD_MAX_IN_FLIGHT: "1" });
  acme = await t.createPlatform({ name: "Acme" });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
});
afterAll(() => t.close());

async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Answer {
  statusCode: number;
  headers: Record<string, string>;
  json(): unknown;
}

/** A request over the node's listening socket. */
async function send(app: TestContext["app"], options: { method: string; url: string; headers?: Record<string, string>; payload?: unknown }): Promise<Answer> {
  const { port } = app.server.address() as net.AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}${options.url}`, {
    method: options.method,
    headers: { ...(options.payload === undefined ? {} : { "content-type": "application/json" }), ...options.headers },
    ...(options.payload === undefined ? {} : { body: JSON.stringify(options.payload) }),
  });
  const text = await res.text();
  return { statusCode: res.status, headers: Object.fromEntries(res.headers), json: () => JSON.parse(text) };
}

function expectBusy(res: Answer): void {
  expect(res.statusCode).toBe(503);
  // 1–3 s at random, so that clients refused together do not all come back together.
  expect(res.headers["retry-after"]).toMatch(/^[123]$/);
  expect(res.headers["content-type"]).toBe("application/json; charset=utf-8");
  expect((res.json() as { error: unknown }).error).toMatchObject({ type: "api_error", code: "server_busy", request_id: res.headers["request-id"] });
}

/** `http_requests_shed_total` for a reason, read from the node's registry. */
async function shedCount(reason: string): Promise<number> {
  const metric = await t.app.metrics.registry.getSingleMetric("http_requests_shed_total")!.get();
  return metric.values.find((v) => v.labels.reason === reason)?.value ?? 0;
}

describe("requests in flight (LOAD_MAX_IN_FLIGHT)", () => {
  it("past the bound: 503 server_busy with Retry-After; health routes still answer; taken again once the request in flight ends", async () => {
    // The server the gate is part of keeps Fastify's timeouts (REQUEST_TIMEOUT's default, Fastify's keep-alive).
    expect(t.app.server.requestTimeout).toBe(30_000);
    expect(t.app.server.keepAliveTimeout).toBe(72_000);
    const { port } = t.app.server.address() as net.AddressInfo;
    // A request whose body never ends holds the only place.
    const held = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => held.once("connect", resolve));
    held.write(`POST /v1/products HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${acme.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    await until(() => t.app.inFlight() === 1);
    expect(t.app.inFlightLimit()).toBe(1);

    const shedBefore = await shedCount("in_flight");
    expectBusy(await send(t.app, { method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) }));
    expectBusy(await send(t.app, { method: "POST", url: "/v1/products", headers: bearer(acme.apiKey), payload: { name: "x" } }));
    // The caller's request id is kept, as on any answer.
    const traced = await send(t.app, { method: "GET", url: "/v1/products", headers: { ...bearer(acme.apiKey), "x-request-id": "trace-42" } });
    expectBusy(traced);
    expect(traced.headers["request-id"]).toBe("trace-42");
    expect(await shedCount("in_flight")).toBe(shedBefore + 3);
    // Nothing was created by the refused POST.
    expect((await t.request({ method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) })).json()).toMatchObject({ data: [] });
    expect((await send(t.app, { method: "GET", url: "/health" })).statusCode).toBe(200);
    expect((await send(t.app, { method: "GET", url: "/ready" })).statusCode).toBe(200);
    // A CORS preflight is never shed either.
    expect(
      (await send(t.app, { method: "OPTIONS", url: "/v1/products", headers: { origin: "https://shop.example", "access-control-request-method": "GET" } })).statusCode,
    ).not.toBe(503);

    // Refused together, told to come back at different times.
    const waits = new Set<string>();
    for (let i = 0; i < 40; i += 1) waits.add((await send(t.app, { method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) })).headers["retry-after"]!);
    expect([...waits].sort()).toEqual(["1", "2", "3"]);

    held.destroy();
    await until(() => t.app.inFlight() === 0);
    expect((await send(t.app, { method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) })).statusCode).toBe(200);
  });
});

describe("memory and event-loop thresholds", () => {
  it("over a threshold: 503 server_busy with Retry-After; /health still answers, and /ready says not ready (every request would be shed)", async () => {
    const node = await createTestContext({ LOAD_MAX_RSS: "1" }, { sharedDatabaseUrl: t.databaseUrl });
    try {
      // Sampled every second: the first sample puts the node over 1 MB of RSS.
      await until(() => node.app.underPressure() !== undefined);
      await node.app.listen({ port: 0, host: "127.0.0.1" });
      expectBusy(await send(node.app, { method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) }));
      expect((await send(node.app, { method: "GET", url: "/health" })).statusCode).toBe(200);
      const ready = await send(node.app, { method: "GET", url: "/ready" });
      expectBusy(ready);
      expect(ready.json()).toMatchObject({ error: { message: expect.stringContaining("rss") } });
    } finally {
      await node.close();
    }
  });

  it("forgets the boot's event-loop delay when it starts listening: the first requests are served, and /ready agrees", async () => {
    const node = await createTestContext({ LOAD_MAX_EVENT_LOOP_DELAY: "250" }, { sharedDatabaseUrl: t.databaseUrl });
    try {
      // What a boot does to the loop (loading modules, migrating, compiling queries): long
      // synchronous stretches, here 400 ms at a time, until a sample has measured them.
      const busyFor = (ms: number) => {
        const end = Date.now() + ms;
        while (Date.now() < end);
      };
      const boot = async () => {
        while (node.app.underPressure() === undefined) {
          busyFor(400);
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      // Built and ready, not yet listening: where server.ts is when the boot's work is done.
      await boot();
      expect(node.app.underPressure()).toBe("event loop delay");
      await node.app.listen({ port: 0, host: "127.0.0.1" });
      expect(node.app.underPressure()).toBeUndefined();
      expect((await send(node.app, { method: "GET", url: "/ready" })).statusCode).toBe(200);
      expect((await send(node.app, { method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) })).statusCode).toBe(200);
    } finally {
      await node.close();
    }
  });
});
