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

    expectBusy(await t.request({ method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) }));
    expectBusy(await t.request({ method: "POST", url: "/v1/products", headers: bearer(acme.apiKey), payload: { name: "x" } }));
    expect((await t.request({ method: "GET", url: "/health" })).statusCode).toBe(200);
    expect((await t.request({ method: "GET", url: "/ready" })).statusCode).toBe(200);

    held.destroy();
    await until(() => t.app.inFlight() === 0);
    expect((await t.request({ method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) })).statusCode).toBe(200);
  });
});

describe("memory and event-loop thresholds (@fastify/under-pressure)", () => {
  it("over a threshold: 503 server_busy with Retry-After; health routes still answer", async () => {
    const node = await createTestContext({ LOAD_MAX_RSS: "1" }, { sharedDatabaseUrl: t.databaseUrl });
    try {
      // Sampled every second: the first sample puts the node over 1 MB of RSS.
      await until(() => node.app.isUnderPressure());
      expectBusy(await node.request({ method: "GET", url: "/v1/products", headers: bearer(acme.apiKey) }));
      expect((await node.request({ method: "GET", url: "/health" })).statusCode).toBe(200);
      expect((await node.request({ method: "GET", url: "/ready" })).statusCode).toBe(200);
    } finally {
      await node.close();
    }
  });
});
