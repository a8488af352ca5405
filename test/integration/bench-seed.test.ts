import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedTransactions } from "../../bench/seed-transactions.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/** The benchmark's seed: exactly the rows asked for, books that balance, figures the API can read. */
let t: TestContext;
let platform: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  platform = await t.createPlatform({ name: "Bench" });
});
afterAll(() => t.close());

describe("bench/seed-transactions.ts", () => {
  it("seeds exactly the transactions asked for, with every settlement's books balanced", async () => {
    const result = await seedTransactions(t.databaseUrl, { platformId: platform.id, mode: platform.mode, transactions: 3_000, users: 50 });
    expect(result.transactions).toBe(3_000);
    expect(await t.db.transaction.count({ where: { platformId: platform.id } })).toBe(3_000);
    expect(result.contracts).toBeGreaterThan(400);
    expect(result.subscriptions).toBeGreaterThan(0);

    const unbalanced = await t.db.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM (
        SELECT transfer_group,
               sum(amount) FILTER (WHERE type = 'incoming') - sum(amount) FILTER (WHERE type IN ('outgoing', 'fee:stripe', 'fee:candle', 'fee:platform')) AS paid,
               COALESCE(sum(amount) FILTER (WHERE type = 'incoming:refund'), 0) - COALESCE(sum(amount) FILTER (WHERE type::text LIKE '%:refund' AND type <> 'incoming:refund'), 0) AS refunded
        FROM transactions WHERE platform_id = ${platform.id} AND transfer_group IS NOT NULL GROUP BY 1
      ) g WHERE paid <> 0 OR refunded <> 0`;
    expect(Number(unbalanced[0]!.n)).toBe(0);

    const volume = await t.request({ method: "GET", url: "/v1/transactions/volume?interval=month", headers: bearer(platform.apiKey) });
    expect(volume.statusCode).toBe(200);
    expect(volume.json().count).toBe(await t.db.transaction.count({ where: { platformId: platform.id, type: "incoming", status: "succeeded" } }));
  });
});
