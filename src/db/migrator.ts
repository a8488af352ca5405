import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";

/**
 * Applies `prisma/migrations/<name>/migration.sql` in name order, recording each one in Prisma's
 * own `_prisma_migrations` table so `prisma migrate deploy/status` stay usable where Prisma's
 * engine can be downloaded. `prisma migrate deploy` itself cannot run here (prisma/orm#27403).
 *
 * Several nodes may boot at once: a session advisory lock — the same key Prisma's migrate takes —
 * lets one apply while the others wait, then find nothing left to do. Each migration and its
 * bookkeeping row commit in one transaction, so a failure leaves nothing half-applied.
 */

// Prisma Migrate's advisory lock id, so our migrator and `prisma migrate deploy` exclude each other.
const MIGRATION_LOCK_ID = 72707369;

/** `prisma/migrations` of the project this file belongs to, from src/ (tsx) or from dist/ (built). */
function findMigrationsDir(): string {
  let dir = import.meta.dirname;
  while (true) {
    const candidate = path.join(dir, "prisma", "migrations");
    if (existsSync(path.join(dir, "package.json")) && existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(import.meta.dirname, "../../prisma/migrations");
    dir = parent;
  }
}

export const DEFAULT_MIGRATIONS_DIR = findMigrationsDir();

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: number;
}

export interface MigrateOptions {
  connectionString: string;
  migrationsDir?: string;
  log?: (message: string) => void;
}

export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<Migration[]> {
  if (!existsSync(dir)) return [];
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrations: Migration[] = [];
  for (const name of names) {
    const file = path.join(dir, name, "migration.sql");
    if (!existsSync(file)) continue;
    const sql = await fs.readFile(file, "utf8");
    migrations.push({ name, sql, checksum: createHash("sha256").update(sql).digest("hex") });
  }
  return migrations;
}

// Prisma's own definition of the table (prisma-engines, schema-engine/connectors/sql-schema-connector).
const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** The migrations of `migrationsDir` the database has not applied (all of them on an empty database). */
export async function pendingMigrations(connectionString: string, migrationsDir?: string): Promise<string[]> {
  const migrations = await readMigrations(migrationsDir);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string | null }>(`SELECT to_regclass('"_prisma_migrations"')::text AS name`);
    if (!rows[0]?.name) return migrations.map((m) => m.name);
    const applied = await client.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations" WHERE rolled_back_at IS NULL AND finished_at IS NOT NULL`);
    const done = new Set(applied.rows.map((r) => r.migration_name));
    return migrations.map((m) => m.name).filter((name) => !done.has(name));
  } finally {
    await client.end();
  }
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const migrations = await readMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: options.connectionString });
  await client.connect();
  try {
    // Migrations may move data of every platform. A superuser skips row security; an owner that is
    // not one sees every row as a member of candle_system (docs/tenancy.md), and before the
    // migration that made that role (*_tenant_policies_by_role) through the first policies' '*'.
    await client.query("SELECT set_config('app.platform_id', '*', false)");
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_ID]);
    try {
      await client.query(CREATE_TABLE);
      const { rows } = await client.query<AppliedRow>(`SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`);
      const byName = new Map(rows.map((r) => [r.migration_name, r]));
      const failed = rows.find((r) => r.finished_at === null);
      if (failed) {
        throw new Error(
          `Migration ${failed.migration_name} is recorded as started but not finished. Repair the database, then mark it rolled back ` +
            `(UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = '${failed.migration_name}').`,
        );
      }
      const known = new Set(migrations.map((m) => m.name));
      for (const row of rows) {
        if (!known.has(row.migration_name)) log(`migration ${row.migration_name} is applied to the database but missing from ${options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR}`);
      }

      const applied: string[] = [];
      for (const migration of migrations) {
        const row = byName.get(migration.name);
        if (row) {
          if (row.checksum !== migration.checksum) log(`migration ${migration.name} was modified after it was applied`);
          continue;
        }
        await client.query("BEGIN");
        try {
          await client.query(migration.sql);
          await client.query(
            `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
             VALUES ($1, $2, $3, now(), now(), 1)`,
            [randomUUID(), migration.checksum, migration.name],
          );
          await client.query("COMMIT");
        } catch (err) {
          await client.query("ROLLBACK");
          throw new Error(`Migration ${migration.name} failed: ${(err as Error).message}`, { cause: err });
        }
        applied.push(migration.name);
        log(`applied migration ${migration.name}`);
      }
      return { applied, alreadyApplied: migrations.length - applied.length };
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_ID]).catch(() => {});
    }
  } finally {
    await client.end();
  }
}
