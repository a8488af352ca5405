import type { Db } from "../../src/db/client.js";

/**
 * A fingerprint of every row of every table of the application's schema (Prisma's migration table
 * aside), and of the jobs queued: equal fingerprints before and after a request prove it changed
 * nothing. (`last_used` and `updated` of API keys are left out: authenticating refreshes them now
 * and then.) The analytics rollups and their deltas are left out too: they are derived from
 * `transactions` and `contracts` (which are in), and the compact-analytics job rewrites them at any
 * minute without anything changing. One statement, built once per database from its catalog.
 */
const DERIVED = ["transaction_flow_deltas", "transaction_flow_days", "transaction_flow_users", "contract_value_deltas", "contract_value_buckets"];
const statements = new WeakMap<Db, Promise<string>>();

async function digestStatement(db: Db): Promise<string> {
  const tables = await db.$queryRaw<{ name: string }[]>`
    SELECT table_name::text AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
    ORDER BY table_name`;
  const parts = tables
    .filter(({ name }) => !DERIVED.includes(name))
    .map(({ name }) => {
      const ignored = name === "api_keys" ? "ARRAY['last_used', 'updated']" : "'last_used'";
      return `SELECT '${name}'::text AS name, (SELECT count(*) || ':' || coalesce(md5(string_agg(r, '|' ORDER BY r)), '')
      FROM (SELECT (to_jsonb(t) - ${ignored})::text AS r FROM "${name}" t) x) AS digest`;
    });
  parts.push(`SELECT 'graphile_worker.jobs', (SELECT count(*) || ':' || coalesce(md5(string_agg(r, '|' ORDER BY r)), '')
    FROM (SELECT task_id || ':' || coalesce(key, '') || ':' || coalesce(payload::text, '') AS r FROM graphile_worker._private_jobs) x)`);
  return parts.join("\nUNION ALL\n");
}

export async function databaseDigest(db: Db): Promise<Record<string, string>> {
  let statement = statements.get(db);
  if (!statement) {
    statement = digestStatement(db);
    statements.set(db, statement);
  }
  const rows = await db.$queryRawUnsafe<{ name: string; digest: string }[]>(await statement);
  return Object.fromEntries(rows.map((r) => [r.name, r.digest]));
}
