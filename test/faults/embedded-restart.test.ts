import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { answers, makeScratchDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../src/db/embedded.js";

/**
 * A crash leaves postmaster.pid behind, and its PID may still be alive: a zombie not yet reaped,
 * or a number the system gave to another process since. Startup decides "running" by a connection
 * that answers, and otherwise starts PostgreSQL, on the first try. A server of ours that dies is
 * started again.
 */

let dir: string;
let port: number;
let other: ChildProcess | undefined;
let handle: EmbeddedPostgresHandle | undefined;

beforeAll(async () => {
  dir = await makeScratchDir("candle-stale-pid-");
  port = await freePort();
  // A first start initialises the data directory; a clean stop removes its lock file.
  const first = await startEmbeddedPostgres({ dataDir: dir, port });
  await first.stop();
}, 120_000);

afterAll(async () => {
  await handle?.stop();
  other?.kill("SIGKILL");
  await fs.rm(dir, { recursive: true, force: true });
});

/** The lock file a killed server leaves: its PID, data directory, start time, port, socket directory, address. */
async function writeStaleLockFile(pid: number): Promise<void> {
  const lines = [String(pid), path.join(dir, "pg"), String(Math.floor(Date.now() / 1000) - 60), String(port), "/tmp", "127.0.0.1", ""];
  await fs.writeFile(path.join(dir, "pg", "postmaster.pid"), lines.join("\n"));
}

describe("the embedded PostgreSQL after a crash", () => {
  it("starts PostgreSQL when the lock file names a live process that is no postmaster", async () => {
    other = spawn("sleep", ["60"], { stdio: "ignore" });
    await writeStaleLockFile(other.pid!);
    expect(await answers(port)).toBe(false);

    handle = await startEmbeddedPostgres({ dataDir: dir, port });
    expect(handle.owned).toBe(true);
    expect(await answers(port)).toBe(true);
    await handle.stop();
    handle = undefined;
  });

  it("starts PostgreSQL when the lock file names this very process", async () => {
    await writeStaleLockFile(process.pid);
    handle = await startEmbeddedPostgres({ dataDir: dir, port });
    expect(handle.owned).toBe(true);
    expect(await answers(port)).toBe(true);
  });

  it("starts its own PostgreSQL again when it dies (the watchdog)", async () => {
    const pidFile = path.join(dir, "pg", "postmaster.pid");
    const pidOf = async () => Number((await fs.readFile(pidFile, "utf8").catch(() => "")).split("\n")[0]);
    const killed = await pidOf();
    expect(killed).toBeGreaterThan(1); // kill(0) would signal this whole process group
    process.kill(killed, "SIGKILL");
    const end = Date.now() + 60_000;
    while (!((await pidOf()) !== killed && (await answers(port)))) {
      if (Date.now() > end) throw new Error("PostgreSQL was not started again");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await answers(port)).toBe(true);
  });

  it("connects to a server that answers instead of starting a second one", async () => {
    const second = await startEmbeddedPostgres({ dataDir: dir, port });
    expect(second.owned).toBe(false);
    expect(second.port).toBe(port);
  });
});
