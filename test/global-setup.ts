import type { TestProject } from "vitest/node";
import { migrate } from "../src/db/migrator.js";
import { migrateJobQueue } from "../src/jobs/worker.js";
import { grantAppRole } from "../src/db/roles.js";
import { scratchOnServer, startScratchPostgres, type ScratchPostgres } from "../scripts/lib/scratch-postgres.js";

/**
 * One real PostgreSQL for the whole run (embedded, in a scratch directory — or the server at
 * DATABASE_URL when set, whose role must be allowed to CREATE DATABASE), and one migrated template
 * database. Each test file clones the
 * template into a database of its own, so files never see each other's data.
 */
export const TEMPLATE_DB = "candle_template";

let scratch: ScratchPostgres | undefined;

declare module "vitest" {
  export interface ProvidedContext {
    pgAdminUrl: string;
    templateDb: string;
  }
}

export default async function setup(project: TestProject) {
  scratch = process.env.DATABASE_URL ? scratchOnServer(process.env.DATABASE_URL) : await startScratchPostgres();
  const templateDb = `${TEMPLATE_DB}_${process.pid}`;
  await scratch.dropDatabase(templateDb);
  const url = await scratch.createDatabase(templateDb);
  await migrate({ connectionString: url });
  await migrateJobQueue(url, { debug() {}, info() {}, warn() {}, error: console.error });
  // The app under test connects as the role row-level security applies to; clones inherit its grants.
  await grantAppRole(url);
  project.provide("pgAdminUrl", scratch.handle.adminUrl);
  project.provide("templateDb", templateDb);
  return async () => {
    await scratch?.dropDatabase(templateDb);
    await scratch?.stop();
  };
}
