/**
 * `npm run chaos` (docs/operations.md, "Crashes and restarts"): runs the server as users do (its own
 * DATA_DIR in a temporary directory, the embedded PostgreSQL, the offline payments simulator), drives
 * a bounded mixed load — catalogue reads, checkouts (a contract of a product, settled), refreshes of
 * contracts — and meanwhile kills (SIGKILL) the API, then the API with its database, then the
 * database alone, restarting the API as a supervisor would. Then it checks the books through the
 * API and prints its figures; exit code 1 when a check fails.
 *
 *   npm run chaos -- [--seconds 8] [--workers 6] [--short]
 *
 * `--seconds`: load before each kill and after the last recovery. `--short`: one kill of the API
 * only (what the test suite runs). The checks: every paid contract charged once per buyer and paid
 * out once per seller; Σ incoming = Σ outgoing + Σ fees; no charge without a paid contract; no
 * product sold beyond its stock; no 5xx outside the outages; every restart ready on the first try;
 * the killed API's PostgreSQL stopped with it (its watchdog) rather than left to the next API;
 * nothing `processing` 5 s after the last recovery.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { makeScratchDir } from "../src/db/embedded.js";
import { freePort } from "./lib/scratch-postgres.js";

const { values: args } = parseArgs({
  options: { seconds: { type: "string", default: "8" }, workers: { type: "string", default: "6" }, short: { type: "boolean", default: false } },
  strict: true,
});
const SECONDS = Number(args.seconds);
const WORKERS = Number(args.workers);
const STOCK = 15;
const ROOT = path.resolve(import.meta.dirname, "..");
const say = (line: string) => process.stdout.write(`[chaos] ${line}\n`);

// biome-ignore lint/suspicious/noExplicitAny: answers of the API, read field by field
type Json = Record<string, any>;

const dataDir = await makeScratchDir("candle-chaos-");
const [port, pgPort] = [await freePort(), await freePort()];
const base = `http://127.0.0.1:${port}`;
let server: ChildProcess | undefined;
let output = "";
let apiKey = "";
const problems: string[] = [];
/** Periods in which errors are expected: from a kill until the API is ready again. */
const outages: { from: number; to: number }[] = [];
let restarts = 0;
let restartsOnFirstTry = 0;
const counts = { requests: 0, ok: 0, clientErrors: 0, outageFailures: 0, checkouts: 0, settled: 0 };

function startServer(): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(pgPort),
      NODE_ID: "chaos-node",
      LOG_LEVEL: "info",
      LOG_FORMAT: "json",
      RATE_LIMIT_MAX: "1000000",
      RATE_LIMIT_IP_MAX: "1000000",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server = child;
  const onData = (chunk: Buffer) => (output += chunk.toString());
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  return new Promise((resolve, reject) => {
    const end = Date.now() + 180_000;
    const poll = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`the server exited while starting:\n${output.slice(-3000)}`));
      try {
        if ((await fetch(`${base}/ready`)).ok) return resolve();
      } catch {
        // not listening yet
      }
      if (Date.now() > end) return reject(new Error("the server was not ready within 180 s"));
      setTimeout(poll, 200);
    };
    void poll();
  });
}

/** A restart as a supervisor does it: one start, which must come up. */
async function restart(): Promise<void> {
  restarts += 1;
  try {
    await startServer();
    restartsOnFirstTry += 1;
  } catch (err) {
    problems.push(`restart ${restarts} did not come up on the first try: ${(err as Error).message.slice(0, 500)}`);
    await startServer();
  }
}

/** The embedded PostgreSQL's PID; throws unless it is a real one (kill(0) would signal our whole process group). */
function postmasterPid(): number {
  const pid = Number(readFileSync(path.join(dataDir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`no PostgreSQL PID in ${dataDir}/pg/postmaster.pid`);
  return pid;
}

async function api(method: string, url: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}

/** A call that must succeed. A node answering 503 `server_busy` (more at once than it takes) is asked again after its `Retry-After`, as a client should. */
async function must(method: string, url: string, body?: unknown): Promise<Json> {
  let res = await api(method, url, body);
  for (let tries = 1; res.status === 503 && res.json.error?.code === "server_busy" && tries < 10; tries++) {
    await new Promise((r) => setTimeout(r, 1_000));
    res = await api(method, url, body);
  }
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
  return res.json;
}

/** Every page of a list. */
async function all(url: string): Promise<Json[]> {
  const out: Json[] = [];
  for (let page = 1; ; page++) {
    const res = await must("GET", `${url}${url.includes("?") ? "&" : "?"}per_page=100&page=${page}`);
    out.push(...(res.data as Json[]));
    if ((res.data as Json[]).length < 100) return out;
  }
}

// Should the script itself fail, nothing it started outlives it (the data directory stays, for a look).
process.on("exit", () => {
  if (server && server.exitCode === null && server.signalCode === null) server.kill("SIGKILL");
  try {
    process.kill(postmasterPid(), "SIGINT");
  } catch {
    // not running, or already removed
  }
});

// ── the world: a seller with products, buyers with cards ──
say(`data in ${dataDir}; API on ${base}, PostgreSQL on 127.0.0.1:${pgPort}`);
await startServer();
apiKey = /API key \(shown once\): (\S+)/.exec(output)?.[1] ?? "";
if (!apiKey) throw new Error(`no demo API key printed:\n${output}`);
const seller = await must("POST", "/v1/users", { email: "seller@chaos.test", name: "Seller" });
const link = new URL((await must("POST", `/v1/users/${seller.id}/bank_account`, { return_url: "https://shop.test/payouts" })).url as string);
await fetch(`${base}${link.pathname}${link.search}`, { redirect: "manual" });
const buyers: string[] = [];
for (let i = 0; i < 8; i++) {
  const buyer = await must("POST", "/v1/users", { email: `buyer${i}@chaos.test`, name: `Buyer ${i}` });
  await must("POST", `/v1/users/${buyer.id}/payment_methods`, { payment_method: "pm_card_visa" });
  buyers.push(buyer.id as string);
}
const products: string[] = [];
for (let i = 0; i < 6; i++) products.push((await must("POST", "/v1/products", { name: `Chaos product ${i}`, price: 1000 + 100 * i, quantity: STOCK, user_id: seller.id })).id);
const contracts = new Set<string>();

// ── the load ──
const pick = <T>(list: T[]) => list[Math.floor(Math.random() * list.length)]!;
let loading = false;
const inOutage = (at: number) => outages.some((o) => at >= o.from - 100 && at <= o.to + 100);

async function one(): Promise<void> {
  const at = Date.now();
  const kind = Math.random();
  counts.requests += 1;
  try {
    let res: { status: number; json: Json };
    if (kind < 0.5) res = await api("GET", "/v1/products?per_page=20");
    else if (kind < 0.8 || contracts.size === 0) {
      res = await api("POST", "/v1/contracts", { items: [{ product_id: pick(products) }], buyers: [{ user_id: pick(buyers) }] });
      if (res.status === 201) {
        counts.checkouts += 1;
        contracts.add(res.json.id);
        res = await api("PUT", `/v1/contracts/${res.json.id}/settle`);
        if (res.status === 200) counts.settled += 1;
      }
    } else res = await api("GET", `/v1/contracts/${pick([...contracts])}`);
    if (res.status < 300) counts.ok += 1;
    else if (res.status < 500) counts.clientErrors += 1;
    else if (inOutage(at) || inOutage(Date.now())) counts.outageFailures += 1;
    else problems.push(`${res.status} outside the outages: ${JSON.stringify(res.json).slice(0, 300)}`);
  } catch (err) {
    if (inOutage(at) || inOutage(Date.now())) counts.outageFailures += 1;
    else problems.push(`request failed outside the outages: ${(err as Error).message}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function loadFor(seconds: number): Promise<void> {
  loading = true;
  const end = Date.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      while (loading && Date.now() < end) await one();
    }),
  );
}

/** Load for a while, then `kill` under that load, then restart as a supervisor would. */
async function phase(name: string, kill: () => void | Promise<void>, restartApi: boolean): Promise<void> {
  const load = loadFor(SECONDS * 2);
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const outage = { from: Date.now(), to: Number.POSITIVE_INFINITY };
  outages.push(outage);
  say(`${name}`);
  await kill();
  if (restartApi) {
    await new Promise<void>((resolve) => (server!.exitCode !== null || server!.signalCode !== null ? resolve() : server!.once("exit", () => resolve())));
    await restart();
  } else {
    // The database alone: the API's watchdog starts it again; the API itself keeps running.
    const end = Date.now() + 120_000;
    while (
      !(await fetch(`${base}/ready`)
        .then((r) => r.ok)
        .catch(() => false))
    ) {
      if (server!.exitCode !== null || server!.signalCode !== null) throw new Error(`the API exited while its database was down:\n${output.slice(-4000)}`);
      if (Date.now() > end) throw new Error(`the API did not get its database back within 120 s:\n${output.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  outage.to = Date.now();
  say(`  recovered in ${((outage.to - outage.from) / 1000).toFixed(1)} s`);
  await load;
}

const started = Date.now();
const firstPostmaster = postmasterPid();
await phase(
  "kill -9 the API",
  () => {
    server!.kill("SIGKILL");
  },
  true,
);
// The killed API's PostgreSQL is stopped by its watchdog, and the new API starts (and watches) its own.
if (postmasterPid() === firstPostmaster) problems.push("the PostgreSQL of the killed API outlived it: the restarted API connected to an orphan");
if (!args.short) {
  await phase(
    "kill -9 the API and its PostgreSQL",
    () => {
      const pid = postmasterPid();
      server!.kill("SIGKILL");
      process.kill(pid, "SIGKILL");
    },
    true,
  );
  await phase(
    "kill -9 PostgreSQL alone",
    () => {
      process.kill(postmasterPid(), "SIGKILL");
    },
    false,
  );
}
const recovered = Date.now();
await loadFor(Math.min(SECONDS, 3));

// ── the books, through the API ──
await new Promise((r) => setTimeout(r, Math.max(0, recovered + 5_000 - Date.now())));
const views = await Promise.all([...contracts].map(async (id) => (await must("GET", `/v1/contracts/${id}`)) as Json));
const processing = views.filter((c) => c.status === "processing");
if (processing.length) {
  problems.push(`${processing.length} contract(s) still processing 5 s after recovery: ${processing.map((c) => c.id).join(", ")}`);
  // How late, and what the API said of them: what a fix needs to know.
  for (const c of processing) {
    let status = "processing";
    while (status === "processing" && Date.now() - recovered < 120_000) {
      await new Promise((r) => setTimeout(r, 250));
      status = ((await must("GET", `/v1/contracts/${c.id}`)) as Json).status;
    }
    say(`  ${c.id}: ${status} ${((Date.now() - recovered) / 1000).toFixed(1)} s after recovery`);
    for (const line of output.split("\n").filter((l) => l.includes(c.id as string))) say(`    ${line.slice(0, 600)}`);
  }
}
const transactions = await all("/v1/transactions?sort=created");
const byContract = new Map<string, Json[]>();
for (const t of transactions) if (t.contract_id) byContract.set(t.contract_id, [...(byContract.get(t.contract_id) ?? []), t]);
let paid = 0;
for (const c of views) {
  const txs = byContract.get(c.id) ?? [];
  const sum = (type: string) => txs.filter((t) => t.type === type).reduce((s, t) => s + t.amount, 0);
  const incoming = txs.filter((t) => t.type === "incoming");
  if (c.status !== "paid") {
    if (incoming.length && c.status !== "processing") problems.push(`${c.id} is ${c.status} but was charged`);
    continue;
  }
  paid += 1;
  for (const b of c.buyers as Json[]) {
    const charges = incoming.filter((t) => t.buyer_user_id === b.user_id);
    if (charges.length !== 1 || charges[0]!.amount !== b.amountDue) problems.push(`${c.id}: buyer ${b.user_id} charged ${charges.length} time(s)`);
  }
  for (const s of (c.sellers as Json[]).filter((x) => x.amountOwed > 0)) {
    const payouts = txs.filter((t) => t.type === "outgoing" && t.seller_user_id === s.user_id);
    if (payouts.length !== 1 || payouts[0]!.amount !== s.amountOwed) problems.push(`${c.id}: seller ${s.user_id} paid out ${payouts.length} time(s)`);
  }
  const fees = sum("fee:stripe") + sum("fee:candle") + sum("fee:platform");
  if (sum("incoming") !== sum("outgoing") + fees) problems.push(`${c.id}: Σ in ${sum("incoming")} ≠ Σ out ${sum("outgoing")} + fees ${fees}`);
}
for (const id of byContract.keys()) if (!contracts.has(id)) problems.push(`a transaction names ${id}, a contract this run did not make`);
for (const id of products) {
  const sold = views
    .filter((c) => c.status !== "void")
    .flatMap((c) => c.items as Json[])
    .filter((i) => i.product_id === id)
    .reduce((s, i) => s + i.quantity, 0);
  const product = await must("GET", `/v1/products/${id}`);
  if (sold > STOCK || (product.quantity ?? 0) < 0) problems.push(`${id}: ${sold} sold of ${STOCK} in stock (now ${product.quantity})`);
}

// The API stops the server it started; should one be left running all the same, it is stopped too (SIGINT, a fast shutdown).
const postmaster = postmasterPid();
server?.kill("SIGTERM");
await new Promise((r) => server?.once("exit", r));
try {
  process.kill(postmaster, "SIGINT");
  while (true) {
    process.kill(postmaster, 0);
    await new Promise((r) => setTimeout(r, 100));
  }
} catch {
  // gone
}
await fs.rm(dataDir, { recursive: true, force: true });

say(
  `${((Date.now() - started) / 1000).toFixed(0)} s: ${counts.requests} requests (${counts.ok} ok, ${counts.clientErrors} 4xx, ${counts.outageFailures} failed during the outages); ` +
    `${counts.checkouts} contracts, ${paid} paid; ${restartsOnFirstTry}/${restarts} restarts on the first try; outages ${outages.map((o) => `${((o.to - o.from) / 1000).toFixed(1)} s`).join(", ")}`,
);
if (problems.length) {
  for (const p of problems.slice(0, 30)) say(`PROBLEM: ${p}`);
  process.exitCode = 1;
} else say("the books hold: each paid contract charged once and paid out once, Σ in = Σ out + fees, nothing oversold, nothing processing");
