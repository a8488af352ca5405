import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createPrisma } from "../../src/db/client.js";
import { wantsPretty } from "../../src/runtime.js";
import { createTestContext, TEST_JWT_SECRET, type TestContext, type TestPlatform } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform();
});
afterAll(() => t.close());

describe("request logs", () => {
  it("write one line per request, when it is answered, with its route pattern, status and time", async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l));
        done();
      },
    });
    const config = loadConfig({ DATABASE_URL: t.databaseUrl, DATA_DIR: t.dataDir, LOG_LEVEL: "info", JWT_SECRET: TEST_JWT_SECRET });
    const db = createPrisma(t.databaseUrl, 2);
    const app = await buildApp({ config, db, jwtSecret: TEST_JWT_SECRET, logger: pino({ level: "info" }, sink) });
    try {
      await app.inject({ method: "GET", url: "/v1/platforms", headers: { authorization: `Bearer ${acme.apiKey}`, "x-request-id": "one-line-1" } });
      await app.inject({ method: "GET", url: "/v1/users/user_missing?token=secret-in-query", headers: { authorization: `Bearer ${acme.apiKey}`, "x-request-id": "one-line-2" } });
    } finally {
      await app.close();
      await db.$disconnect();
    }
    const first = lines.filter((l) => l.request_id === "one-line-1");
    const second = lines.filter((l) => l.request_id === "one-line-2");
    expect(first).toHaveLength(1);
    expect(second).toHaveLength(1);
    expect(first[0]).toMatchObject({ msg: "request completed", route: "/v1/platforms", res: { statusCode: 200 }, req: { method: "GET", url: "/v1/platforms" } });
    expect(typeof first[0]!.responseTime).toBe("number");
    expect(second[0]).toMatchObject({
      route: "/v1/users/:id",
      res: { statusCode: 404 },
      req: { url: "/v1/users/user_missing?token=[redacted]" },
      error: { code: "resource_missing" },
    });
    expect(lines.some((l) => l.msg === "incoming request")).toBe(false);
  });

  it("are pretty at a terminal or with LOG_FORMAT=pretty, JSON otherwise", () => {
    expect(wantsPretty("auto", 1, true)).toBe(true);
    expect(wantsPretty("auto", 1, false)).toBe(false);
    expect(wantsPretty("pretty", 1, false)).toBe(true);
    expect(wantsPretty("json", 1, true)).toBe(false);
    expect(loadConfig({}).logFormat).toBe("auto");
    expect(() => loadConfig({ LOG_FORMAT: "xml" })).toThrow(/LOG_FORMAT/);
  });
});
