import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/app.js";
import { loadConfig } from "../../src/config.js";
import { createPrisma } from "../../src/db/client.js";
import { redactUrl } from "../../src/lib/logging.js";
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
      await app.inject({
        method: "GET",
        url: "/v1/platforms",
        headers: { api_key: acme.apiKey, mode: "test", authorization: `Bearer ${user.token}`, "x-request-id": "log-check-2" },
      });
      await app.inject({ method: "GET", url: "/v1/platforms", headers: { authorization: "Bearer cndl_test_wrongwrongwrongwrongwrong", "x-request-id": "log-check-3" } });
    } finally {
      await app.close();
      await db.$disconnect();
    }
    const requestLines = lines.filter((l) => l.includes("log-check"));
    expect(requestLines.length).toBeGreaterThanOrEqual(3);
    for (const line of requestLines) expect(JSON.parse(line).request_id).toMatch(/^log-check-\d$/);
    const all = lines.join("\n");
    expect(all).not.toContain(acme.apiKey);
    expect(all).not.toContain("cndl_test_wrong");
    expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]+\./); // no JWT
  });

  it("censor credentials in query strings, headers and bodies, even on a logger handed in from outside", async () => {
    const captured: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        captured.push(...chunk.toString().split("\n").filter(Boolean));
        done();
      },
    });
    const logger = pino({ level: "trace" }, sink);
    const config = loadConfig({ DATABASE_URL: t.databaseUrl, DATA_DIR: t.dataDir, LOG_LEVEL: "trace", JWT_SECRET: TEST_JWT_SECRET });
    const db = createPrisma(t.databaseUrl, 2);
    const app = await buildApp({ config, db, jwtSecret: TEST_JWT_SECRET, logger });
    try {
      await app.inject({ method: "GET", url: "/offline/connect/onboard/acct_x?token=onboard-secret-1&return=ok", headers: { "x-request-id": "log-query-1" } });
      await app.inject({ method: "PUT", url: "/v1/uploads/a%2Fb.png?content_type=image%2Fpng&expires=1&signature=sig-secret-2", headers: { "x-request-id": "log-query-2" } });
      // Lines the app's own code writes with credentials in their fields.
      app.log.info({ token: "field-secret-3", body: { code: "123456", refreshToken: "field-secret-4" }, headers: { authorization: "Bearer field-secret-5" } }, "a careless line");
    } finally {
      await app.close();
      await db.$disconnect();
    }
    const all = captured.join("\n");
    for (const secret of ["onboard-secret-1", "sig-secret-2", "field-secret-3", "field-secret-4", "field-secret-5"]) expect(all).not.toContain(secret);
    // A number on its own (not digits inside a timestamp or a duration).
    expect(all).not.toMatch(/(?<![\d.])123456(?!\d)/);
    // What is not a credential stays readable.
    expect(all).toContain("return=ok");
    expect(all).toContain("content_type=image%2Fpng");
    expect(all).toContain("a careless line");
  });

  it("redactUrl censors every credential-like parameter and nothing else", () => {
    expect(redactUrl("/x?token=a&Signature=b&sig=c&code=d&key=e&secret=f&page=2&x-amz-signature=g")).toBe(
      "/x?token=[redacted]&Signature=[redacted]&sig=[redacted]&code=[redacted]&key=[redacted]&secret=[redacted]&page=2&x-amz-signature=[redacted]",
    );
    expect(redactUrl("/x?%74oken=a")).toBe("/x?%74oken=[redacted]");
    expect(redactUrl("/x/no-query")).toBe("/x/no-query");
    expect(redactUrl("/x?flag&token")).toBe("/x?flag&token");
  });
});
