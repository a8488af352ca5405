import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { makeScratchDir } from "../../src/db/embedded.js";
import { rowSecurityProblem } from "../../src/db/roles.js";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { runScript } from "../helpers/process.js";
import { runInitScript, startSystemPostgres, type SystemPostgres } from "../helpers/system-postgres.js";

/**
 * Backup and restore of an external database (docs/operations.md, "Backup and restore"), against a
 * real PostgreSQL of the system's (Debian's 15, the oldest the docs name) with its own pg_dump and
 * pg_restore. Each server is set up as docker-compose.yml sets up its database: the compose init
 * script creates the role the API connects as — the owner, without SUPERUSER or BYPASSRLS, a
 * member of candle_tenant and candle_system (docs/tenancy.md), which the forced row-level security
 * policies apply to. The API migrates and serves one server;
 * `npm run backup` dumps it as that role; `npm run restore` puts the dump into a fresh cluster,
 * where a node that does not migrate at boot serves the same data. Every row of every table is
 * compared too.
 */
let source: SystemPostgres;
let target: SystemPostgres;
const dirs: string[] = [];
const scratch = async (prefix: string) => {
  const dir = await makeScratchDir(prefix);
  dirs.push(dir);
  return dir;
};
const PASSWORD = randomBytes(12).toString("hex");

/** A database set up as the compose file's init script sets it up; answers the API's DATABASE_URL. */
async function composeDatabase(server: SystemPostgres, database = "candle"): Promise<string> {
  await server.sql(`CREATE DATABASE ${database}`);
  const init = runInitScript({ ...server.psqlEnv(), POSTGRES_USER: "postgres", POSTGRES_DB: database, CANDLE_DB_USER: "candle", CANDLE_DB_PASSWORD: PASSWORD });
  expect(init.status, init.output).toBe(0);
  return server.url(database, "candle", PASSWORD);
}

beforeAll(async () => {
  [source, target] = await Promise.all([startSystemPostgres(), startSystemPostgres()]);
});
afterAll(async () => {
  await Promise.all([source?.stop(), target?.stop()]);
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

/** Every row of every table of ours and of the job queue, and every sequence, as the superuser sees them. */
async function digest(server: SystemPostgres, database: string): Promise<Record<string, string>> {
  const relations = await server.sql<{ name: string; kind: string }>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname IN ('public', 'graphile_worker') AND c.relkind IN ('r', 'S') ORDER BY 1`,
    database,
  );
  const parts = relations.map(({ name, kind }) =>
    kind === "S"
      ? `SELECT '${name}' AS name, (SELECT last_value || ':' || is_called FROM ${name}) AS digest`
      : `SELECT '${name}' AS name, (SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM ${name} t) AS digest`,
  );
  const rows = await server.sql<{ name: string; digest: string }>(parts.join("\nUNION ALL\n"), database);
  return Object.fromEntries(rows.map((r) => [r.name, r.digest]));
}

async function boot(env: Record<string, string>) {
  const port = await freePort();
  const server = runScript("src/server.ts", [], { LOG_LEVEL: "info", LOG_FORMAT: "json", ...env, PORT: String(port) });
  const api = async (method: string, p: string, key: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const stop = async () => {
    if (server.child.exitCode === null) server.child.kill("SIGTERM");
    await server.exited;
  };
  return { server, api, stop };
}

const cli = async (args: string[], env: Record<string, string>) => {
  const p = runScript("scripts/backup.ts", args, env);
  return { code: await p.exited, output: p.output() };
};

describe("backup and restore of an external PostgreSQL", () => {
  let backupDir: string;
  let sourceDigest: Record<string, string>;
  let key: string;
  let user: Record<string, unknown>;
  let product: Record<string, unknown>;

  it("npm run backup dumps a database the API migrated and served, as its role that row-level security applies to", async () => {
    const databaseUrl = await composeDatabase(source);
    const dataDir = await scratch("candle-ext-a-");
    const node = await boot({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir });
    try {
      key = (await node.server.waitFor(/API key \(shown once\): (cndl_test_[A-Za-z0-9]+)/, 120_000)).split(": ")[1]!;
      await node.server.waitFor(/Server listening/);
      expect(node.server.output()).toMatch(/database schema up to date \([1-9]\d* migration\(s\) applied, 0 already there\)/);
      const created = await node.api("POST", "/v1/users", key, { email: "kept@example.com", name: "Kept" });
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      user = created.body;
      const made = await node.api("POST", "/v1/products", key, { name: "Beeswax candle", price: 2500, currency: "usd", user_id: user.id });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      product = made.body;
    } finally {
      await node.stop();
    }
    // The role is one row-level security can work with (the boot checks it too): as candle_tenant,
    // which tenant work switches to, it sees a platform's users only with that platform's settings.
    expect(await rowSecurityProblem(databaseUrl)).toBeNull();
    const role = new pg.Client({ connectionString: databaseUrl });
    await role.connect();
    try {
      const users = async () => (await role.query<{ n: number }>("SELECT count(*)::int AS n FROM users")).rows[0]!.n;
      expect(await users()).toBe(1);
      await role.query("SET ROLE candle_tenant");
      expect(await users()).toBe(0);
      await role.query("SELECT set_config('app.platform_id', $1, false), set_config('app.mode', 'test', false)", [user.platform_id]);
      expect(await users()).toBe(1);
    } finally {
      await role.end();
    }

    backupDir = path.join(await scratch("candle-ext-backup-"), "backup");
    const backup = await cli(["backup", backupDir], { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PG_BIN_DIR: source.bin });
    expect(backup.code, backup.output).toBe(0);
    expect(existsSync(path.join(backupDir, "candle.dump"))).toBe(true);
    expect(await fs.readFile(path.join(backupDir, "jwt-secret"), "utf8")).toBe(await fs.readFile(path.join(dataDir, "jwt-secret"), "utf8"));
    sourceDigest = await digest(source, "candle");
    expect(sourceDigest["public.users"]).toMatch(/^1:/);
  }, 180_000);

  it("npm run restore puts it into a fresh cluster, where a node that does not migrate at boot serves the same data", async () => {
    expect(backupDir, "the backup of the previous test").toBeDefined();
    const databaseUrl = await composeDatabase(target);
    const dataDir = await scratch("candle-ext-b-");
    const env = { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PG_BIN_DIR: target.bin };
    const restore = await cli(["restore", backupDir], env);
    expect(restore.code, restore.output).toBe(0);
    expect(await digest(target, "candle")).toEqual(sourceDigest);
    expect((await cli(["restore", path.join(backupDir, "missing")], env)).output).toMatch(/no backup at/);

    const node = await boot({ DATABASE_URL: databaseUrl, DATA_DIR: dataDir, MIGRATE_ON_BOOT: "false" });
    try {
      await node.server.waitFor(/Server listening/, 120_000);
      expect(node.server.output()).toMatch(/not migrating at boot/);
      expect(node.server.output()).not.toMatch(/API key \(shown once\)/);
      const got = await node.api("GET", `/v1/users/${user.id}`, key);
      expect(got).toEqual({ status: 200, body: user });
      expect(await node.api("GET", `/v1/products/${product.id}`, key)).toEqual({ status: 200, body: product });
    } finally {
      await node.stop();
    }
  }, 180_000);

  it("a dump taken as the superuser restores as the API's role (the compose commands of docs/operations.md)", async () => {
    expect(sourceDigest, "the data of the first test").toBeDefined();
    const dump = path.join(await scratch("candle-ext-su-"), "candle.dump");
    execFileSync(path.join(source.bin, "pg_dump"), ["-Fc", "-U", "postgres", "-f", dump, "candle"], { env: source.psqlEnv() });
    await target.sql("CREATE DATABASE candle_again OWNER candle");
    await target.sql("ALTER SCHEMA public OWNER TO candle", "candle_again");
    execFileSync(path.join(target.bin, "pg_restore"), ["--clean", "--if-exists", "--no-owner", "-U", "candle", "-d", "candle_again", dump], {
      env: { ...target.psqlEnv(), PGUSER: "candle", PGPASSWORD: PASSWORD },
    });
    expect(await digest(target, "candle_again")).toEqual(sourceDigest);
    const owners = await target.sql<{ owner: string }>(
      "SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'graphile_worker') AND c.relkind = 'r'",
      "candle_again",
    );
    expect(owners).toEqual([{ owner: "candle" }]);
  }, 90_000);
});
