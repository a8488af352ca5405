import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../helpers/app.js";

let t: TestContext;

beforeAll(async () => {
  t = await createTestContext();
});
afterAll(() => t.close());

describe("health and readiness", () => {
  it("/health answers without credentials", async () => {
    const res = await t.request({ method: "GET", url: "/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: "ok" });
  });

  it("/ready checks the database", async () => {
    const res = await t.request({ method: "GET", url: "/ready" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ready", database: "ok" });
  });

  it("/ready is 503 when the database does not answer", async () => {
    const down = await createTestContext({}, { sharedDatabaseUrl: "postgresql://nobody:nothing@127.0.0.1:1/none" });
    const res = await down.request({ method: "GET", url: "/ready" });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe("database_unavailable");
    await down.app.close();
    await down.db.$disconnect();
  });
});
