import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * A node over its limits answers 503 `server_busy` with `Retry-After`, in the envelope, before
 * doing anything — the health routes excepted. Made deterministic: an in-flight bound of 1 held by
 * a request whose body never comes, and a memory threshold every node is over (1 MB of RSS).
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

function expectBusy(res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }): void {
  expect(res.statusCode).toBe(503);
  expect(res.headers["retry-after"]).toBe("1");
  expect((res.json() as { error: unknown }).error).toMatchObject({ type: "api_error", code: "server_busy", request_id: res.headers["request-id"] });
}

describe("requests in flight (LOAD_MAX_IN_FLIGHT)", () => {
  it("past the bound: 503 server_busy with Retry-After; health routes still answer; taken again once the request in flight ends", async () => {
    const { port } = t.app.server.address() as net.AddressInfo;
    // A request whose body never ends holds the only place.
    const held = net.connect(port, "127.0.0.1");
    await new Promise((resolve) => held.once("connect", resolve));
    held.write(`POST /v1/products HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${acme.apiKey}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
    await until(() => t.app.inFlight() === 1);
    expect(t.app.inFlightLimit()).toBe(1);

    expectBusy(await t.request({ method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) }));
    expectBusy(await t.request({ method: "POST", url: "/v1/products", headers: bearer(acme.apiKey), payload: { name: "x" } }));
    expect((await t.request({ method: "GET", url: "/health" })).statusCode).toBe(200);
    expect((await t.request({ method: "GET", url: "/ready" })).statusCode).toBe(200);

    held.destroy();
    await until(() => t.app.inFlight() === 0);
    expect((await t.request({ method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) })).statusCode).toBe(200);
  });
});

describe("memory and event-loop thresholds", () => {
  it("over a threshold: 503 server_busy with Retry-After; /health still answers, and /ready says not ready (every request would be shed)", async () => {
    const node = await createTestContext({ LOAD_MAX_RSS: "1" }, { sharedDatabaseUrl: t.databaseUrl });
    try {
      // Sampled every second: the first sample puts the node over 1 MB of RSS.
      await until(() => node.app.underPressure() !== undefined);
      expectBusy(await node.request({ method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) }));
      expect((await node.request({ method: "GET", url: "/health" })).statusCode).toBe(200);
      const ready = await node.request({ method: "GET", url: "/ready" });
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
      expect((await node.request({ method: "GET", url: "/ready" })).statusCode).toBe(200);
      expect((await node.request({ method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) })).statusCode).toBe(200);
    } finally {
      await node.close();
    }
  });
});
