import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const PRISMA_BIN = path.join(ROOT, "node_modules", ".bin", "prisma");

/**
 * `prisma migrate diff … --script` between two datamodels (or from empty). With the Wasm engine the
 * CLI needs a live PostgreSQL at DATABASE_URL even for this, though it does not change it.
 */
export async function prismaDiffScript(options: { from: string | "empty"; to: string; databaseUrl: string }): Promise<string> {
  const fromArgs = options.from === "empty" ? ["--from-empty"] : ["--from-schema-datamodel", options.from];
  const { stdout } = await run(PRISMA_BIN, ["migrate", "diff", ...fromArgs, "--to-schema-datamodel", options.to, "--script"], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: options.databaseUrl, CHECKPOINT_DISABLE: "1", PRISMA_HIDE_UPDATE_MESSAGE: "1" },
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

export function isEmptyMigration(sql: string): boolean {
  return sql.split("\n").every((line) => line.trim() === "" || line.trim() === "-- This is an empty migration.");
}

export const SCHEMA_PATH = path.join(ROOT, "prisma", "schema.prisma");
export const MIGRATIONS_DIR = path.join(ROOT, "prisma", "migrations");
