/**
 * `npm run bench` (docs/benchmarks.md): seeds the data set, starts the API (built JavaScript, as in
 * production) and a bare Fastify + pg baseline as separate processes, drives each with autocannon
 * from a third process, samples the API's memory, and prints one table.
 *
 *   npm run bench -- [--duration 20] [--connections 50] [--rounds 1] [--scenario list-products] [--write]
 *                    [--contracts 20000] [--carts <per server>] [--shoppers 200] [--transactions 1000000]
 *
 * `--scenario analytics` selects every `analytics-…` scenario; the transactions they read (1 000 000
 * by default, ~2.5 min to seed on 2 cores) are seeded only when one of them runs.
 *
 * The API gets NODE_OPTIONS=--max-old-space-size=256 like the production image (BENCH_NODE_OPTIONS
 * overrides it). Database: BENCH_DATABASE_URL when set (it is migrated and seeded, and must be a database you can
 * throw away), otherwise an embedded PostgreSQL in a scratch directory, removed afterwards.
 * `--write` also writes the table to bench/RESULTS.md with the machine and the date.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { freePort, startScratchPostgres, type ScratchPostgres } from "../scripts/lib/scratch-postgres.js";
import { makeScratchDir } from "../src/db/embedded.js";
import { migrate } from "../src/db/migrator.js";
import { createTokenService } from "../src/modules/auth/tokens.js";
import type { LoadConfig, LoadResult } from "./load.js";
import { SCENARIOS, scenariosByName } from "./scenarios/index.js";
import type { RequestSpec, Scenario, Target } from "./scenarios/scenario.js";
import { seedTransactions } from "./seed-transactions.js";
import { seed, SEED_VERSION, type BenchData } from "./seed.js";

const ROOT = path.resolve(import.meta.dirname, "..");
/** Every scenario's budget unless it sets its own p99 (the analytics: 200 ms). */
const BUDGET = { p99Ms: 50, rssMb: 300 };
/** The API's JWT secret in the bench: shoppers' tokens are signed with it. */
const JWT_SECRET = "bench-secret-bench-secret-bench-secret-0123";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "20" },
    connections: { type: "string", default: "50" },
    rounds: { type: "string", default: "1" },
    warmup: { type: "string", default: "5" },
    scenario: { type: "string", multiple: true },
    products: { type: "string", default: "100000" },
    sellers: { type: "string", default: "1000" },
    contracts: { type: "string", default: "20000" },
    carts: { type: "string" },
    shoppers: { type: "string", default: "200" },
    transactions: { type: "string", default: "1000000" },
    write: { type: "boolean", default: false },
  },
});
const duration = Number(args.duration);
const connections = Number(args.connections);
const rounds = Number(args.rounds);
const warmup = Number(args.warmup);
const scenarios = args.scenario?.length ? [...new Set(args.scenario.flatMap(scenariosByName))] : SCENARIOS;
const needs = (what: "contracts" | "carts" | "shoppers" | "transactions") => scenarios.some((s) => s.needs?.[what]);
// Each cart is turned into a contract once: enough for ~800 contracts/s per server for the whole run.
const cartsPerServer = args.carts !== undefined ? Number(args.carts) : Math.ceil(800 * (warmup + rounds * duration)) + 100;

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

function run(command: string, argv: string[], options: { env?: Record<string, string>; capture?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", options.capture ? "pipe" : "inherit", "inherit"] });
    let out = "";
    child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${argv.join(" ")} exited with ${code}`))));
  });
}

/** Starts a server process; its output goes to bench/.results/<name>.log. */
async function start(name: string, argv: string[], env: Record<string, string>): Promise<ChildProcess> {
  await fs.mkdir(path.join(ROOT, "bench/.results"), { recursive: true });
  const out = await fs.open(path.join(ROOT, `bench/.results/${name}.log`), "w");
  const child = spawn(process.execPath, argv, { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env }, stdio: ["ignore", out.fd, out.fd] });
  cleanups.push(() => out.close());
  child.once("exit", (code, signal) => {
    if (!stopping) log(`${name} exited (${code ?? signal})`);
  });
  children.push(child);
  return child;
}

async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the process behind ${url} exited before answering`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/** Resident memory of a process, in MB (Linux /proc). */
function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function send(base: string, spec: RequestSpec): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${spec.path}`, { method: spec.method, headers: spec.headers, body: spec.body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** What one server is asked: its requests and, for a pool, where the next run starts. */
interface Work {
  requests: RequestSpec[];
  consumable: boolean;
  cursor: number;
}

async function load(base: string, work: Work, seconds: number): Promise<LoadResult> {
  const config: LoadConfig = { url: base, connections, duration: seconds, requests: work.requests, offset: work.cursor, consumable: work.consumable };
  await fs.mkdir(path.join(ROOT, "bench/.results"), { recursive: true });
  const file = path.join(ROOT, "bench/.results/load-config.json");
  await fs.writeFile(file, JSON.stringify(config));
  const out = await run(process.execPath, ["--import", "tsx", "bench/load.ts", file], { capture: true });
  const result = JSON.parse(out) as LoadResult;
  work.cursor += result.issued;
  if (result.exhausted) log(`the pool of ${work.requests.length} requests ran out after ${result.seconds.toFixed(1)} s: the rate is over that time (raise --carts)`);
  return result;
}

type Measured = LoadResult & { rssMb: number; cpuMsPerRequest: number };

async function measure(target: Target, base: string, work: Work, pid: number): Promise<Measured> {
  let peak = rssMb(pid);
  const cpuBefore = cpuMs(pid);
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process is gone; the load result will say so
    }
  }, 250);
  try {
    const result = await load(base, work, duration);
    if (result.non2xx > 0 || result.errors > 0) log(`${target}: ${result.non2xx} non-2xx answers, ${result.errors} errors (see bench/.results/${target}.log)`);
    return { ...result, rssMb: peak, cpuMsPerRequest: (cpuMs(pid) - cpuBefore) / Math.max(1, result.total) };
  } finally {
    clearInterval(sampler);
  }
}

/** CPU time a process has used so far (user + system), in ms: the noise-resistant cost of its work. */
function cpuMs(pid: number): number {
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

let stopping = false;
async function shutdown(): Promise<void> {
  stopping = true;
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once("exit", r)) : undefined)));
  for (const cleanup of cleanups.reverse()) await cleanup().catch((err) => log(`cleanup failed: ${err}`));
}

/**
 * The role the API connects as on the scratch server: the database's owner, neither superuser nor
 * BYPASSRLS — the setup docs/tenancy.md asks of an external DATABASE_URL — so the tenant policies
 * apply to it as in production. Seeding and the baseline keep the superuser.
 */
const API_OWNER = "candle_bench_owner";

async function ownedByApiRole(adminUrl: string, url: string): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${API_OWNER} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${API_OWNER}'`).catch((err: { code?: string }) => {
      if (err.code !== "42710") throw err;
    });
    await admin.query(`ALTER DATABASE ${admin.escapeIdentifier(new URL(url).pathname.slice(1))} OWNER TO ${API_OWNER}`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`ALTER SCHEMA public OWNER TO ${API_OWNER}`).finally(() => client.end());
  const owner = new URL(url);
  owner.username = API_OWNER;
  owner.password = API_OWNER;
  return owner.toString();
}

async function prepareDatabase(): Promise<{ url: string; apiUrl: string; data: BenchData }> {
  let url = process.env.BENCH_DATABASE_URL;
  let apiUrl = url;
  if (!url) {
    log("starting an embedded PostgreSQL");
    const scratch: ScratchPostgres = await startScratchPostgres();
    cleanups.push(() => scratch.stop());
    url = await scratch.createDatabase("candle_bench");
    apiUrl = await ownedByApiRole(scratch.handle.adminUrl, url);
  }
  await migrate({ connectionString: apiUrl! });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const existing = await client.query<{ id: string }>(`SELECT id FROM platforms WHERE name = 'Bench Marketplace' AND description = $1`, [`seed ${SEED_VERSION}`]);
  await client.end();
  if (existing.rowCount) {
    throw new Error(`${url} already holds a bench data set: point BENCH_DATABASE_URL at an empty database (the API key is only known when seeding).`);
  }
  const started = Date.now();
  const data = await seed(url, {
    products: Number(args.products),
    sellers: Number(args.sellers),
    seed: 42,
    contracts: needs("contracts") ? Number(args.contracts) : 0,
    carts: needs("carts") ? cartsPerServer : 0,
    shoppers: needs("shoppers") ? Number(args.shoppers) : 0,
  });
  log(
    `seeded ${data.products} products over ${data.sellers.length} sellers, ${needs("contracts") ? args.contracts : 0} contracts, ` +
      `${data.carts.api.length} + ${data.carts.baseline.length} filled carts, ${data.shoppers.api.length} + ${data.shoppers.baseline.length} shoppers ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  if (needs("transactions")) {
    log(`seeding ${Number(args.transactions)} transactions for the analytics (about 2.5 min per million on 2 idle cores)`);
    const result = await seedTransactions(url, { platformId: data.platformId, mode: "test", transactions: Number(args.transactions) });
    data.analytics = { transactions: result.transactions, ...(await analyticsUsers(url, data.platformId)) };
    log(
      `seeded ${result.transactions} transactions (${result.contracts} paid contracts, ${result.subscriptions} subscriptions, ${result.users} users) ` +
        `in ${(result.milliseconds / 1000).toFixed(1)} s`,
    );
  }
  // The API's shoppers sign in as a browser would: with an access token of the API's secret.
  // Each token belongs to a session (a refresh-token family), as after a sign-in: the API checks it is live.
  const tokens = createTokenService({ secret: JWT_SECRET, accessTokenTtl: 86_400 });
  const sessions = new pg.Client({ connectionString: url });
  await sessions.connect();
  data.tokens = {};
  for (const id of data.shoppers.api) {
    const familyId = `rt_bench_${id}`;
    await sessions.query(
      `INSERT INTO refresh_tokens (id, platform_id, mode, user_id, family_id, token_hash, expires)
       VALUES ($1, $2, 'test', $3, $1, $4, now() + interval '30 days') ON CONFLICT (token_hash) DO NOTHING`,
      [familyId, data.platformId, id, `bench-${id}`],
    );
    data.tokens[id] = tokens.signAccess({ userId: id, platformId: data.platformId, mode: "test", role: "member", sessionId: familyId }).token;
  }
  await sessions.end();
  return { url, apiUrl: apiUrl!, data };
}

/** 100 sellers and 100 buyers with transactions, in a scattered but repeatable order: the users the analytics ask about. */
async function analyticsUsers(url: string, platformId: string): Promise<{ sellers: string[]; buyers: string[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const sample = async (column: "seller_user_id" | "buyer_user_id", type: string) =>
      (
        await client.query<{ id: string }>(
          `SELECT ${column} AS id FROM transactions WHERE platform_id = $1 AND mode = 'test' AND type = $2 AND status = 'succeeded' AND ${column} IS NOT NULL
           GROUP BY 1 ORDER BY md5(${column}) LIMIT 100`,
          [platformId, type],
        )
      ).rows.map((r) => r.id);
    return { sellers: await sample("seller_user_id", "outgoing"), buyers: await sample("buyer_user_id", "incoming") };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const { url, apiUrl, data } = await prepareDatabase();

  log("building (npm run build): the API runs as compiled JavaScript, like the production image");
  await run(process.execPath, [path.join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"]);

  const dataDir = await makeScratchDir("candle-bench-");
  cleanups.push(() => fs.rm(dataDir, { recursive: true, force: true }));
  const [apiPort, basePort] = [await freePort(), await freePort()];
  const api = await start("api", ["dist/src/server.js"], {
    DATABASE_URL: apiUrl,
    PORT: String(apiPort),
    HOST: "127.0.0.1",
    LOG_LEVEL: "warn",
    DATA_DIR: dataDir,
    JWT_SECRET,
    SEED_DEMO_PLATFORM: "false",
    // The bench measures throughput, not the limiter: one key sends everything.
    RATE_LIMIT_MAX: "10000000",
    RATE_LIMIT_IP_MAX: "10000000",
    // As the production image runs it (Dockerfile).
    NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS ?? "--max-old-space-size=256",
  });
  const dataFile = path.join(ROOT, "bench/.results/bench-data.json");
  await fs.mkdir(path.dirname(dataFile), { recursive: true });
  await fs.writeFile(dataFile, JSON.stringify(data));
  const baseline = await start("baseline", ["--import", "tsx", "bench/baseline.ts"], { DATABASE_URL: url, PORT: String(basePort), BENCH_DATA_FILE: dataFile });
  const bases: Record<Target, string> = { api: `http://127.0.0.1:${apiPort}`, baseline: `http://127.0.0.1:${basePort}` };
  await Promise.all([waitForHttp(`${bases.api}/ready`, api), waitForHttp(`${bases.baseline}/health`, baseline)]);
  const pids: Record<Target, number> = { api: api.pid!, baseline: baseline.pid! };
  log(`api on ${bases.api} (pid ${api.pid}), baseline on ${bases.baseline} (pid ${baseline.pid}); RSS at rest ${rssMb(api.pid!).toFixed(0)} MB`);

  const loadBefore = os.loadavg()[0]!;
  const rows: { scenario: Scenario; result: Record<Target, Measured> }[] = [];
  for (const scenario of scenarios) {
    const specs = { api: scenario.request(data, "api"), baseline: scenario.request(data, "baseline") };
    const answers = { api: await send(bases.api, specs.api), baseline: await send(bases.baseline, specs.baseline) };
    if (answers.baseline.status >= 300) throw new Error(`${scenario.name}: the baseline answered ${answers.baseline.status}: ${JSON.stringify(answers.baseline.body)}`);
    // A pool starts with the request just checked: a consumable one must not hand it out again.
    const work = (target: Target): Work =>
      scenario.pool ? { requests: scenario.pool(data, target), consumable: scenario.consumable ?? false, cursor: 1 } : { requests: [specs[target]], consumable: false, cursor: 0 };
    const works = { api: work("api"), baseline: work("baseline") };
    if (answers.api.status >= 300) throw new Error(`${scenario.name}: the API answered ${answers.api.status}: ${JSON.stringify(answers.api.body)}`);
    const same = scenario.sameAnswer ? scenario.sameAnswer(answers.api.body, answers.baseline.body) : deepEqual(answers.api.body, answers.baseline.body);
    if (!same) {
      await fs.mkdir(path.join(ROOT, "bench/.results"), { recursive: true });
      await fs.writeFile(path.join(ROOT, "bench/.results/mismatch.json"), JSON.stringify(answers, null, 2));
      throw new Error(`${scenario.name}: the API and the baseline answer differently (see bench/.results/mismatch.json)`);
    }
    log(`${scenario.name}: answers match; warming up ${warmup} s each`);
    for (const target of ["baseline", "api"] as const) await load(bases[target], works[target], warmup);

    const runs: Record<Target, Measured[]> = { api: [], baseline: [] };
    for (let round = 0; round < rounds; round += 1) {
      for (const target of ["baseline", "api"] as const) {
        log(`${scenario.name}: ${target}, ${connections} connections, ${duration} s (round ${round + 1}/${rounds})`);
        runs[target].push(await measure(target, bases[target], works[target], pids[target]));
      }
    }
    const pick = (target: Target) => {
      const rps = median(runs[target].map((r) => r.requestsPerSecond));
      const chosen = runs[target].find((r) => r.requestsPerSecond === rps)!;
      return { ...chosen, rssMb: Math.max(...runs[target].map((r) => r.rssMb)) };
    };
    rows.push({ scenario, result: { api: pick("api"), baseline: pick("baseline") } });
  }

  const table = [
    "| scenario | server | req/s | p50 (ms) | p99 (ms) | ratio to baseline | server RSS (MB) | server CPU per request (ms) | budget |",
    "|---|---|---:|---:|---:|---:|---:|---:|---|",
  ];
  let allMet = true;
  for (const { scenario, result } of rows) {
    const ratio = result.api.requestsPerSecond / result.baseline.requestsPerSecond;
    const p99Ms = scenario.p99Ms ?? BUDGET.p99Ms;
    // What applies to this scenario (the ratio only to reads), then what was missed.
    const budget = [scenario.kind === "read" ? `≥ ${scenario.minRatio}×` : "", `p99 < ${p99Ms} ms`, `RSS < ${BUDGET.rssMb} MB`].filter(Boolean).join(", ");
    const misses = [
      scenario.kind === "read" && ratio < scenario.minRatio ? "ratio" : "",
      result.api.p99 >= p99Ms ? "p99" : "",
      result.api.rssMb >= BUDGET.rssMb ? "RSS" : "",
      result.api.non2xx + result.api.errors > 0 ? "errors" : "",
    ].filter(Boolean);
    allMet &&= misses.length === 0;
    const fmt = (r: Measured) => [r.requestsPerSecond.toFixed(0), String(r.p50), String(r.p99)];
    table.push(`| ${scenario.name} | baseline (Fastify + pg) | ${fmt(result.baseline).join(" | ")} | 1.00 | ${result.baseline.rssMb.toFixed(0)} | ${result.baseline.cpuMsPerRequest.toFixed(2)} | |`);
    table.push(
      `| ${scenario.name} | API | ${fmt(result.api).join(" | ")} | ${ratio.toFixed(2)} | ${result.api.rssMb.toFixed(0)} | ${result.api.cpuMsPerRequest.toFixed(2)} | ${budget}: ${misses.length ? `missed ${misses.join(", ")}` : "met"} |`,
    );
  }
  const pgVersion = await (async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows: v } = await client.query<{ server_version: string }>("SHOW server_version");
    await client.end();
    return v[0]!.server_version;
  })();
  const cpu = os.cpus();
  const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? "CPU"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, ${os.type()} ${os.release()}; Node ${process.version}; PostgreSQL ${pgVersion}${process.env.BENCH_DATABASE_URL ? "" : " (embedded)"}`;
  const settings = `${connections} connections, ${duration} s per run after a ${warmup} s warm-up, ${rounds} round(s) (median); ${data.products} products over ${data.sellers.length} sellers${data.analytics ? `; ${data.analytics.transactions} transactions` : ""}`;
  const loadNote = `load average ${loadBefore.toFixed(1)} when measuring began, ${os.loadavg()[0]!.toFixed(1)} at the end (${cpu.length} cores; everything else running on the machine counts)`;
  const report = `${table.join("\n")}\n\nMachine: ${machine}\nRun: ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${settings}; ${loadNote}\n`;
  process.stdout.write(`\n${report}\n`);
  await fs.mkdir(path.join(ROOT, "bench/.results"), { recursive: true });
  await fs.writeFile(path.join(ROOT, `bench/.results/${new Date().toISOString().replace(/[:.]/g, "-")}.md`), report);
  if (args.write) await writeResults(report);
  if (!allMet) process.exitCode = 1;
}

/** Replaces the generated part of bench/RESULTS.md, keeping the notes written around it. */
async function writeResults(report: string): Promise<void> {
  const file = path.join(ROOT, "bench/RESULTS.md");
  const [open, close] = ["<!-- results:start -->", "<!-- results:end -->"];
  const current = await fs.readFile(file, "utf8").catch(() => `# Benchmark results\n\n${open}\n${close}\n`);
  const at = current.indexOf(open);
  const end = current.indexOf(close);
  const next = at >= 0 && end > at ? `${current.slice(0, at + open.length)}\n${report}${current.slice(end)}` : `${current}\n${open}\n${report}${close}\n`;
  await fs.writeFile(file, next);
  log("wrote bench/RESULTS.md");
}

process.on("SIGINT", () => void shutdown().then(() => process.exit(130)));
main()
  .catch((err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exitCode = 1;
  })
  .finally(() => shutdown());
