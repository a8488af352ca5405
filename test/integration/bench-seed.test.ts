import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeScratchDir } from "../../src/db/embedded.js";
import { runScript } from "../helpers/process.js";
import { seed } from "../../bench/seed.js";
import { seedTransactions } from "../../bench/seed-transactions.js";
import { TEST_JWT_SECRET, bearer, createTestContext, openSession, type TestContext, type TestPlatform } from "../helpers/app.js";
import { expectInvariants, type Json } from "../helpers/contracts.js";
import { createTokenService } from "../../src/modules/auth/tokens.js";

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
    const progress: string[] = [];
    const result = await seedTransactions(t.databaseUrl, { platformId: platform.id, mode: platform.mode, transactions: 3_000, users: 50, progress: (m) => progress.push(m) });
    expect(progress.map((m) => m.slice(0, 5))).toEqual(["[1/6]", "[2/6]", "[3/6]", "[4/6]", "[5/6]", "[6/6]"]);
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

  it("with rebuildIndexes (the harness's large seeds), the same rows and every index of the two tables built again", async () => {
    const indexes = () => t.db.$queryRaw<{ indexdef: string }[]>`
      SELECT indexdef FROM pg_indexes WHERE tablename IN ('transactions', 'contracts') ORDER BY indexname`;
    const before = await indexes();
    expect(before.length).toBeGreaterThan(10);
    const other = await t.createPlatform({ name: "Bench rebuilt" });
    const progress: string[] = [];
    const result = await seedTransactions(t.databaseUrl, {
      platformId: other.id,
      mode: other.mode,
      transactions: 2_000,
      users: 40,
      rebuildIndexes: true,
      progress: (m) => progress.push(m),
    });
    expect(result.transactions).toBe(2_000);
    expect(await t.db.transaction.count({ where: { platformId: other.id } })).toBe(2_000);
    expect(progress.some((m) => /indexes built again/.test(m))).toBe(true);
    expect(await indexes()).toEqual(before);
    // The numbering the seed gave its contracts holds: unique per platform, and the counter is past the last.
    const [numbers] = await t.db.$queryRaw<{ n: bigint; distinct: bigint; max: number | null; counter: number | null }[]>`
      SELECT count(*) AS n, count(DISTINCT number) AS distinct, max(number) AS max,
             (SELECT last_number FROM contract_counters WHERE platform_id = ${other.id} AND mode = ${other.mode}::"Mode") AS counter
      FROM contracts WHERE platform_id = ${other.id}`;
    expect(numbers!.distinct).toBe(numbers!.n);
    expect(numbers!.counter).toBe(numbers!.max);
  });

  it("as `npm run bench:seed`: usage on --help, progress on stderr, the result as JSON on stdout", async () => {
    const help = runScript("bench/seed-transactions.ts", ["--help"], {});
    expect(await help.exited).toBe(0);
    expect(help.stdout()).toMatch(/^usage: npm run bench:seed/);
    const wrong = runScript("bench/seed-transactions.ts", ["--frobnicate"], {});
    expect(await wrong.exited).toBe(2);
    expect(wrong.output()).toMatch(/usage: /);

    const dataDir = await makeScratchDir("candle-bench-seed-");
    try {
      const run = runScript("bench/seed-transactions.ts", ["--transactions", "200", "--users", "10"], {
        DATABASE_URL: t.databaseUrl,
        DATA_DIR: dataDir,
      });
      expect(await run.exited, run.output()).toBe(0);
      const stdout = run.stdout();
      expect(JSON.parse(stdout)).toMatchObject({ platform_id: expect.stringMatching(/^plat_/), api_key: expect.stringMatching(/^cndl_test_/), transactions: 200 });
      const progress = run.output().replace(stdout, "");
      for (let step = 1; step <= 6; step += 1) expect(progress).toContain(`[${step}/6]`);
    } finally {
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("bench/seed.ts", () => {
  it("seeds contracts the API reads with every invariant holding, carts it turns into contracts, and shoppers who can fill carts", async () => {
    const data = await seed(t.databaseUrl, { products: 2_000, sellers: 40, seed: 7, contracts: 300, carts: 20, shoppers: 5 });
    const key = bearer(data.apiKey);
    expect(await t.db.contract.count({ where: { platformId: data.platformId } })).toBe(300);
    for (const id of data.contractIds.slice(0, 40)) {
      const res = await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: key });
      expect(res.statusCode, res.body).toBe(200);
      expectInvariants(res.json());
    }
    const statuses = await t.db.contract.groupBy({ by: ["status"], where: { platformId: data.platformId }, _count: true });
    expect(statuses.map((s) => s.status).sort()).toEqual(["draft", "open", "paid", "void"]);

    // Cart i of the API and of the baseline hold the same lines, and each becomes a contract.
    expect(data.carts.api).toHaveLength(20);
    const lines = async (cartId: string) =>
      (await t.db.cartItem.findMany({ where: { cartId }, orderBy: [{ created: "asc" }, { id: "asc" }] })).map((l) => [l.productId, l.quantity]);
    for (let i = 0; i < 20; i += 1) expect(await lines(data.carts.api[i]!)).toEqual(await lines(data.carts.baseline[i]!));
    const made = await t.request({ method: "POST", url: `/v1/contracts/cart/${data.carts.api[0]}`, headers: key });
    expect(made.statusCode, made.body).toBe(201);
    expectInvariants(made.json() as Json);

    const tokens = createTokenService({ secret: TEST_JWT_SECRET, accessTokenTtl: 600 });
    const shopper = data.shoppers.api[0]!;
    const sessionId = await openSession(t.db, { id: shopper, platformId: data.platformId, mode: "test" });
    const token = tokens.signAccess({ userId: shopper, platformId: data.platformId, mode: "test", role: "member", sessionId }).token;
    const added = await t.request({ method: "POST", url: `/v1/carts/auth/product/${data.shopProducts[0]}`, headers: bearer(token), payload: { quantity: 1 } });
    expect(added.statusCode, added.body).toBe(200);
    expect(data.shopProducts.length).toBeGreaterThan(50);
  });
});
