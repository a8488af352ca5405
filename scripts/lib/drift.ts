import pg from "pg";
import { migrate } from "../../src/db/migrator.js";
import { MIGRATIONS_DIR, SCHEMA_PATH, prismaDiffScript } from "./prisma-cli.js";
import { describeSchema, diffSchemas } from "./schema-catalog.js";
import type { ScratchPostgres } from "./scratch-postgres.js";

/**
 * Builds one database from prisma/migrations (with the app's migrator) and one straight from
 * schema.prisma, and returns how their catalogs differ: empty when they agree.
 */
export async function findDrift(scratch: ScratchPostgres, options: { migrationsDir?: string; schemaPath?: string } = {}): Promise<string[]> {
  const suffix = Math.random().toString(36).slice(2, 8);
  const fromMigrations = await scratch.createDatabase(`drift_migrations_${suffix}`);
  const fromSchema = await scratch.createDatabase(`drift_schema_${suffix}`);
  try {
    await migrate({ connectionString: fromMigrations, migrationsDir: options.migrationsDir ?? MIGRATIONS_DIR });
    const sql = await prismaDiffScript({ from: "empty", to: options.schemaPath ?? SCHEMA_PATH, databaseUrl: fromSchema });
    const client = new pg.Client({ connectionString: fromSchema });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
    return diffSchemas(await describeSchema(fromMigrations), await describeSchema(fromSchema));
  } finally {
    await scratch.dropDatabase(`drift_migrations_${suffix}`);
    await scratch.dropDatabase(`drift_schema_${suffix}`);
  }
}
