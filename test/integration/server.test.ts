import fs from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { createTestDatabase } from "../helpers/database.js";
import { runScript } from "../helpers/process.js";

/**
 * The real entry points as separate processes: `npm start` (src/server.ts) on an embedded
 * PostgreSQL of its own, and `npm run platform:create` against it while it runs.
 */
let dataDir: string;
let port: number;
let pgPort: number;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "candle-boot-"));
  await fs.chmod(dataDir, 0o755);
  port = await freePort();
  pgPort = await freePort();
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

const env = () => ({ PORT: String(port), DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), LOG_LEVEL: "info" });
const api = (p: string, key?: string) => fetch(`http://127.0.0.1:${port}${p}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });

function portOpen(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(p, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe("npm start with the embedded database", () => {
  let demoKey: string;

  it("boots on an empty data directory, creates the demo platform and prints its key once", async () => {
    const server = runScript("src/server.ts", [], env());
    try {
      demoKey = (await server.waitFor(/API key \(shown once\): (cndl_test_[A-Za-z0-9]+)/, 90_000)).split(": ")[1]!;
      await server.waitFor(/Server listening/);
      const res = await api("/v1/platforms", demoKey);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ name: "Demo Marketplace", mode: "test" });
      expect((await api("/ready")).status).toBe(200);
      // stdout is a stream of JSON lines (it is not a terminal here); the key banner is plain text on stderr.
      for (const line of server.stdout().split("\n").filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
      expect(server.stdout()).not.toContain(demoKey);

      // The CLI reaches the same (running) embedded database.
      const cli = runScript("scripts/platform-create.ts", ["--name", "Acme", "--mode", "live", "--domain", "acme.test", "--fee", "2.5"], env());
      expect(await cli.exited).toBe(0);
      // stdout is exactly the JSON answer; logs go to stderr.
      const printed = JSON.parse(cli.stdout());
      expect(printed.api_key).toMatch(/^cndl_live_[A-Za-z0-9]{40}$/);
      expect(printed.platform).toMatchObject({ name: "Acme", mode: "live", platformFee: 2.5, domains: ["acme.test"] });
      const live = await api("/v1/platforms", printed.api_key);
      expect(((await live.json()) as { id: string }).id).toBe(printed.platform.id);

      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
      expect(server.output()).toMatch(/shut down cleanly/);
      expect(await portOpen(pgPort)).toBe(false);
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 120_000);

  it("keeps its data between runs and prints no new key", async () => {
    const server = runScript("src/server.ts", [], env());
    try {
      await server.waitFor(/Server listening/, 90_000);
      expect(server.output()).not.toMatch(/API key \(shown once\)/);
      expect(server.output()).toContain("payments: offline simulator");
      expect((await api("/v1/platforms", demoKey)).status).toBe(200);
      expect((await api("/v1/platforms/domains/acme.test")).status).toBe(200);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill("SIGKILL");
    }
  }, 120_000);

  it("refuses to boot on a malformed variable, naming it", async () => {
    const server = runScript("src/server.ts", [], { ...env(), PORT: "eighty", JWT_SECRET: "short" });
    expect(await server.exited).toBe(1);
    expect(server.output()).toMatch(/PORT: must be an integer/);
    expect(server.output()).toMatch(/JWT_SECRET: must be at least 32 characters/);
  });

  it("platform:create explains its usage on bad arguments", async () => {
    const cli = runScript("scripts/platform-create.ts", ["--name", "X", "--mode", "staging"], env());
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/--mode must be test or live/);
  });
});

describe("npm start with DATABASE_URL", () => {
  it("migrates an empty database at boot and serves", async () => {
    const db = await createTestDatabase({ empty: true });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "candle-boot-url-"));
    const serverPort = await freePort();
    const server = runScript("src/server.ts", [], { PORT: String(serverPort), DATA_DIR: dir, DATABASE_URL: db.url, LOG_LEVEL: "info" });
    try {
      await server.waitFor(/Server listening/, 60_000);
      expect(server.output()).toMatch(/applied migration/);
      // The key banner is on stderr, the log on stdout: separate pipes, so wait for it rather than assume the order.
      const key = await server.waitFor(/cndl_test_[A-Za-z0-9]+/);
      const res = await fetch(`http://127.0.0.1:${serverPort}/v1/platforms`, { headers: { api_key: key, mode: "test" } });
      expect(res.status).toBe(200);
      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill("SIGKILL");
      await db.drop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
