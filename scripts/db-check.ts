/** `npm run db:check`: fails when prisma/migrations and schema.prisma describe different databases. */
import { findDrift } from "./lib/drift.js";
import { startScratchPostgres } from "./lib/scratch-postgres.js";

const scratch = await startScratchPostgres();
let code = 0;
try {
  const drift = await findDrift(scratch);
  if (drift.length) {
    console.error(`prisma/migrations and schema.prisma disagree (run npm run db:diff -- <name>):\n${drift.join("\n")}`);
    code = 1;
  } else {
    console.log("prisma/migrations and schema.prisma describe the same database.");
  }
} finally {
  await scratch.stop();
}
process.exit(code);
