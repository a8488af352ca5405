/**
 * Seeds a platform with a realistic money history for the transactions analytics benchmark
 * (docs/benchmarks.md): users, paid contracts, the transactions their settlements wrote
 * (`incoming`, `outgoing`, `fee:*`, one settlement per contract, its transfer group), partial and
 * full refunds of 5 % of them (`…:refund`, balanced per settlement: the Stripe fee's share is
 * folded into the `fee:platform:refund`), and subscriptions for MRR/ARR — exactly
 * `--transactions` rows (the last few being declined charges, status `failed`).
 *
 *   npm run bench:seed -- --transactions 1000000 [--users 20000] [--seed 0.42] [--platform plat_…]
 *
 * Without `--platform` it creates a test platform and prints its API key (stdout is JSON). It uses
 * the server's database (DATABASE_URL, or the embedded one under DATA_DIR, even while the server
 * runs). Everything is generated inside PostgreSQL (`INSERT … SELECT generate_series`, one
 * transaction, then VACUUM ANALYZE): a million rows take about two and a half minutes on a
 * 2-core machine, most of it maintaining the table's indexes (the bench harness drops them for the
 * insert and builds them again: `rebuildIndexes`); `setseed` makes a run repeatable.
 *
 * `seedTransactions` is exported for the benchmark harness.
 */
import pg from "pg";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { z } from "zod";

export interface SeedOptions {
  platformId: string;
  mode: "test" | "live";
  /** Exactly this many `transactions` rows are added. */
  transactions: number;
  users?: number;
  /** For `setseed`: a number in [-1, 1]. */
  seed?: number;
  /** Told of each step as it ends (the CLI prints it on stderr). */
  progress?: (message: string) => void;
  /** The history spans this many days back from now. */
  days?: number;
  /**
   * Drops the secondary indexes of `transactions` and `contracts` before the insert and builds them
   * again after it, in the same transaction: one sort per index instead of millions of random
   * insertions into indexes larger than the cache (docs/benchmarks.md).
   * For the bench harness only, which seeds before the API starts: the two tables stay locked until
   * the commit, so a server running meanwhile would wait.
   */
  rebuildIndexes?: boolean;
}

export interface SeedResult {
  users: number;
  contracts: number;
  transactions: number;
  subscriptions: number;
  milliseconds: number;
}

/**
 * Rows a settlement writes: one `incoming`, one or two `outgoing`, three fees; a refunded one adds
 * an `incoming:refund`, one `outgoing:refund` per seller, and `fee:candle:refund` and
 * `fee:platform:refund` (the platform also absorbs the Stripe fee's share, as the API does).
 */
const SQL = {
  users: `
    INSERT INTO users (id, platform_id, mode, email, created, updated)
    SELECT 'user_' || md5($1 || ':user:' || g), $1, $2::"Mode", 'bench' || g || '-' || left(md5($1), 6) || '@example.com', now(), now()
    FROM generate_series(1, $3::int) g
    ON CONFLICT DO NOTHING`,
  memberships: `
    INSERT INTO memberships (id, platform_id, mode, user_id, role, created, updated)
    SELECT 'mem_' || md5($1 || ':mem:' || g), $1, $2::"Mode", 'user_' || md5($1 || ':user:' || g), 'member', now(), now()
    FROM generate_series(1, $3::int) g
    ON CONFLICT DO NOTHING`,
  // One row per settlement, with every random choice made once.
  settlements: `
    CREATE TEMP TABLE bench_settlements ON COMMIT DROP AS
    WITH raw AS (
      SELECT g AS n,
             1 + floor($2::int * 0.8 * power(random(), 2))::int AS buyer,
             1 + floor($2::int * 0.7 + random() * $2::int * 0.3)::int AS seller1,
             1 + floor($2::int * 0.7 + random() * $2::int * 0.3)::int AS seller2,
             random() < 0.3 AS two_sellers,
             CASE WHEN random() < 0.8 THEN 'usd' WHEN random() < 0.75 THEN 'eur' ELSE 'gbp' END AS currency,
             date_trunc('milliseconds', now() - random() * make_interval(days => $3::int)) AS created,
             500 + floor(power(random(), 3) * 200000)::int AS amount,
             random() AS refund_roll,
             random() AS refund_fraction
      FROM generate_series(1, $1::int) g
    ), fees AS (
      SELECT *, round(amount * 0.029)::int + 30 AS stripe_fee, round(amount * 0.01)::int AS candle_fee, round(amount * 0.025)::int AS platform_fee
      FROM raw
    ), parts AS (
      SELECT *, amount - stripe_fee - candle_fee - platform_fee AS payout,
             CASE WHEN refund_roll < 0.01 THEN amount WHEN refund_roll < 0.05 THEN greatest(1, floor(amount * refund_fraction)::int) ELSE 0 END AS refund
      FROM fees
    ), split AS (
      SELECT *, CASE WHEN two_sellers THEN floor(payout * 0.6)::int ELSE payout END AS out1,
                CASE WHEN two_sellers THEN payout - floor(payout * 0.6)::int ELSE 0 END AS out2
      FROM parts
    )
    SELECT *,
           CASE WHEN refund > 0 THEN floor(refund::numeric * out1 / amount)::int ELSE 0 END AS r_out1,
           CASE WHEN refund > 0 THEN floor(refund::numeric * out2 / amount)::int ELSE 0 END AS r_out2,
           CASE WHEN refund > 0 THEN floor(refund::numeric * candle_fee / amount)::int ELSE 0 END AS r_candle,
           -- 5 + 2 sellers + refund rows: how many transactions this settlement writes.
           4 + (CASE WHEN two_sellers THEN 2 ELSE 1 END) + (CASE WHEN refund > 0 THEN 3 + (CASE WHEN two_sellers THEN 2 ELSE 1 END) ELSE 0 END) AS rows
    FROM split`,
  // Keep the settlements whose rows fit in the target; the few rows left are declined charge attempts.
  trim: `
    DELETE FROM bench_settlements WHERE n IN (
      SELECT n FROM (SELECT n, sum(rows) OVER (ORDER BY n) AS running FROM bench_settlements) r WHERE running > $1::int)`,
  // Numbered here, after the platform's last order number: the deferred numbering trigger then has
  // nothing to do at COMMIT (left to it, 200 000 rows would each update the one counter row in a
  // single transaction, a version chain every next update walks: hours).
  contracts: `
    INSERT INTO contracts (id, platform_id, mode, user_id, sub_total, total, currency, status, sent, paid, created, updated, number)
    SELECT 'inv_' || md5($1 || ':inv:' || n), $1, $2::"Mode", 'user_' || md5($1 || ':user:' || buyer),
           payout, amount, currency, 'paid', created, created, created, created,
           (SELECT coalesce(max(c.number), 0) FROM contracts c WHERE c.platform_id = $1 AND c.mode = $2::"Mode") + row_number() OVER (ORDER BY created, n)
    FROM bench_settlements`,
  counter: `
    INSERT INTO contract_counters AS k (platform_id, mode, last_number)
    SELECT $1, $2::"Mode", coalesce(max(c.number), 0) FROM contracts c WHERE c.platform_id = $1 AND c.mode = $2::"Mode"
    ON CONFLICT (platform_id, mode) DO UPDATE SET last_number = EXCLUDED.last_number`,
  transactions: `
    INSERT INTO transactions (id, platform_id, mode, contract_id, buyer_user_id, seller_user_id, refund_of_id, transfer_group,
                              amount, amount_refunded, currency, stripe_charge_id, stripe_payment_intent_id, stripe_transfer_id,
                              type, status, idempotency_key, created, updated)
    SELECT 'tran_' || md5($1 || ':' || n || ':' || kind), $1, $2::"Mode", 'inv_' || md5($1 || ':inv:' || n),
           buyer_id, seller_id,
           CASE WHEN refund_of IS NULL THEN NULL ELSE 'tran_' || md5($1 || ':' || n || ':' || refund_of) END,
           'inv_' || md5($1 || ':inv:' || n),
           amt, refunded, currency, charge, intent, transfer, regexp_replace(kind, ':2$', '')::"TransactionType", 'succeeded', $1 || ':' || n || ':' || kind, at, at
    FROM (
      SELECT s.n, s.currency, m.*
      FROM bench_settlements s
      CROSS JOIN LATERAL (VALUES
        ('incoming', 'user_' || md5($1 || ':user:' || s.buyer), NULL, NULL, s.amount, s.refund, 'ch_' || md5('ch' || s.n), 'pi_' || md5('pi' || s.n), NULL, s.created),
        ('outgoing', NULL, 'user_' || md5($1 || ':user:' || s.seller1), NULL, s.out1, s.r_out1, NULL, NULL, 'tr_' || md5('tr1' || s.n), s.created),
        ('fee:stripe', NULL, NULL, NULL, s.stripe_fee, CASE WHEN s.refund > 0 THEN s.refund - s.r_out1 - s.r_out2 - s.r_candle - floor(s.refund::numeric * s.platform_fee / s.amount)::int ELSE 0 END, NULL, NULL, NULL, s.created),
        ('fee:candle', NULL, NULL, NULL, s.candle_fee, s.r_candle, NULL, NULL, NULL, s.created),
        ('fee:platform', NULL, NULL, NULL, s.platform_fee, floor(s.refund::numeric * s.platform_fee / greatest(s.amount, 1))::int, NULL, NULL, NULL, s.created)
      ) AS m(kind, buyer_id, seller_id, refund_of, amt, refunded, charge, intent, transfer, at)
      UNION ALL
      SELECT s.n, s.currency, 'outgoing:2', NULL, 'user_' || md5($1 || ':user:' || s.seller2), NULL, s.out2, s.r_out2, NULL, NULL, 'tr_' || md5('tr2' || s.n), s.created
      FROM bench_settlements s WHERE s.two_sellers
      UNION ALL
      SELECT s.n, s.currency, m.*
      FROM bench_settlements s
      CROSS JOIN LATERAL (SELECT s.created + make_interval(days => 1 + floor(s.refund_fraction * 20)::int) AS at) r
      CROSS JOIN LATERAL (VALUES
        ('incoming:refund', 'user_' || md5($1 || ':user:' || s.buyer), NULL, 'incoming', s.refund, 0, NULL, NULL, NULL, r.at),
        ('outgoing:refund', NULL, 'user_' || md5($1 || ':user:' || s.seller1), 'outgoing', s.r_out1, 0, NULL, NULL, NULL, r.at),
        ('fee:candle:refund', NULL, NULL, 'fee:candle', s.r_candle, 0, NULL, NULL, NULL, r.at),
        ('fee:platform:refund', NULL, NULL, 'fee:platform', s.refund - s.r_out1 - s.r_out2 - s.r_candle, 0, NULL, NULL, NULL, r.at)
      ) AS m(kind, buyer_id, seller_id, refund_of, amt, refunded, charge, intent, transfer, at)
      WHERE s.refund > 0
      UNION ALL
      SELECT s.n, s.currency, 'outgoing:refund:2', NULL, 'user_' || md5($1 || ':user:' || s.seller2), 'outgoing:2', s.r_out2, 0, NULL, NULL, NULL,
             s.created + make_interval(days => 1 + floor(s.refund_fraction * 20)::int)
      FROM bench_settlements s WHERE s.refund > 0 AND s.two_sellers
    ) rows (n, currency, kind, buyer_id, seller_id, refund_of, amt, refunded, charge, intent, transfer, at)`,
  declined: `
    INSERT INTO transactions (id, platform_id, mode, buyer_user_id, amount, currency, type, status, created, updated)
    SELECT 'tran_' || md5($1 || ':declined:' || g), $1, $2::"Mode", 'user_' || md5($1 || ':user:' || (1 + g % $4::int)),
           1000 + g, 'usd', 'incoming', 'failed', now() - make_interval(days => g % 700), now()
    FROM generate_series(1, $3::int) g`,
  subscriptions: `
    INSERT INTO subscriptions (id, platform_id, mode, user_id, contract_id, price, currency, is_active, is_paused, paused_at, cycle,
                               start_date, current_period_start, current_period_end, ended, created, updated)
    SELECT 'subs_' || md5($1 || ':subs:' || n), $1, $2::"Mode", 'user_' || md5($1 || ':user:' || buyer), 'inv_' || md5($1 || ':inv:' || n),
           amount, currency, NOT ended, paused, CASE WHEN paused THEN now() END, cycle::"Cycle", created, now(), now() + interval '1 day',
           CASE WHEN ended THEN now() END, created, created
    FROM (
      SELECT n, buyer, amount, currency, created,
             (ARRAY['hourly','daily','weekly','biweekly','monthly','monthly','monthly','yearly'])[1 + (n % 8)] AS cycle,
             n % 7 = 0 AS ended, n % 5 = 0 AS paused
      FROM bench_settlements WHERE n % 10 = 0
    ) s`,
};

/** Drops the tables' indexes other than their primary keys and constraints' own; returns the statements that build them again. */
async function dropSecondaryIndexes(client: pg.Client, tables: string[]): Promise<string[]> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
     FROM pg_index i
     WHERE i.indrelid = ANY($1::regclass[]) AND NOT i.indisprimary
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`,
    [tables],
  );
  for (const { name } of rows) await client.query(`DROP INDEX ${name}`);
  return rows.map((r) => r.definition);
}

export async function seedTransactions(connectionString: string, options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const users = options.users ?? 20_000;
  const days = options.days ?? 730;
  const progress = options.progress ?? (() => {});
  const step = (n: number, message: string) => progress(`[${n}/6] ${message} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    // Seeding writes one platform's rows directly: its tenant scope, for an owner role that row-level security applies to.
    await client.query("SELECT set_config('app.platform_id', $1, false), set_config('app.mode', $2, false)", [options.platformId, options.mode]);
    await client.query("BEGIN");
    await client.query("SELECT setseed($1)", [options.seed ?? 0.42]);
    const rebuilt = options.rebuildIndexes ? await dropSecondaryIndexes(client, ["transactions", "contracts"]) : [];
    const p = [options.platformId, options.mode];
    await client.query(SQL.users, [...p, users]);
    await client.query(SQL.memberships, [...p, users]);
    step(1, `${users} users`);
    // Settlements average about 5.5 rows; make more than needed and trim to the exact count.
    await client.query(SQL.settlements, [Math.ceil(options.transactions / 5) + 10, users, days]);
    await client.query(SQL.trim, [options.transactions]);
    step(2, "settlements planned");
    const contracts = (await client.query(SQL.contracts, p)).rowCount ?? 0;
    await client.query(SQL.counter, p);
    let written = (await client.query(SQL.transactions, p)).rowCount ?? 0;
    const missing = options.transactions - written;
    if (missing > 0) written += (await client.query(SQL.declined, [...p, missing, users])).rowCount ?? 0;
    step(3, `${contracts} contracts, ${written} transactions`);
    const subscriptions = (await client.query(SQL.subscriptions, p)).rowCount ?? 0;
    if (rebuilt.length) {
      // An index cannot be built on a table with trigger events pending (the deferred numbering of contracts): run them now.
      await client.query("SET CONSTRAINTS ALL IMMEDIATE");
      await client.query("SET LOCAL maintenance_work_mem = '512MB'");
      for (const definition of rebuilt) await client.query(definition);
      step(3, `${rebuilt.length} indexes built again`);
    }
    await client.query("COMMIT");
    step(4, `${subscriptions} subscriptions; committed`);
    // The triggers wrote what the rows add to the analytics as deltas; the API's compact-analytics
    // job would move them into the rollups within a minute.
    await client.query("SELECT analytics_compact()");
    step(5, "analytics compacted");
    // Fresh statistics and a visibility map, as a live database would have them.
    for (const table of [
      "transactions",
      "contracts",
      "subscriptions",
      "transaction_flow_days",
      "transaction_flow_users",
      "contract_value_buckets",
      "transaction_flow_deltas",
      "contract_value_deltas",
    ]) {
      await client.query(`VACUUM ANALYZE ${table}`);
    }
    step(6, "tables vacuumed and analyzed");
    return { users, contracts, transactions: written, subscriptions, milliseconds: Date.now() - started };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    await client.end();
  }
}

const argsSchema = z.object({
  transactions: z.coerce.number().int().min(1).max(50_000_000).default(1_000_000),
  users: z.coerce.number().int().min(10).max(10_000_000).default(20_000),
  seed: z.coerce.number().min(-1).max(1).default(0.42),
  platform: z
    .string()
    .regex(/^plat_[0-9a-f]{32}$/)
    .optional(),
});

const usage = `usage: npm run bench:seed -- [--transactions 1000000] [--users 20000] [--seed 0.42] [--platform plat_…]
Adds benchmark data — users, paid contracts with their transactions and refunds, subscriptions — to a
new test platform (its API key is printed) or to --platform, in the server's database (DATABASE_URL,
or the embedded one under DATA_DIR). Progress on stderr, the result as JSON on stdout.`;

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    return 0;
  }
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { transactions: { type: "string" }, users: { type: "string" }, seed: { type: "string" }, platform: { type: "string" } },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const args = argsSchema.safeParse(values);
  if (!args.success) {
    console.error(args.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("\n"));
    return 2;
  }
  const { loadConfig } = await import("../src/config.js");
  const { createLogger, startRuntime } = await import("../src/runtime.js");
  const { asSystem } = await import("../src/db/tenant.js");
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? "warn", JOBS_WORKER: "false", SEED_DEMO_PLATFORM: "false" });
  const runtime = await startRuntime(config, createLogger(config, { stderr: true }));
  try {
    let platform: { id: string; mode: "test" | "live" };
    let apiKey: string | undefined;
    if (args.data.platform) {
      platform = await asSystem(() => runtime.db.platform.findUniqueOrThrow({ where: { id: args.data.platform }, select: { id: true, mode: true } }));
    } else {
      const created = await asSystem(() => runtime.app.services.platforms.create({ name: "Bench Marketplace", mode: "test", feePercent: 2.5 }));
      platform = created.platform;
      apiKey = created.apiKey;
    }
    const result = await seedTransactions(runtime.database.url, {
      platformId: platform.id,
      mode: platform.mode,
      transactions: args.data.transactions,
      users: args.data.users,
      seed: args.data.seed,
      // Progress on stderr: stdout is the JSON answer.
      progress: (message) => console.error(message),
    });
    process.stdout.write(`${JSON.stringify({ platform_id: platform.id, ...(apiKey ? { api_key: apiKey } : {}), ...result }, null, 2)}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exit(await main());
