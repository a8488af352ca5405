import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { makeScratchDir } from "../../src/db/embedded.js";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { ROOT } from "./process.js";

/**
 * A PostgreSQL server of the operating system's own (Debian's `postgresql-NN`, installed by
 * `npm test`'s pretest), standing in for an external database: its own cluster in a scratch
 * directory, on a free loopback port, for one test file. Its bin directory has the matching
 * pg_dump, pg_restore and psql — which the embedded server (it ships none) cannot give.
 */

/** PG_BIN_DIR, else Debian's newest /usr/lib/postgresql/<major>/bin, else the directory of `initdb` on the PATH. */
export function systemPostgresBin(): string {
  const has = (dir: string) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "pg_dump"));
  if (process.env.PG_BIN_DIR) {
    if (!has(process.env.PG_BIN_DIR)) throw new Error(`PG_BIN_DIR=${process.env.PG_BIN_DIR} has no initdb and pg_dump`);
    return process.env.PG_BIN_DIR;
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v) && has(path.join(debian, v, "bin")))
      .sort((a, b) => Number(b) - Number(a));
    if (majors.length > 0) return path.join(debian, majors[0]!, "bin");
  }
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) if (dir && has(dir)) return dir;
  throw new Error("no PostgreSQL server binaries (initdb, pg_dump): npm test's pretest installs Debian's postgresql-15; elsewhere set PG_BIN_DIR");
}

export interface SystemPostgres {
  bin: string;
  port: number;
  /** The major version of the server, e.g. 15. */
  major: number;
  /** A URL of `database` as `user` (default: the superuser `postgres`). */
  url(database: string, user?: string, password?: string): string;
  /** Runs SQL as the superuser on `database` (default `postgres`). */
  sql<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, database?: string): Promise<T[]>;
  /** The environment that makes psql (and scripts calling it) reach this server as the superuser. */
  psqlEnv(): Record<string, string>;
  stop(): Promise<void>;
}

const SUPERUSER_PASSWORD = "postgres";

/** The uid and gid of the `postgres` user: PostgreSQL refuses to run as root. */
function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    return { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) };
  } catch {
    throw new Error("as root, PostgreSQL runs as the `postgres` user, which does not exist (Debian's postgresql package creates it)");
  }
}

export async function startSystemPostgres(): Promise<SystemPostgres> {
  const bin = systemPostgresBin();
  const user = postgresUser();
  const dir = await makeScratchDir("candle-syspg-");
  const data = path.join(dir, "data");
  await fs.writeFile(path.join(dir, "pwfile"), `${SUPERUSER_PASSWORD}\n`);
  if (user) await fs.chown(dir, user.uid, user.gid).then(() => fs.chown(path.join(dir, "pwfile"), user.uid, user.gid));
  const asPostgres = { ...(user ?? {}), env: { PATH: process.env.PATH ?? "", LANG: "C.UTF-8" } };

  // Passwords over TCP, as a real deployment has: the restored roles must log in with theirs.
  execFileSync(
    path.join(bin, "initdb"),
    ["-D", data, "-U", "postgres", `--pwfile=${path.join(dir, "pwfile")}`, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-sync"],
    { ...asPostgres, stdio: "pipe" },
  );
  const major = Number((await fs.readFile(path.join(data, "PG_VERSION"), "utf8")).trim());
  const port = await freePort();
  // Durability is not what is tested: no fsync, so the cluster is quick on a loaded machine.
  const child = spawn(
    path.join(bin, "postgres"),
    ["-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-k", dir, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
    { ...asPostgres, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`PostgreSQL ${major} did not start:\n${log}`)), 90_000);
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", () => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL ${major} exited at start:\n${log}`));
    });
  });

  const url = (database: string, role = "postgres", password = SUPERUSER_PASSWORD) =>
    `postgresql://${encodeURIComponent(role)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
  return {
    bin,
    port,
    major,
    url,
    async sql<T extends pg.QueryResultRow>(text: string, database = "postgres") {
      const client = new pg.Client({ connectionString: url(database) });
      await client.connect();
      try {
        return (await client.query<T>(text)).rows;
      } finally {
        await client.end();
      }
    },
    psqlEnv: () => ({ PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`, PGHOST: "127.0.0.1", PGPORT: String(port), PGPASSWORD: SUPERUSER_PASSWORD, PGUSER: "postgres" }),
    async stop() {
      // SIGINT: PostgreSQL's fast shutdown.
      if (child.exitCode === null) child.kill("SIGINT");
      await exited;
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs deploy/postgres-init.sh, the compose file's database init script, against a server. */
export function runInitScript(env: Record<string, string>): { status: number | null; output: string } {
  try {
    const output = execFileSync("sh", [path.join(ROOT, "deploy/postgres-init.sh")], { env: { HOME: process.env.HOME ?? "/tmp", ...env }, stdio: "pipe" }).toString();
    return { status: 0, output };
  } catch (err) {
    const e = err as { status: number | null; stdout?: Buffer; stderr?: Buffer };
    return { status: e.status, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}
