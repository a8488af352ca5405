import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { runScript } from "../helpers/process.js";

/**
 * The operator's tools as separate processes against a real server on an embedded database: the
 * CLIs' --help (bench:seed's: test/integration/bench-seed.test.ts), listing platforms and creating and revoking keys while the server runs, a backup
 * taken while it runs restored into a fresh data directory that serves the same data, and
 * `npm run migrate` as the release step of nodes that do not migrate at boot.
 */
const dirs: string[] = [];
async function scratch(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o755);
  dirs.push(dir);
  return dir;
}
let dataDir: string;
let backupDir: string;

beforeAll(async () => {
  dataDir = await scratch("candle-ops-");
  backupDir = path.join(await scratch("candle-ops-backup-"), "backup");
});
afterAll(async () => {
  for (const dir of dirs) await fs.rm(dir, { recursive: true, force: true });
});

async function cli(script: string, args: string[], env: Record<string, string>) {
  const p = runScript(script, args, env);
  const code = await p.exited;
  return { code, stdout: p.stdout(), output: p.output() };
}

async function boot(env: Record<string, string>) {
  const port = await freePort();
  const server = runScript("src/server.ts", [], { ...env, PORT: String(port) });
  const api = (method: string, p: string, key: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${port}${p}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
  return { server, api };
}

describe("operating a node", () => {
  it("the CLIs print their usage on --help and exit 0", async () => {
    const calls: [string, string[]][] = [
      ["scripts/platforms.ts", ["--help"]],
      ["scripts/platform-create.ts", ["--help"]],
      ["scripts/migrate.ts", ["--help"]],
      ["scripts/seed-demo.ts", ["--help"]],
      ["scripts/backup.ts", ["backup", "--help"]],
      ["scripts/backup.ts", ["restore", "--help"]],
    ];
    const results = await Promise.all(calls.map(([script, args]) => cli(script, args, {})));
    results.forEach(({ code, stdout }, i) => {
      expect(code, calls[i]!.join(" ")).toBe(0);
      expect(stdout, calls[i]!.join(" ")).toMatch(/^usage: /);
    });
    expect((await cli("scripts/platforms.ts", ["frobnicate"], {})).code).toBe(2);
    // Seven Node processes: on a loaded machine that is more than the default 30 s.
  }, 120_000);

  it("lists platforms, creates and revokes keys while the server runs; a backup taken meanwhile restores into a fresh data directory", async () => {
    const env = { DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: "info" };
    const { server, api } = await boot(env);
    let userId: string;
    let demoKey: string;
    try {
      demoKey = (await server.waitFor(/API key \(shown once\): (cndl_test_[A-Za-z0-9]+)/, 90_000)).split(": ")[1]!;
      await server.waitFor(/Server listening/);
      const created = await api("POST", "/v1/users", demoKey, { email: "kept@example.com", name: "Kept" });
      expect(created.status).toBe(201);
      userId = ((await created.json()) as { id: string }).id;

      const list = await cli("scripts/platforms.ts", ["list", "--json"], env);
      expect(list.code, list.output).toBe(0);
      const platforms = JSON.parse(list.stdout) as { id: string; name: string; active_keys: number }[];
      expect(platforms).toEqual([expect.objectContaining({ name: "Demo Marketplace", active_keys: 1 })]);
      expect((await cli("scripts/platforms.ts", ["list"], env)).stdout).toMatch(/Demo Marketplace/);

      // A lost key: another one for the same platform, no new platform.
      const made = await cli("scripts/platforms.ts", ["create-key", "--platform", platforms[0]!.id, "--name", "ops"], env);
      expect(made.code, made.output).toBe(0);
      const { api_key: newKey, key } = JSON.parse(made.stdout) as { api_key: string; key: { id: string } };
      expect((await api("GET", "/v1/platforms", newKey)).status).toBe(200);
      expect((await cli("scripts/platforms.ts", ["create-key", "--platform", "plat_missing"], env)).code).toBe(1);

      const revoked = await cli("scripts/platforms.ts", ["revoke-key", "--key", newKey], env);
      expect(revoked.code, revoked.output).toBe(0);
      expect((JSON.parse(revoked.stdout) as { key: { id: string; revoked: string | null } }).key).toMatchObject({ id: key.id, revoked: expect.any(String) });
      expect((await api("GET", "/v1/platforms", newKey)).status).toBe(401);
      // The last active key stays.
      const last = await cli("scripts/platforms.ts", ["list", "--json"], env);
      const demoKeyId = ((await (await api("GET", `/v1/platforms/${platforms[0]!.id}/keys`, demoKey)).json()) as { data: { id: string; revoked: string | null }[] }).data.find(
        (k) => !k.revoked,
      )!.id;
      expect(JSON.parse(last.stdout)[0].active_keys).toBe(1);
      const refused = await cli("scripts/platforms.ts", ["revoke-key", "--key", demoKeyId], env);
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/last active key/);

      // Demo data for frontend developers, with progress, through the API; a second run adds nothing.
      const seeded = await cli("scripts/seed-demo.ts", [], env);
      expect(seeded.code, seeded.output).toBe(0);
      expect(seeded.stdout).toMatch(/\[1\/6\] platform Demo Marketplace[\s\S]*\[3\/6\] products: 6[\s\S]*\[4\/6\] cart[\s\S]*\[5\/6\] contract: \S+[\s\S]*\[6\/6\] done/);
      expect(((await (await api("GET", "/v1/products", demoKey)).json()) as { data: unknown[] }).data).toHaveLength(6);
      expect(((await (await api("GET", "/v1/contracts", demoKey)).json()) as { data: unknown[] }).data).toHaveLength(1);
      expect((await cli("scripts/seed-demo.ts", [], env)).stdout).toMatch(/already holds the demo data/);

      const backup = await cli("scripts/backup.ts", ["backup", backupDir], env);
      expect(backup.code, backup.output).toBe(0);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }

    const fresh = await scratch("candle-ops-restored-");
    const restoredEnv = { DATA_DIR: fresh, EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: "info", MIGRATE_ON_BOOT: "false" };
    const restore = await cli("scripts/backup.ts", ["restore", backupDir], restoredEnv);
    expect(restore.code, restore.output).toBe(0);
    expect((await cli("scripts/backup.ts", ["restore", backupDir], restoredEnv)).output).toMatch(/already holds a database/);
    const restored = await boot(restoredEnv);
    try {
      await restored.server.waitFor(/Server listening/, 90_000);
      expect(restored.server.output()).toMatch(/not migrating at boot/);
      expect(restored.server.output()).not.toMatch(/API key \(shown once\)/);
      const user = await restored.api("GET", `/v1/users/${userId!}`, demoKey!);
      expect(user.status).toBe(200);
      expect(await user.json()).toMatchObject({ id: userId!, email: "kept@example.com", name: "Kept" });
    } finally {
      restored.server.child.kill("SIGTERM");
      await restored.server.exited;
    }
  }, 240_000);

  it("with MIGRATE_ON_BOOT=false a node refuses a database with pending migrations; npm run migrate applies them", async () => {
    const env = { DATA_DIR: await scratch("candle-ops-migrate-"), EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: "info", MIGRATE_ON_BOOT: "false" };
    const refused = await boot(env);
    expect(await refused.server.exited).toBe(1);
    expect(refused.server.output()).toMatch(/migration\(s\) not applied .*run `npm run migrate` first/);

    const migrated = await cli("scripts/migrate.ts", [], env);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.output).toMatch(/applied migration \d+_init/);
    expect((await cli("scripts/migrate.ts", [], env)).output).toMatch(/0 migration\(s\) applied/);

    const node = await boot(env);
    try {
      await node.server.waitFor(/Server listening/, 90_000);
    } finally {
      node.server.child.kill("SIGTERM");
      await node.server.exited;
    }
  }, 180_000);
});
