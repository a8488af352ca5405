import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate, readMigrations } from "../../src/db/migrator.js";
import { findDrift } from "../../scripts/lib/drift.js";
import { MIGRATIONS_DIR, SCHEMA_PATH, isEmptyMigration, prismaDiffScript } from "../../scripts/lib/prisma-cli.js";
import { scratchOnServer } from "../../scripts/lib/scratch-postgres.js";
import { createTestDatabase } from "../helpers/database.js";
import { inject } from "vitest";

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

let empty: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  empty = await createTestDatabase({ empty: true });
});
afterAll(() => empty.drop());

describe("the migrator", () => {
  it("applies every migration to an empty database, recording them as Prisma does", async () => {
    const migrations = await readMigrations();
    expect(migrations.length).toBeGreaterThan(0);
    const result = await migrate({ connectionString: empty.url });
    expect(result.applied).toEqual(migrations.map((m) => m.name));
    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      empty.url,
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    expect(rows.map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
    for (const [i, row] of rows.entries()) {
      expect(row.checksum).toBe(migrations[i]!.checksum);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
    const tables = await query<{ table_name: string }>(empty.url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
    expect(tables.map((t) => t.table_name)).toEqual(expect.arrayContaining(["platforms", "api_keys", "users", "contracts", "transactions"]));
  });

  it("does nothing on an up-to-date database", async () => {
    const result = await migrate({ connectionString: empty.url });
    expect(result.applied).toEqual([]);
    expect(result.alreadyApplied).toBe((await readMigrations()).length);
  });

  it("applies each migration once when several nodes boot at the same time", async () => {
    const db = await createTestDatabase({ empty: true });
    try {
      const results = await Promise.all(Array.from({ length: 4 }, () => migrate({ connectionString: db.url })));
      const count = (await readMigrations()).length;
      expect(results.reduce((n, r) => n + r.applied.length, 0)).toBe(count);
      const rows = await query<{ n: string }>(db.url, `SELECT count(*) AS n FROM "_prisma_migrations"`);
      expect(Number(rows[0]!.n)).toBe(count);
    } finally {
      await db.drop();
    }
  });

  it("applies only the new migration, and rolls a failing one back entirely", async () => {
    const db = await createTestDatabase({ empty: true });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "migrations-"));
    try {
      await fs.mkdir(path.join(dir, "001_first"));
      await fs.writeFile(path.join(dir, "001_first", "migration.sql"), "CREATE TABLE a (id int);");
      expect((await migrate({ connectionString: db.url, migrationsDir: dir })).applied).toEqual(["001_first"]);

      await fs.mkdir(path.join(dir, "002_broken"));
      await fs.writeFile(path.join(dir, "002_broken", "migration.sql"), "CREATE TABLE b (id int); SELECT * FROM no_such_table;");
      await expect(migrate({ connectionString: db.url, migrationsDir: dir })).rejects.toThrow(/002_broken failed/);
      const tables = await query<{ table_name: string }>(db.url, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`);
      expect(tables.map((t) => t.table_name).sort()).toEqual(["_prisma_migrations", "a"]);

      await fs.writeFile(path.join(dir, "002_broken", "migration.sql"), "CREATE TABLE b (id int);");
      expect((await migrate({ connectionString: db.url, migrationsDir: dir })).applied).toEqual(["002_broken"]);
    } finally {
      await db.drop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("schema.prisma and prisma/migrations", () => {
  const scratch = () => scratchOnServer(inject("pgAdminUrl"));

  it("describe the same database", async () => {
    expect(await findDrift(scratch())).toEqual([]);
  });

  it("leave the latest migration's schema snapshot equal to schema.prisma, so db:diff starts from the truth", async () => {
    const latest = (await readMigrations()).at(-1)!;
    const snapshot = path.join(MIGRATIONS_DIR, latest.name, "schema.prisma");
    const sql = await prismaDiffScript({ from: snapshot, to: SCHEMA_PATH, databaseUrl: inject("pgAdminUrl") });
    expect(isEmptyMigration(sql)).toBe(true);
  });

  it("are caught disagreeing when the schema changes without a migration", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "schema-"));
    try {
      const schema = await fs.readFile(SCHEMA_PATH, "utf8");
      const edited = schema.replace('  activeSubscription String?  @map("active_subscription")', '  activeSubscription String?  @map("active_subscription")\n  tagline String?');
      expect(edited).not.toBe(schema);
      const file = path.join(dir, "schema.prisma");
      await fs.writeFile(file, edited);
      const drift = await findDrift(scratch(), { schemaPath: file });
      expect(drift).toContain("+ column platforms.tagline text");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
