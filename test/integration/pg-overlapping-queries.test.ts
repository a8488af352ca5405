import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * pg warns (and pg 9 will refuse) when a client is handed a query while it is still running one.
 * Prisma loads an `include`'s relations in parallel, which inside an interactive transaction all
 * land on the transaction's one client: `POST /v1/users` did it on every call
 * (src/db/one-query-at-a-time.ts). Both pg's own warning and its exact condition are watched.
 */
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
let overlapping = 0;
const originalQuery = pg.Client.prototype.query;

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  process.on("warning", onWarning);
  // pg's condition for the warning, counted on every call (the warning itself is shown once per process).
  (pg.Client.prototype as { query: unknown }).query = function (this: { _queryQueue: unknown[] }, ...args: unknown[]) {
    if (this._queryQueue.length > 0) overlapping += 1;
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  };
  t = await createTestContext();
  acme = await t.createPlatform();
});
afterAll(async () => {
  process.off("warning", onWarning);
  pg.Client.prototype.query = originalQuery;
  await t.close();
});

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("queries inside a transaction", () => {
  it("POST /v1/users never hands the transaction's client a second query while one runs", async () => {
    for (let i = 0; i < 3; i += 1) {
      const res = await t.request({ method: "POST", url: "/v1/users", headers: bearer(acme.apiKey), payload: { email: `overlap${i}@example.com`, name: "Overlap" } });
      expect(res.statusCode).toBe(201);
    }
    await settle();
    expect(overlapping).toBe(0);
    expect(warnings.filter((w) => w.includes("already executing a query"))).toEqual([]);
  });

  it("nor do parallel queries a transaction callback starts itself", async () => {
    await t.db.$transaction(async (tx) => {
      await Promise.all([
        tx.platform.findMany({ take: 1, include: { domains: true } }),
        tx.$queryRaw`SELECT pg_sleep(0.01)::text AS slept`,
        tx.user.findMany({ take: 1, include: { links: true, paymentMethods: true, membership: true } }),
      ]);
    });
    const id = newId("user");
    await t.db.$transaction(async (tx) => {
      await tx.user.create({ data: { id, platformId: acme.id, mode: acme.mode, email: "direct@example.com" } });
      await tx.user.findFirst({ where: { id }, include: { links: true, paymentMethods: true, membership: true } });
    });
    await settle();
    expect(overlapping).toBe(0);
    expect(warnings.filter((w) => w.includes("already executing a query"))).toEqual([]);
  });
});
