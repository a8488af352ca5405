import pg from "pg";

/**
 * The login role the application connects as with the embedded server (docs/tenancy.md): no
 * superuser, no BYPASSRLS, a member of the system and tenant roles below. With an external
 * DATABASE_URL the operator's role plays this part; `rowSecurityProblem` refuses to start when it
 * cannot.
 */
export const APP_ROLE = "candle_app";
/**
 * What tenant work runs as: the pool sets this role on a connection for a tenant scope, and only
 * the tenant policy (one platform and mode, from the connection's settings) applies to it.
 */
export const TENANT_ROLE = "candle_tenant";
/** Sees every platform (a policy of its own); the login role is a member, for the system scope. */
export const SYSTEM_ROLE = "candle_system";
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
    // Outside a tenant scope the app role sees every platform (member of the system role, which the
    // migrations create); for a tenant it switches to the tenant role.
    await client.query(`GRANT ${SYSTEM_ROLE}, ${TENANT_ROLE} TO ${APP_ROLE}`);
    await client.query(`GRANT USAGE ON SCHEMA public TO ${APP_ROLE}, ${TENANT_ROLE}`);
    await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${APP_ROLE}, ${TENANT_ROLE}`);
    await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${APP_ROLE}, ${TENANT_ROLE}`);
    await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${APP_ROLE}, ${TENANT_ROLE}`);
    // The job queue's schema: the same grants, and its tables' row security (grantJobQueue).
    await grantJobQueue(client, [APP_ROLE, TENANT_ROLE]);
  } catch (err) {
    // Concurrent GRANTs on one object can collide ("tuple concurrently updated"); the other one won.
    if ((err as { code?: string }).code !== "XX000") throw err;
  } finally {
    await client.end();
  }
}

/**
 * graphile-worker turns row security on for its tables, with no policy: only their owner may use
 * them. The app enqueues jobs in its own transactions (src/jobs/queue.ts), tenant ones included, so
 * its roles are let through there; the tenant policies of our own tables are untouched.
 */
async function grantJobQueue(client: pg.Client, roles: string[]): Promise<void> {
  const schema = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = 'graphile_worker'");
  if (!schema.rowCount) return;
  const to = roles.map((r) => client.escapeIdentifier(r)).join(", ");
  await client.query(`GRANT USAGE ON SCHEMA graphile_worker TO ${to}`);
  await client.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA graphile_worker TO ${to}`);
  await client.query(`GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA graphile_worker TO ${to}`);
  await client.query(`GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA graphile_worker TO ${to}`);
  const queueTables = await client.query<{ name: string; policy: boolean }>(
    `SELECT c.relname AS name, EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid AND p.polname = 'app_role') AS policy
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = 'graphile_worker' AND c.relkind = 'r' AND c.relrowsecurity`,
  );
  for (const { name, policy } of queueTables.rows) {
    const table = `graphile_worker.${client.escapeIdentifier(name)}`;
    await client
      .query(policy ? `ALTER POLICY app_role ON ${table} TO ${to}` : `CREATE POLICY app_role ON ${table} TO ${to} USING (true) WITH CHECK (true)`)
      .catch((err: { code?: string }) => {
        if (err.code !== "42710") throw err; // created meanwhile by another node
      });
  }
}

/**
 * With an external database the login role of DATABASE_URL owns the job queue's tables: it lets
 * the tenant role enqueue there (the migrations grant it our own tables).
 */
export async function grantTenantRole(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await grantJobQueue(client, [TENANT_ROLE]);
  } catch (err) {
    if ((err as { code?: string }).code !== "XX000") throw err;
  } finally {
    await client.end();
  }
}

/**
 * What is wrong with the login role for row-level security, or null (docs/tenancy.md): it must be
 * able to switch to the tenant role, which must itself be subject to the policies, and see every
 * platform outside a tenant scope (a member of the system role, or a superuser).
 */
export async function rowSecurityProblem(url: string): Promise<string | null> {
  // A plain connection: the app's pool would switch to the tenant role before asking.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const query = (sql: string) => client.query<Record<string, unknown>>(sql).then((r) => r.rows);
  const [row] = await query(
    `SELECT
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${TENANT_ROLE}') AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${SYSTEM_ROLE}') AS roles,
       (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = session_user) AS bypasses,
       pg_has_role(session_user, '${TENANT_ROLE}', 'MEMBER') AS tenant_member,
       pg_has_role(session_user, '${SYSTEM_ROLE}', 'USAGE') AS system_member,
       (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = '${TENANT_ROLE}') AS tenant_bypasses,
       pg_has_role('${TENANT_ROLE}', '${SYSTEM_ROLE}', 'MEMBER') AS tenant_is_system`,
  ).finally(() => client.end());
  if (!row?.roles) return `the roles ${TENANT_ROLE} and ${SYSTEM_ROLE} do not exist: run the migrations (npm run migrate) as a role allowed to create roles`;
  if (row.tenant_bypasses || row.tenant_is_system) return `${TENANT_ROLE} bypasses row-level security (superuser, BYPASSRLS or a member of ${SYSTEM_ROLE})`;
  if (!row.bypasses && !row.tenant_member) return `the role of DATABASE_URL cannot switch to ${TENANT_ROLE}: GRANT ${TENANT_ROLE} TO <that role>`;
  if (!row.bypasses && !row.system_member) return `the role of DATABASE_URL is not a member of ${SYSTEM_ROLE} (with INHERIT): GRANT ${SYSTEM_ROLE} TO <that role>`;
  return null;
}
