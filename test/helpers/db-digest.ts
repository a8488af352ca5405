import type { Db } from "../../src/db/client.js";

/**
 * A fingerprint of every row of every table of the application's schema (Prisma's migration table
 * aside), and of the jobs queued: equal fingerprints before and after a request prove it changed
 * nothing. (`last_used` and `updated` of API keys are left out: authenticating refreshes them now and then.)
 */
export async function databaseDigest(db: Db): Promise<Record<string, string>> {
  const tables = await db.$queryRaw<{ name: string }[]>`
    SELECT quote_ident(table_name) AS name FROM information_schema.tables
    WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> '_prisma_migrations'
    ORDER BY table_name`;
  const digest: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await db.$queryRawUnsafe<{ md5: string | null; n: bigint }[]>(
      `SELECT md5(string_agg(r, '|' ORDER BY r)) AS md5, count(*) AS n FROM (SELECT (to_jsonb(t) - ${name === "api_keys" ? "ARRAY['last_used', 'updated']" : "'last_used'"})::text AS r FROM ${name} t) rows`,
    );
    digest[name] = `${row?.n ?? 0}:${row?.md5 ?? ""}`;
  }
  const [jobs] = await db.$queryRaw<{ md5: string | null; n: bigint }[]>`
    SELECT md5(string_agg(r, '|' ORDER BY r)) AS md5, count(*) AS n
    FROM (SELECT task_id || ':' || coalesce(key, '') || ':' || coalesce(payload::text, '') AS r FROM graphile_worker._private_jobs) queued`;
  digest["graphile_worker.jobs"] = `${jobs?.n ?? 0}:${jobs?.md5 ?? ""}`;
  return digest;
}
