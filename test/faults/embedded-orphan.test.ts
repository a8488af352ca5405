import { readdirSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { answers, makeScratchDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../src/db/embedded.js";
import { runScript, type RunningProcess } from "../helpers/process.js";

/**
 * The embedded PostgreSQL dies with the process that started it. Killed -9, that process leaves its
 * server to the watchdog beside it, which stops it; and a server orphaned all the same (its watchdog
 * killed too) is stopped and started again by the next start, which watches it from then on. A
 * server answering on the port a stale lock file names is connected to only if it serves our data
 * directory.
 */

let dir: string;
let port: number;
let owner: RunningProcess | undefined;
const handles: EmbeddedPostgresHandle[] = [];
const scratch: string[] = [];

beforeAll(async () => {
  dir = await makeScratchDir("candle-orphan-");
  scratch.push(dir);
  port = await freePort();
}, 120_000);

afterAll(async () => {
  owner?.child.kill("SIGKILL");
  for (const h of handles.reverse()) await h.stop();
  for (const d of scratch) await fs.rm(d, { recursive: true, force: true });
});

/** Starts the embedded server in a process of its own, as `npm start` does; its postmaster's PID. */
async function startOwner(): Promise<number> {
  owner = runScript("test/helpers/embedded-owner.ts", [dir, String(port)], {});
  const line = await owner.waitFor(/started \d+ owned=true/, 180_000);
  return Number(/started (\d+)/.exec(line)![1]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The watchdog shell a process started beside its postmaster. */
function watchdogOf(parent: number): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent && readFileSync(`/proc/${entry}/cmdline`, "utf8").includes("candle-pg-watchdog")) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no watchdog beside process ${parent}`);
}

describe("the embedded PostgreSQL of a process killed -9", () => {
  it("is stopped by its watchdog", async () => {
    const postmaster = await startOwner();
    expect(await answers(port)).toBe(true);
    owner!.child.kill("SIGKILL");
    await owner!.exited;
    await until(() => !alive(postmaster), "the orphaned postmaster to stop");
    expect(await answers(port)).toBe(false);
  });

  it("is stopped and started again by the next start when its watchdog was killed too; that one is watched", async () => {
    const orphan = await startOwner();
    const watchdog = watchdogOf(owner!.child.pid!);
    process.kill(watchdog, "SIGKILL");
    owner!.child.kill("SIGKILL");
    await owner!.exited;
    // Nothing stops it now: an orphan, still serving.
    expect(await answers(port)).toBe(true);
    expect(alive(orphan)).toBe(true);

    const handle = await startEmbeddedPostgres({ dataDir: dir, port });
    handles.push(handle);
    expect(handle.owned).toBe(true);
    expect(alive(orphan)).toBe(false);
    const postmaster = Number(readFileSync(path.join(dir, "pg", "postmaster.pid"), "utf8").split("\n")[0]);
    expect(postmaster).not.toBe(orphan);
    expect(await answers(port)).toBe(true);
    expect(watchdogOf(process.pid)).toBeGreaterThan(1);
  });

  it("is not taken for ours when it serves another data directory", async () => {
    // Another checkout's data directory whose stale lock file names the port our server (above) runs on.
    const other = await makeScratchDir("candle-orphan-other-");
    scratch.push(other);
    await fs.mkdir(path.join(other, "pg"), { recursive: true });
    const lines = ["999999", path.join(other, "pg"), String(Math.floor(Date.now() / 1000) - 60), String(port), "/tmp", "127.0.0.1", ""];
    await fs.writeFile(path.join(other, "pg", "postmaster.pid"), lines.join("\n"));
    const otherPort = await freePort();
    const handle = await startEmbeddedPostgres({ dataDir: other, port: otherPort });
    handles.push(handle);
    expect(handle.owned).toBe(true);
    expect(handle.port).toBe(otherPort);
  });
});
