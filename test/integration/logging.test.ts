import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createPrisma } from "../../src/db/client.js";
import { createTestContext, TEST_JWT_SECRET, type TestContext, type TestPlatform } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
const lines: string[] = [];

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform();
});
afterAll(() => t.close());

describe("logs", () => {
  it("carry the request id on every line and never a key or token", async () => {
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(...chunk.toString().split("\n").filter(Boolean));
        done();
      },
    });
    const logger = pino({ level: "trace" }, sink);
    const config = loadConfig({ DATABASE_URL: t.databaseUrl, DATA_DIR: t.dataDir, LOG_LEVEL: "trace", JWT_SECRET: TEST_JWT_SECRET });
    const db = createPrisma(t.databaseUrl, 2);
    const app = await buildApp({ config, db, jwtSecret: TEST_JWT_SECRET, logger });
    try {
      const user = await t.createUser(acme, "member");
      await app.inject({ method: "GET", url: "/v1/platforms", headers: { authorization: `Bearer ${acme.apiKey}`, "x-request-id": "log-check-1" } });
      await app.inject({ method: "GET", url: "/v1/platforms", headers: { api_key: acme.apiKey, mode: "test", authorization: `Bearer ${user.token}`, "x-request-id": "log-check-2" } });
      await app.inject({ method: "GET", url: "/v1/platforms", headers: { authorization: "Bearer cndl_test_wrongwrongwrongwrongwrong", "x-request-id": "log-check-3" } });
    } finally {
      await app.close();
      await db.$disconnect();
    }
    const requestLines = lines.filter((l) => l.includes("log-check"));
    expect(requestLines.length).toBeGreaterThanOrEqual(6);
    for (const line of requestLines) expect(JSON.parse(line).request_id).toMatch(/^log-check-\d$/);
    const all = lines.join("\n");
    expect(all).not.toContain(acme.apiKey);
    expect(all).not.toContain("cndl_test_wrong");
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]+\./); // no JWT
  });
});
