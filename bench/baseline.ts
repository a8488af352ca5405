/**
 * The baseline: a bare Fastify + pg server doing each scenario's work by hand (no auth, no
 * validation, no ORM). Started by run.ts as its own process; the file at `BENCH_DATA_FILE` carries
 * the seeded ids (too many for an environment variable).
 */
import Fastify from "fastify";
import { readFileSync } from "node:fs";
import pg from "pg";
import type { BenchData } from "./seed.js";
import { SCENARIOS } from "./scenarios/index.js";

const data = JSON.parse(readFileSync(process.env.BENCH_DATA_FILE!, "utf8")) as BenchData;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const app = Fastify({ logger: false });
app.get("/health", async () => ({ ok: true }));
for (const scenario of SCENARIOS) scenario.baseline(app, pool, data);
await app.listen({ port: Number(process.env.PORT), host: "127.0.0.1" });

const stop = () => {
  app
    .close()
    .then(() => pool.end())
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
