import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrisma, type Db, POOL_IN_TRANSACTION, Prisma } from "../../src/db/client.js";
import { appRoleUrl } from "../../src/db/roles.js";
import { asSystem, withTenant } from "../../src/db/tenant.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * Raw SQL goes straight to the driver adapter (src/db/raw-sql.ts): to the transaction's connection
 * inside interactive transactions, to the adapter's pool outside them. Each check runs the same
 * statements on a client that takes that path and on one that sends them through Prisma's pipeline,
 * and expects the same answers, the same errors and the same tenant scope.
 */

let t: TestContext;
let acme: TestPlatform;
let globex: TestPlatform;
let direct: Db;
let prisma: Db;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  globex = await t.createPlatform({ name: "Globex" });
  const seller = await t.createUser(acme, "member");
  const res = await t.request({ method: "POST", url: "/v1/products", headers: bearer(seller.token), payload: { name: "Lamp", price: 1000 } });
  expect(res.statusCode).toBe(201);
  direct = createPrisma(appRoleUrl(t.databaseUrl), 2, 2_000, { guardTransactions: true });
  prisma = createPrisma(appRoleUrl(t.databaseUrl), 2, 2_000, { guardTransactions: true, prismaRaw: true });
});
afterAll(async () => {
  await direct.$disconnect();
  await prisma.$disconnect();
  await t.close();
});

const both = async <T>(fn: (db: Db) => Promise<T>): Promise<[T, T]> => [await fn(direct), await fn(prisma)];
const caught = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (err: unknown) => err as Prisma.PrismaClientKnownRequestError,
  );

describe("raw SQL in transactions, directly and through Prisma", () => {
  it("answers every type the same: numbers, bigints, decimals, booleans, dates, times, JSON, arrays, bytes, enums", async () => {
    const at = new Date("2026-01-02T03:04:05.678Z");
    const [a, b] = await both((db) =>
      asSystem(() =>
        db.$transaction(async (tx) => {
          const rows = await tx.$queryRaw<Record<string, unknown>[]>`
            SELECT ${"s"}::text AS s, ${5}::int AS i, ${2.5}::float8 AS f, ${true}::boolean AS b, ${null}::text AS n, ${at}::timestamptz AS d,
                   ${["a", "b"]}::text[] AS ta, ${[1, 2]}::int[] AS ia, ${[at]}::timestamptz[] AS da, ${10n}::bigint AS bi, ${Buffer.from("hi")}::bytea AS by,
                   ${JSON.stringify({ a: 1 })}::json AS j, ${new Prisma.Decimal("1.50")}::numeric AS dec, 7::bigint AS big, 1.25::numeric AS num,
                   '2026-03-04'::date AS dt, '{"x":1}'::jsonb AS jb, ARRAY[1::bigint, NULL] AS ba, 'test'::"Mode" AS en, ARRAY['test'::"Mode"] AS ena,
                   ${{ k: "v" }}::jsonb AS obj, ARRAY['{"a":1}'::jsonb] AS jba, '12:00:00'::time AS tm, '5f0c7a9e-4b1a-4d7e-9a55-0c1d2e3f4a5b'::uuid AS u,
                   'x'::char AS ch, 3::smallint AS sm, 1.5::real AS re, ARRAY[1.5::numeric] AS na, ARRAY[true, false] AS boa, '\\x0102'::bytea AS raw,
                   ${"2026-01-02 03:04:05"}::timestamp AS ts, 'infinity'::timestamptz AS inf, ARRAY[]::text[] AS empty, count(*) AS c`;
          const unsafe = await tx.$queryRawUnsafe<Record<string, unknown>[]>("SELECT $1::int + 1 AS n, $2::timestamptz AS d, $3::text[] AS t", 41, at, ["x"]);
          const fragment = await tx.$queryRaw<Record<string, unknown>[]>(Prisma.sql`SELECT ${Prisma.join([1, 2, 3])} AS list, ${Prisma.raw("'raw'")} AS r`);
          return { rows, unsafe, fragment };
        }),
      ),
    );
    expect(a).toEqual(b);
    const row = a.rows[0]!;
    expect([typeof row.bi, typeof row.c, row.d, (row.dec as Prisma.Decimal).toString(), row.j, row.by]).toEqual([
      "bigint",
      "bigint",
      at,
      "1.5",
      { a: 1 },
      new Uint8Array([104, 105]),
    ]);
  });

  it("counts rows the same with $executeRaw and $executeRawUnsafe, and sees the transaction's own writes", async () => {
    const [a, b] = await both((db) =>
      withTenant({ platformId: acme.id, mode: acme.mode }, () =>
        db.$transaction(async (tx) => {
          const updated = await tx.$executeRaw`UPDATE products SET name = name || '' WHERE platform_id = ${acme.id}`;
          const unsafe = await tx.$executeRawUnsafe("UPDATE products SET price = price WHERE platform_id = $1", acme.id);
          const seen = await tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM products WHERE name LIKE 'Lamp%'`;
          return { updated, unsafe, seen };
        }),
      ),
    );
    expect(a).toEqual({ updated: 1, unsafe: 1, seen: [{ n: 1 }] });
    expect(b).toEqual(a);
  });

  it("keeps the tenant scope: one platform's transaction sees its rows only", async () => {
    const count = (db: Db, p: TestPlatform) =>
      withTenant({ platformId: p.id, mode: p.mode }, () => db.$transaction((tx) => tx.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM products`));
    expect(await both((db) => count(db, acme))).toEqual([[{ n: 1 }], [{ n: 1 }]]);
    expect(await both((db) => count(db, globex))).toEqual([[{ n: 0 }], [{ n: 0 }]]);
  });

  it("rolls back what a failed transaction wrote", async () => {
    for (const db of [direct, prisma]) {
      const err = await caught(
        withTenant({ platformId: acme.id, mode: acme.mode }, () =>
          db.$transaction(async (tx) => {
            await tx.$executeRaw`UPDATE products SET name = 'Gone' WHERE platform_id = ${acme.id}`;
            throw new Error("changed my mind");
          }),
        ),
      );
      expect(err.message).toBe("changed my mind");
    }
    const [rows] = await both((db) => withTenant({ platformId: acme.id, mode: acme.mode }, () => db.$queryRaw<{ name: string }[]>`SELECT name FROM products`));
    expect(rows).toEqual([{ name: "Lamp" }]);
  });

  it("fails the same way: P2010 with PostgreSQL's code for a broken constraint or bad SQL", async () => {
    const failing = async (db: Db, sql: Prisma.Sql) => caught(withTenant({ platformId: acme.id, mode: acme.mode }, () => db.$transaction(async (tx) => tx.$executeRaw(sql))));
    for (const sql of [
      Prisma.sql`INSERT INTO products (id, platform_id, mode, user_id, name, price, updated) SELECT id, platform_id, mode, user_id, name, price, now() FROM products LIMIT 1`,
      Prisma.sql`SELECT 1/0`,
      Prisma.sql`SELECT * FROM no_such_table`,
    ]) {
      const [a, b] = await both((db) => failing(db, sql));
      expect(a).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
      expect([a.code, a.meta?.driverAdapterError]).toEqual([b.code, b.meta?.driverAdapterError]);
      expect(a.code).toBe("P2010");
      expect(a.message).toContain((b.meta!.driverAdapterError as { cause: { originalMessage: string } }).cause.originalMessage);
    }
  });

  it("refuses a statement once its transaction is closed, with P2028 as Prisma does", async () => {
    const [a, b] = await both(async (db) => {
      let leaked: Prisma.TransactionClient | undefined;
      await asSystem(() =>
        db.$transaction(async (tx) => {
          leaked = tx;
        }),
      );
      return caught(asSystem(() => leaked!.$queryRaw`SELECT 1`));
    });
    expect([a.code, b.code]).toEqual(["P2028", "P2028"]);
  });

  it("refuses statements after the transaction ran past its time, and nothing it wrote stays", async () => {
    for (const db of [direct, prisma]) {
      const err = await caught(
        withTenant({ platformId: acme.id, mode: acme.mode }, () =>
          db.$transaction(
            async (tx) => {
              await tx.$executeRaw`UPDATE products SET name = 'Late' WHERE platform_id = ${acme.id}`;
              await tx.$queryRaw`SELECT pg_sleep(0.3)::text`;
              return tx.$queryRaw`SELECT 1`;
            },
            { timeout: 100 },
          ),
        ),
      );
      expect(err.code).toBe("P2028");
    }
    const [rows] = await both((db) => withTenant({ platformId: acme.id, mode: acme.mode }, () => db.$queryRaw<{ name: string }[]>`SELECT name FROM products`));
    expect(rows).toEqual([{ name: "Lamp" }]);
  });
});

describe("raw SQL outside transactions, to the adapter directly and through Prisma", () => {
  const at = new Date("2026-01-02T03:04:05.678Z");
  const typed = (db: Db) =>
    asSystem(async () => ({
      rows: await db.$queryRaw<Record<string, unknown>[]>`
        SELECT ${"s"}::text AS s, ${5}::int AS i, ${true}::boolean AS b, ${null}::text AS n, ${at}::timestamptz AS d, ${["a"]}::text[] AS ta,
               ${10n}::bigint AS bi, ${Buffer.from("hi")}::bytea AS by, ${JSON.stringify({ a: 1 })}::json AS j, ${new Prisma.Decimal("1.50")}::numeric AS dec,
               '2026-03-04'::date AS dt, 'test'::"Mode" AS en, ${{ k: "v" }}::jsonb AS obj, '12:00:00'::time AS tm, count(*) AS c`,
      unsafe: await db.$queryRawUnsafe<Record<string, unknown>[]>("SELECT $1::int + 1 AS n, $2::timestamptz AS d", 41, at),
      fragment: await db.$queryRaw<Record<string, unknown>[]>(Prisma.sql`SELECT ${Prisma.join([1, 2, 3])} AS list`),
    }));

  it("answers every type the same", async () => {
    const [a, b] = await both(typed);
    expect(a).toEqual(b);
    expect([typeof a.rows[0]!.bi, a.rows[0]!.d, (a.rows[0]!.dec as Prisma.Decimal).toString(), a.unsafe]).toEqual(["bigint", at, "1.5", [{ n: 42, d: at }]]);
  });

  it("counts rows the same with $executeRaw and $executeRawUnsafe, in the caller's tenant scope", async () => {
    const [a, b] = await both((db) =>
      withTenant({ platformId: acme.id, mode: acme.mode }, async () => ({
        updated: await db.$executeRaw`UPDATE products SET name = name WHERE price >= ${0}`,
        unsafe: await db.$executeRawUnsafe("UPDATE products SET price = price WHERE price >= $1", 0),
      })),
    );
    expect(a).toEqual({ updated: 1, unsafe: 1 });
    expect(b).toEqual(a);
    // Two tenants at once: each statement runs in its own caller's scope.
    const count = (db: Db, p: TestPlatform) => withTenant({ platformId: p.id, mode: p.mode }, () => db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM products`);
    expect(await Promise.all([count(direct, acme), count(direct, globex), count(direct, acme)])).toEqual([[{ n: 1 }], [{ n: 0 }], [{ n: 1 }]]);
  });

  it("fails the same way: P2010 with PostgreSQL's code", async () => {
    for (const sql of [Prisma.sql`SELECT 1/0`, Prisma.sql`SELECT * FROM no_such_table`]) {
      const [a, b] = await both((db) => caught(asSystem(() => db.$executeRaw(sql))));
      expect(a).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
      expect([a.code, a.meta?.driverAdapterError]).toEqual([b.code, b.meta?.driverAdapterError]);
      expect(a.code).toBe("P2010");
    }
  });

  it("runs a statement only when it is awaited, as Prisma's promise does", async () => {
    const name = "Lazy";
    const [a, b] = await both(async (db) =>
      withTenant({ platformId: acme.id, mode: acme.mode }, async () => {
        const pending = db.$executeRaw`UPDATE products SET name = ${name} WHERE platform_id = ${acme.id}`;
        const before = await db.$queryRaw<{ name: string }[]>`SELECT name FROM products`;
        await db.$executeRaw`UPDATE products SET name = 'Lamp' WHERE platform_id = ${acme.id}`;
        void pending;
        return before;
      }),
    );
    expect([a, b]).toEqual([[{ name: "Lamp" }], [{ name: "Lamp" }]]);
  });

  it("called on a transaction's client, stays in that transaction", async () => {
    const seen = await withTenant({ platformId: acme.id, mode: acme.mode }, () =>
      direct.$transaction(async (tx) => {
        await tx.$executeRaw`UPDATE products SET name = 'Uncommitted' WHERE platform_id = ${acme.id}`;
        // As Prisma's own transaction client reaches the method: through the client's property, with `this` the transaction.
        const rows = await (direct.$queryRaw as (this: unknown, q: TemplateStringsArray) => Promise<{ name: string }[]>).call(
          tx,
          Object.assign(["SELECT name FROM products"], { raw: ["SELECT name FROM products"] }),
        );
        await tx.$executeRaw`UPDATE products SET name = 'Lamp' WHERE platform_id = ${acme.id}`;
        return rows;
      }),
    );
    expect(seen).toEqual([{ name: "Uncommitted" }]);
  });

  it("is refused on the pool inside a transaction callback, as before", async () => {
    const [a, b] = await both((db) => caught(asSystem(() => db.$transaction(async () => db.$queryRaw`SELECT 1`))));
    expect(a.message).toContain(POOL_IN_TRANSACTION);
    expect(b.message).toContain(POOL_IN_TRANSACTION);
  });
});
