/**
 * `npm run migrate`: applies the schema's migrations and the job queue's, then exits — the release
 * step of a deployment that runs its nodes with MIGRATE_ON_BOOT=false. Uses the server's database
 * (DATABASE_URL, or the embedded one under DATA_DIR). Safe to run again, and from several places at
 * once (an advisory lock lets one apply while the others wait).
 */
import { openDatabase } from "../src/db/database.js";
import { migrateJobQueue } from "../src/jobs/worker.js";
import { cliConfig, wantsHelp } from "./lib/cli.js";

const usage = `usage: npm run migrate
Applies pending database migrations (prisma/migrations, then the job queue's schema) to DATABASE_URL,
or to the embedded PostgreSQL under DATA_DIR, and exits. Run it before starting nodes that have
MIGRATE_ON_BOOT=false.`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (wantsHelp(args)) {
    console.log(usage);
    return 0;
  }
  if (args.length > 0) {
    console.error(`unexpected argument: ${args[0]}\n${usage}`);
    return 2;
  }
  const config = cliConfig();
  if (!config) return 1;
  const log = (message: string) => console.log(message);
  const database = await openDatabase(config, log, { migrate: true });
  try {
    await migrateJobQueue(database.url, { debug() {}, info: log, warn: log, error: console.error });
    console.log("job queue schema up to date");
    return 0;
  } finally {
    await database.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
