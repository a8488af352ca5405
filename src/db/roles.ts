import pg from "pg";

/**
 * The role the application connects as, so that row-level security applies to it
 * (docs/tenancy.md): superusers and BYPASSRLS roles skip every policy. With the embedded server we
 * create it; with an external DATABASE_URL the operator provides such a role (`checkRowSecurity`
 * warns at boot when the one given bypasses the policies).
 */
export const APP_ROLE = "candle_app";
// The embedded server listens on loopback only, like its superuser's fixed password.
const APP_PASSWORD = "candle_app";

/** The same database reached as the application role. */
export function appRoleUrl(ownerUrl: string): string {
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = APP_PASSWORD;
  return url.toString();
}

/**
 * Creates the application role if missing (cluster-wide) and grants it the rows, not the schema, of
 * this database: data access on every table, sequence and function of ours and of the job queue,
 * but no TRUNCATE (which skips row security), no DDL and no BYPASSRLS. Run after migrations, as a
 * role allowed to create roles; repeated on every boot, so tables added since are covered.
 */
export async function grantAppRole(ownerUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [APP_ROLE]);
    if (!rowCount) {
      await client.query(`CREATE ROLE ${APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${APP_PASSWORD}'`).catch((err: { code?: string }) => {
        // Created meanwhile by another process (test files and nodes share one cluster).
        if (err.code !== "42710" && err.code !== "23505") throw err;
      });
    }
    const schemas = (await client.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE nspname IN ('public', 'graphile_worker')")).rows.map((r) =>
      client.escapeIdentifier(r.nspname),
    );
    for (const schema of schemas) {
      await client.query(`GRANT USAGE ON SCHEMA ${schema} TO ${APP_ROLE}`);
      await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${schema} TO ${APP_ROLE}`);
      await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${APP_ROLE}`);
      await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA ${schema} TO ${APP_ROLE}`);
    }
    // graphile-worker turns row security on for its tables, with no policy: only their owner may
    // use them. The app enqueues jobs in its own transactions (src/jobs/queue.ts), so its role is
    // let through there; the tenant policies of our own tables are untouched.
    const queueTables = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'graphile_worker' AND c.relkind = 'r' AND c.relrowsecurity
         AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'app_role')`,
    );
    for (const { name } of queueTables.rows) {
      await client
        .query(`CREATE POLICY app_role ON graphile_worker.${client.escapeIdentifier(name)} TO ${APP_ROLE} USING (true) WITH CHECK (true)`)
        .catch((err: { code?: string }) => {
          if (err.code !== "42710") throw err; // created meanwhile by another node
        });
    }
  } catch (err) {
    // Concurrent GRANTs on one object can collide ("tuple concurrently updated"); the other one won.
    if ((err as { code?: string }).code !== "XX000") throw err;
  } finally {
    await client.end();
  }
}

/**
 * Whether the connected role skips row-level security: true for a superuser or a BYPASSRLS role,
 * where the tenant policies protect nothing (docs/tenancy.md, "External PostgreSQL").
 */
export async function bypassesRowSecurity(query: (sql: string) => Promise<Array<{ bypasses: boolean }>>): Promise<boolean> {
  const rows = await query("SELECT (rolsuper OR rolbypassrls) AS bypasses FROM pg_roles WHERE rolname = current_user");
  return rows[0]?.bypasses ?? false;
}
