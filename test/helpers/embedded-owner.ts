/**
 * A process that starts the embedded PostgreSQL and keeps running, as the API does; a test kills it
 * (test/faults/embedded-orphan.test.ts). Prints `started <postmaster PID>` once the server runs.
 *
 *   node --import tsx test/helpers/embedded-owner.ts <dataDir> <port>
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { startEmbeddedPostgres } from "../../src/db/embedded.js";

const [dataDir, port] = process.argv.slice(2);
const handle = await startEmbeddedPostgres({ dataDir: dataDir!, port: Number(port) });
const postmaster = Number(readFileSync(path.join(dataDir!, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
process.stdout.write(`started ${postmaster} owned=${handle.owned}\n`);
setInterval(() => {}, 60_000);
