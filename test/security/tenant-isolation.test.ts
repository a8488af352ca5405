import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrisma, type Db } from "../../src/db/client.js";
import { APP_ROLE, appRoleUrl, rowSecurityProblem, SYSTEM_ROLE, TENANT_ROLE } from "../../src/db/roles.js";
import { asSystem, withTenant, type Tenant } from "../../src/db/tenant.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * Row-level security (docs/tenancy.md): whatever a query forgets, the database shows it one
 * platform's rows — or none, outside any tenant scope. Queried here as the application does: as
 * the application role, through the app's own client code, with the platform filter left out.
 */

let t: TestContext;
let db: Db;
let acme: TestPlatform;
let globex: TestPlatform;
const products: Record<string, string> = {};
const tenant = (p: TestPlatform): Tenant => ({ platformId: p.id, mode: p.mode });

beforeAll(async () => {
  t = await createTestContext();
  // One connection, so each query below reuses the one before's connection and its settings.
  db = createPrisma(appRoleUrl(t.databaseUrl), 1);
  acme = await t.createPlatform({ name: "Acme" });
  globex = await t.createPlatform({ name: "Globex" });
  for (const platform of [acme, globex]) {
    const seller = await t.createUser(platform, "member");
    const created = await t.request({ method: "POST", url: "/v1/products", headers: bearer(seller.token), payload: { name: "Lamp", price: 1000 } });
    expect(created.statusCode).toBe(201);
    products[platform.id] = created.json().id;
  }
});
afterAll(async () => {
  await db.$disconnect();
  await t.close();
});

describe("a query that leaves out the platform filter", () => {
  it("sees only its own platform's rows, through Prisma", async () => {
    const seen = await withTenant(tenant(acme), () => db.product.findMany({ select: { id: true, platformId: true } }));
    expect(seen).toEqual([{ id: products[acme.id], platformId: acme.id }]);
    // And another platform's row, asked for by id, is not there.
    expect(await withTenant(tenant(acme), () => db.product.findUnique({ where: { id: products[globex.id]! } }))).toBeNull();
    expect(await withTenant(tenant(globex), () => db.product.count())).toBe(1);
  });

  it("sees only its own platform's rows, through raw SQL", async () => {
    const rows = await withTenant(tenant(globex), () => db.$queryRaw<Array<{ id: string }>>`SELECT id FROM products`);
    expect(rows.map((r) => r.id)).toEqual([products[globex.id]]);
    const users = await withTenant(tenant(globex), () => db.$queryRaw<Array<{ platform_id: string }>>`SELECT DISTINCT platform_id FROM users`);
    expect(users.map((r) => r.platform_id)).toEqual([globex.id]);
  });

  it("cannot change another platform's rows, nor write rows in its name", async () => {
    const updated = await withTenant(tenant(acme), () => db.$executeRaw`UPDATE products SET name = 'Stolen' WHERE id = ${products[globex.id]!}`);
    expect(updated).toBe(0);
    const deleted = await withTenant(tenant(acme), () => db.product.deleteMany({}));
    expect(deleted.count).toBe(1); // its own product only
    await expect(
      withTenant(tenant(acme), () => db.waitlistEntry.create({ data: { id: "wl_forged", platformId: globex.id, mode: globex.mode, email: "x@example.com", seq: 1 } })),
    ).rejects.toThrow(/row-level security/);
    expect(await t.db.product.findUnique({ where: { id: products[globex.id]! }, select: { name: true } })).toEqual({ name: "Lamp" });
  });

  it("is the mode's too: the same platform id in the other mode sees nothing", async () => {
    const other = { platformId: globex.id, mode: globex.mode === "test" ? ("live" as const) : ("test" as const) };
    expect(await withTenant(other, () => db.product.count())).toBe(0);
  });
});

describe("code outside any tenant scope", () => {
  it("sees no tenant rows at all (fails closed), through Prisma and raw SQL", async () => {
    expect(await db.product.findMany()).toEqual([]);
    expect(await db.user.count()).toBe(0);
    expect(await db.$queryRaw<unknown[]>`SELECT id FROM api_keys`).toEqual([]);
    // The settings a previous scope left on the connection are not inherited.
    await withTenant(tenant(globex), () => db.product.count());
    expect(await db.product.count()).toBe(0);
  });

  it("sees every platform in the system scope", async () => {
    expect(await asSystem(() => db.platform.count())).toBe(2);
    expect(await asSystem(() => db.user.count())).toBe(2);
  });
});

describe("concurrent scopes", () => {
  it("keeps Prisma's same-tick batches of lookups apart by tenant", async () => {
    const [a, b] = await Promise.all([
      withTenant(tenant(globex), () => db.product.findUnique({ where: { id: products[globex.id]! }, select: { id: true } })),
      withTenant(tenant(acme), () => db.platform.findUnique({ where: { id: acme.id }, select: { id: true } })),
    ]);
    expect(a).toEqual({ id: products[globex.id] });
    expect(b).toEqual({ id: acme.id });
    const [x, y] = await Promise.all([
      withTenant(tenant(acme), () => db.platform.findUnique({ where: { id: acme.id }, select: { id: true } })),
      withTenant(tenant(globex), () => db.platform.findUnique({ where: { id: globex.id }, select: { id: true } })),
    ]);
    expect([x, y]).toEqual([{ id: acme.id }, { id: globex.id }]);
  });

  it("run each transaction in the scope that started it", async () => {
    const [a, g] = await Promise.all([
      withTenant(tenant(acme), () => db.$transaction(async (tx) => tx.platform.findMany({ select: { id: true } }))),
      withTenant(tenant(globex), () => db.$transaction(async (tx) => tx.platform.findMany({ select: { id: true } }))),
    ]);
    expect(a).toEqual([{ id: acme.id }]);
    expect(g).toEqual([{ id: globex.id }]);
  });
});

describe("the schema", () => {
  it("forces a policy on every table with a platform_id, and the app's role cannot bypass them", async () => {
    const tables = await t.db.$queryRaw<Array<{ table: string; enabled: boolean; forced: boolean; policies: number }>>`
      SELECT c.relname::text AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
             (SELECT count(*)::int FROM pg_policy p WHERE p.polrelid = c.oid) AS policies
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r'
        AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'platform_id' AND NOT a.attisdropped) OR c.relname = 'platforms')
      ORDER BY 1`;
    expect(tables.length).toBeGreaterThan(30);
    expect(tables.filter((r) => !r.enabled || !r.forced || r.policies < 1).map((r) => r.table)).toEqual([]);
    const [role] = await t.db.$queryRaw<Array<{ rolsuper: boolean; rolbypassrls: boolean }>>`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = ${APP_ROLE}`;
    expect(role).toEqual({ rolsuper: false, rolbypassrls: false });
    const [tenantRole] = await t.db.$queryRaw<Array<{ rolsuper: boolean; rolbypassrls: boolean; system: boolean }>>`
      SELECT rolsuper, rolbypassrls, pg_has_role(${TENANT_ROLE}, ${SYSTEM_ROLE}, 'MEMBER') AS system FROM pg_roles WHERE rolname = ${TENANT_ROLE}`;
    expect(tenantRole).toEqual({ rolsuper: false, rolbypassrls: false, system: false });
  });

  it("keeps each tenant policy one plain equality the indexes can answer, and lets only the system role see every row", async () => {
    // An OR or a cast in a policy stops PostgreSQL from using it (and the query's own enum
    // comparison, which is not leakproof) as an index condition: a page of products then sorted a
    // whole category (bench/RESULTS.md).
    const policies = await t.db.$queryRaw<Array<{ table: string; name: string; roles: string[]; qual: string }>>`
      SELECT tablename::text AS table, policyname::text AS name, roles::text[] AS roles, qual FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2`;
    const tenantPolicies = policies.filter((p) => p.name === "tenant_isolation");
    expect(tenantPolicies.length).toBeGreaterThan(30);
    for (const p of tenantPolicies) {
      expect(p.roles, p.table).toEqual(["public"]);
      const qual = p.table === "idempotency_records" ? p.qual.replace(/^\(*platform_id IS NULL\)* OR /, "") : p.qual;
      expect(qual, p.table).not.toMatch(/ OR |mode\)?::text/);
      expect(qual, p.table).toMatch(/platform_id|\(id =/);
    }
    const system = policies.filter((p) => p.name === "system_scope");
    expect(system.map((p) => p.table)).toEqual(tenantPolicies.map((p) => p.table));
    expect(new Set(system.map((p) => `${p.roles.join()} ${p.qual}`))).toEqual(new Set([`${SYSTEM_ROLE} true`]));
  });

  it("refuses to start with a login role that cannot switch to the tenant role", async () => {
    // The app's login role is fine…
    expect(await rowSecurityProblem(appRoleUrl(t.databaseUrl))).toBeNull();
    // …a login role outside both roles is not.
    const name = `outsider_${Date.now()}`;
    await t.db.$executeRawUnsafe(`CREATE ROLE ${name} LOGIN PASSWORD 'outsider'`);
    const url = new URL(t.databaseUrl);
    url.username = name;
    url.password = "outsider";
    try {
      expect(await rowSecurityProblem(url.toString())).toMatch(/cannot switch to candle_tenant/);
    } finally {
      await t.db.$executeRawUnsafe(`DROP ROLE ${name}`);
    }
  });
});
