import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrisma, type Db, Prisma } from "../../src/db/client.js";
import { PLAN_EACH_CALL } from "../../src/db/prepared.js";
import { appRoleUrl } from "../../src/db/roles.js";
import { asSystem, withTenant } from "../../src/db/tenant.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * Named statements per connection (src/db/prepared.ts): kept and reused, bounded, never changing an
 * answer — the same kept statement runs for one platform, another, and the system scope, and row-level
 * security still decides what each sees. Each client here has one connection, so every query reuses it.
 */

let t: TestContext;
let acme: TestPlatform;
let globex: TestPlatform;
const clients: Db[] = [];
const tenant = (p: TestPlatform) => ({ platformId: p.id, mode: p.mode });
const oneConnection = (preparedStatements: number) => {
  const db = createPrisma(appRoleUrl(t.databaseUrl), 1, 10_000, { preparedStatements });
  clients.push(db);
  return db;
};
/** The statements this connection keeps (PostgreSQL shows a session its own). */
const kept = async (db: Db) =>
  asSystem(() => db.$queryRawUnsafe<Array<{ name: string; statement: string }>>("SELECT name, statement FROM pg_prepared_statements ORDER BY prepare_time"));

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  globex = await t.createPlatform({ name: "Globex" });
  for (const platform of [acme, globex]) {
    const seller = await t.createUser(platform, "member");
    for (const name of ["Lamp", "Rug"].slice(0, platform === acme ? 2 : 1)) {
      const res = await t.request({ method: "POST", url: "/v1/products", headers: bearer(seller.token), payload: { name, price: 1000 } });
      expect(res.statusCode).toBe(201);
    }
  }
});
afterAll(async () => {
  for (const db of clients) await db.$disconnect();
  await t.close();
});

describe("named statements", () => {
  it("keeps a statement on its connection and reuses it: one entry however often it runs", async () => {
    const db = oneConnection(100);
    for (let i = 0; i < 8; i++) await withTenant(tenant(acme), () => db.$queryRawUnsafe("SELECT count(*)::int AS n FROM products WHERE price > $1", 0));
    const statements = (await kept(db)).filter((s) => s.statement.includes("FROM products WHERE price > $1"));
    expect(statements).toHaveLength(1);
    expect(statements[0]!.name).toMatch(/^SELECT [0-9a-f]{20}$/);
  });

  it("answers each scope by its own rows: the kept statement runs for one platform, another, and the system scope", async () => {
    const db = oneConnection(100);
    const count = () => db.$queryRawUnsafe<Array<{ n: number }>>("SELECT count(*)::int AS n FROM products WHERE name <> $1", "");
    // More than five runs each, so PostgreSQL has moved to a generic plan by the end.
    for (let round = 0; round < 4; round++) {
      expect(await withTenant(tenant(acme), count)).toEqual([{ n: 2 }]);
      expect(await withTenant(tenant(globex), count)).toEqual([{ n: 1 }]);
      expect(await asSystem(count)).toEqual([{ n: 3 }]);
      // Outside any scope the connection keeps the tenant role with no platform: nothing.
      expect(await withTenant({ platformId: "plt_none", mode: "test" }, count)).toEqual([{ n: 0 }]);
    }
    expect((await kept(db)).filter((s) => s.statement.includes("WHERE name <> $1"))).toHaveLength(1);
  });

  it("keeps at most the configured number per connection and sends the rest unnamed", async () => {
    const db = oneConnection(2);
    for (const n of [1, 2, 3, 4]) await asSystem(() => db.$queryRawUnsafe(`SELECT $1::int + ${n} AS x`, 1));
    // The first two are kept; the others, and the query reading the list, went unnamed.
    const names = (await kept(db)).map((s) => s.statement);
    expect(names).toEqual(["SELECT $1::int + 1 AS x", "SELECT $1::int + 2 AS x"]);
    // And the unnamed ones still answer.
    expect(await asSystem(() => db.$queryRawUnsafe("SELECT $1::int + 4 AS x", 1))).toEqual([{ x: 5 }]);
  });

  it("sends a statement that begins with PLAN_EACH_CALL unnamed, however often it runs, and keeps the others", async () => {
    const db = oneConnection(100);
    for (let i = 0; i < 7; i++) {
      // As cart-value.ts writes it: the marker first, through a tagged template.
      const rows = await withTenant(
        tenant(acme),
        () => db.$queryRaw<Array<{ n: number }>>`${Prisma.raw(PLAN_EACH_CALL)}
        SELECT count(*)::int AS n FROM products WHERE price >= ${i}`,
      );
      expect(rows).toEqual([{ n: 2 }]);
      await withTenant(tenant(acme), () => db.$queryRaw`SELECT count(*)::int AS n FROM products WHERE price >= ${i} AND name <> 'x'`);
    }
    const statements = (await kept(db)).map((s) => s.statement);
    expect(statements.some((text) => text.includes("plan each call"))).toBe(false);
    expect(statements.filter((text) => text.includes("AND name <> 'x'"))).toHaveLength(1);
  });

  it("keeps none when turned off", async () => {
    const db = oneConnection(0);
    for (let i = 0; i < 3; i++) await asSystem(() => db.$queryRawUnsafe("SELECT $1::int AS x", i));
    expect(await kept(db)).toEqual([]);
  });

  it("survives a table changing under a kept statement: that query fails once, then runs unnamed", async () => {
    // As the database's owner, which may create tables (the app's role may not).
    const owner = createPrisma(t.databaseUrl, 1, 10_000, { preparedStatements: 0 });
    clients.push(owner);
    await asSystem(() => owner.$executeRawUnsafe("CREATE TABLE prepared_probe (id int)"));
    await asSystem(() => owner.$executeRawUnsafe("INSERT INTO prepared_probe VALUES (1)"));
    const db = createPrisma(t.databaseUrl, 1, 10_000, { preparedStatements: 100 });
    clients.push(db);
    const probe = () => asSystem(() => db.$queryRawUnsafe<Array<Record<string, unknown>>>("SELECT * FROM prepared_probe WHERE id >= $1", 0));
    expect(await probe()).toEqual([{ id: 1 }]);
    await asSystem(() => owner.$executeRawUnsafe("ALTER TABLE prepared_probe ADD COLUMN note text"));
    // PostgreSQL refuses a kept statement whose result type changed ("cached plan must not change result type").
    await expect(probe()).rejects.toThrow(/cached plan must not change result type/);
    expect(await probe()).toEqual([{ id: 1, note: null }]);
    expect(await probe()).toEqual([{ id: 1, note: null }]);
  });
});
