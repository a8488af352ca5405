import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { rawRequest } from "../helpers/http-client.js";

/**
 * MAX_CONNECTIONS bounds the connections one node holds open (server.maxConnections): one more is
 * closed as it arrives — no answer at all, never a 500 — while the open ones are served, and a
 * place that frees up is taken again.
 */

let t: TestContext;
let acme: TestPlatform;
let port: number;
const held: net.Socket[] = [];

beforeAll(async () => {
  t = await createTestContext({ MAX_CONNECTIONS: "3" });
  acme = await t.createPlatform({ name: "Acme" });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  port = (t.app.server.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const socket of held) socket.destroy();
  await t.close();
});

const openConnections = () => new Promise<number>((resolve, reject) => t.app.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

async function until(check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + 20_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A request on a connection kept open: the status line of its answer. */
function ask(socket: net.Socket, path: string, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString();
      if (/\r\n\r\n/.test(text)) {
        socket.off("data", onData);
        resolve(text.split("\r\n", 1)[0]!);
      }
    };
    socket.on("data", onData);
    socket.once("error", reject);
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("")}\r\n`,
    );
  });
}

describe("MAX_CONNECTIONS", () => {
  it("closes a connection over the bound without an answer, serves the open ones, and takes new ones once a place is free", async () => {
    expect(t.config.maxConnections).toBe(3);
    for (let i = 0; i < 3; i++) {
      const socket = net.connect(port, "127.0.0.1");
      await new Promise((resolve) => socket.once("connect", resolve));
      held.push(socket);
    }
    await until(async () => (await openConnections()) === 3);

    // The fourth: closed as it arrives — the client sees the connection end, not an HTTP status.
    const refusedBefore = (await t.app.metrics.connectionsRefused.get()).values[0]?.value ?? 0;
    await expect(rawRequest(port, { method: "GET", path: "/v1/products", headers: bearer(acme.apiKey), timeoutMs: 10_000 })).rejects.toThrow();
    expect((await t.app.metrics.connectionsRefused.get()).values[0]?.value).toBe(refusedBefore + 1);

    // The open connections are served meanwhile.
    expect(await ask(held[0]!, "/v1/products", bearer(acme.apiKey))).toBe("HTTP/1.1 200 OK");
    expect(await ask(held[1]!, "/ready")).toBe("HTTP/1.1 200 OK");

    // A place frees up: a new connection is taken again.
    held.shift()!.destroy();
    await until(async () => (await openConnections()) === 2);
    const res = await rawRequest(port, { method: "GET", path: "/v1/products", headers: bearer(acme.apiKey) });
    expect(res.status).toBe(200);
  });
});
