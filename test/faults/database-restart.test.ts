import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { makeScratchDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../src/db/embedded.js";
import { bearer } from "../helpers/app.js";
import { rawRequest, waitUntilReady } from "../helpers/http-client.js";
import { runScript, type RunningProcess } from "../helpers/process.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";

/**
 * The database goes away under a running server, and comes back. The server process keeps running
 * (its job worker too), answers 503 `database_unavailable` in the envelope meanwhile — never a 500,
 * never a hang — says so on /ready while /health stays up, and serves again once PostgreSQL is back,
 * without being restarted.
 */

let pgDir: string;
let pgPort: number;
let pg: EmbeddedPostgresHandle;
let dataDir: string;
let port: number;
let server: RunningProcess;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let apiKey: string;

const get = (path: string) => rawRequest(port, { method: "GET", path, headers: bearer(apiKey), timeoutMs: 15_000 });
/** The server's log lines about one answer (a 5xx's stack is there, not in the answer). */
const logOf = (res: { headers: Record<string, unknown> }) =>
  server
    .output()
    .split("\n")
    .filter((line) => line.includes(String(res.headers["request-id"])))
    .join("\n")
    .slice(0, 3_000);
const alive = () => server.child.exitCode === null && server.child.signalCode === null;

beforeAll(async () => {
  pgDir = await makeScratchDir("candle-restart-pg-");
  pgPort = await freePort();
  pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
  smtp = await startSmtpServer();
  dataDir = await makeScratchDir("candle-restart-");
  port = await freePort();
  server = runScript("src/server.ts", [], {
    PORT: String(port),
    DATABASE_URL: pg.url,
    DATA_DIR: dataDir,
    SMTP_URL: smtp.url,
    JOBS_WORKER: "true",
    LOG_LEVEL: "warn",
    JWT_SECRET: "restart-secret-restart-secret-restart-secret",
  });
  apiKey = (await server.waitFor(/API key \(shown once\): (cndl_test_[A-Za-z0-9]+)/, 90_000)).split(": ")[1]!;
  await waitUntilReady(port, { alive });
}, 120_000);

afterAll(async () => {
  if (server && alive()) {
    server.child.kill("SIGTERM");
    await server.exited;
  }
  await pg?.stop();
  await smtp?.stop();
  await fs.rm(pgDir, { recursive: true, force: true });
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe("PostgreSQL restarting under a running server", () => {
  it("answers 503 in the envelope while it is down, keeps running, and recovers by itself", async () => {
    expect((await get("/v1/platforms")).status).toBe(200);

    // Requests in flight while the database stops end in a 200 or a clean 503, nothing else.
    const during = Array.from({ length: 20 }, (_, i) => get(i % 2 ? "/v1/platforms" : "/v1/products"));
    await pg.stop();
    for (const res of await Promise.all(during)) expect([200, 503], `${res.body}\n${logOf(res)}`).toContain(res.status);

    for (const path of ["/v1/platforms", "/v1/products", "/v1/users?search=x", "/v1/transactions/volume"]) {
      const res = await get(path);
      expect(res.status, `${path}: ${res.body}\n${logOf(res)}`).toBe(503);
      expect(JSON.parse(res.body).error).toMatchObject({ type: "api_error", code: "database_unavailable", request_id: res.headers["request-id"] });
      expect(res.headers["retry-after"]).toBe("1");
      expect(res.body).not.toMatch(/ECONNREFUSED|prisma|127\.0\.0\.1/i);
      expect(res.ms).toBeLessThan(10_000);
    }
    const write = await rawRequest(port, {
      method: "POST",
      path: "/v1/waitlists",
      headers: { ...bearer(apiKey), "content-type": "application/json" },
      body: '{"email":"down@example.com"}',
    });
    expect(write.status).toBe(503);
    expect((await rawRequest(port, { method: "GET", path: "/ready" })).status).toBe(503);
    expect((await rawRequest(port, { method: "GET", path: "/health" })).status).toBe(200);
    expect(alive()).toBe(true);

    pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
    await waitUntilReady(port, { alive, timeoutMs: 30_000 });
    await expect.poll(async () => (await get("/v1/platforms")).status, { timeout: 30_000 }).toBe(200);
    expect(alive()).toBe(true);

    // Writes work again, and the job worker survived: the sign-in code is emailed.
    const asked = await rawRequest(port, {
      method: "POST",
      path: "/v1/auth/otp/email",
      headers: { ...bearer(apiKey), "content-type": "application/json" },
      body: '{"email":"back@example.com"}',
    });
    expect(asked.status).toBe(200);
    expect(codeOf(await smtp.waitFor("back@example.com", () => true, 30_000))).toMatch(/^\d{6}$/);
    expect(server.output()).not.toMatch(/uncaught|unhandled/i);
  }, 120_000);
});
