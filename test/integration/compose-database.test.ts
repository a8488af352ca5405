import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { migrate } from "../../src/db/migrator.js";
import { rowSecurityProblem } from "../../src/db/roles.js";
import { makeScratchDir } from "../../src/db/embedded.js";
import { migrateJobQueue } from "../../src/jobs/worker.js";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { createTestDatabase } from "../helpers/database.js";
import { runScript } from "../helpers/process.js";
import { runInitScript, systemPostgresBin } from "../helpers/system-postgres.js";

/**
 * docker-compose.yml's database init script (deploy/postgres-init.sh), run as the postgres image
 * runs it — as the superuser, on the database POSTGRES_DB names — against the tests' PostgreSQL
 * (the embedded one, of the compose image's major version). The role it creates is what the
 * compose file's `migrate` and `api` services connect as: it must be able to migrate, and
 * row-level security must apply to it.
 */
const admin = new URL(inject("pgAdminUrl"));
const role = `candle_${randomBytes(4).toString("hex")}`;
const password = randomBytes(12).toString("hex");
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let roleUrl: string;

const initEnv = (extra: Record<string, string> = {}) => ({
  PATH: `${systemPostgresBin()}${path.delimiter}${process.env.PATH ?? ""}`,
  PGHOST: admin.hostname,
  PGPORT: admin.port,
  PGPASSWORD: decodeURIComponent(admin.password),
  POSTGRES_USER: decodeURIComponent(admin.username),
  POSTGRES_DB: database.name,
  CANDLE_DB_USER: role,
  CANDLE_DB_PASSWORD: password,
  ...extra,
});

async function query<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  // As the image does: POSTGRES_DB exists, empty and the superuser's, when the scripts run.
  database = await createTestDatabase({ empty: true });
  const url = new URL(database.url);
  url.username = role;
  url.password = password;
  roleUrl = url.toString();
});
afterAll(async () => {
  await database?.drop();
  await query(admin.toString(), `DROP ROLE IF EXISTS ${role}`);
});

describe("deploy/postgres-init.sh", () => {
  it("refuses to make the superuser the API's role, and needs the role's password", () => {
    const same = runInitScript(initEnv({ CANDLE_DB_USER: decodeURIComponent(admin.username) }));
    expect(same.status).not.toBe(0);
    expect(same.output).toMatch(/must differ from POSTGRES_USER/);
    const noPassword = runInitScript(initEnv({ CANDLE_DB_PASSWORD: "" }));
    expect(noPassword.status).not.toBe(0);
    expect(noPassword.output).toMatch(/CANDLE_DB_PASSWORD/);
  });

  it("creates a login without SUPERUSER or BYPASSRLS, a member of candle_tenant and candle_system, that owns the database and its public schema", async () => {
    const init = runInitScript(initEnv());
    expect(init.status, init.output).toBe(0);
    const [attributes] = await query(
      admin.toString(),
      `SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication FROM pg_roles WHERE rolname = '${role}'`,
    );
    expect(attributes).toEqual({ rolcanlogin: true, rolsuper: false, rolbypassrls: false, rolcreaterole: false, rolcreatedb: false, rolreplication: false });
    const [memberships] = await query(
      admin.toString(),
      `SELECT pg_has_role('${role}', 'candle_tenant', 'MEMBER') AS tenant, pg_has_role('${role}', 'candle_system', 'USAGE') AS system`,
    );
    expect(memberships).toEqual({ tenant: true, system: true });
    const [owners] = await query(
      database.url,
      "SELECT pg_get_userbyid(d.datdba) AS database, pg_get_userbyid(n.nspowner) AS schema FROM pg_database d, pg_namespace n WHERE d.datname = current_database() AND n.nspname = 'public'",
    );
    expect(owners).toEqual({ database: role, schema: role });
  });

  it("gives a role that runs the migrations (the compose `migrate` service) and serves as a node that row-level security applies to (the `api` service)", async () => {
    // What `node dist/scripts/migrate.js` does, with the role's own password.
    expect((await migrate({ connectionString: roleUrl })).applied.length).toBeGreaterThan(0);
    await migrateJobQueue(roleUrl, { debug() {}, info() {}, warn() {}, error: console.error });
    expect(await rowSecurityProblem(roleUrl)).toBeNull();

    const port = await freePort();
    const dataDir = await makeScratchDir("candle-compose-");
    const node = runScript("src/server.ts", [], { DATABASE_URL: roleUrl, MIGRATE_ON_BOOT: "false", DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: "info" });
    try {
      await node.waitFor(/Server listening/, 120_000);
      expect(node.output()).toMatch(/API key \(shown once\)/);
    } finally {
      node.child.kill("SIGTERM");
      await node.exited;
      await fs.rm(dataDir, { recursive: true, force: true });
    }
    // The demo platform exists. As candle_tenant, which tenant work switches to, the role sees it
    // only with its settings: the policies apply, though it owns the tables.
    const { id } = (await query<{ id: string }>(roleUrl, "SELECT id FROM platforms"))[0]!;
    const client = new pg.Client({ connectionString: roleUrl });
    await client.connect();
    try {
      const platforms = async () => (await client.query<{ n: number }>("SELECT count(*)::int AS n FROM platforms")).rows[0]!.n;
      await client.query("SET ROLE candle_tenant");
      expect(await platforms()).toBe(0);
      await client.query("SELECT set_config('app.platform_id', $1, false), set_config('app.mode', 'test', false)", [id]);
      expect(await platforms()).toBe(1);
    } finally {
      await client.end();
    }
  }, 180_000);
});
