import { spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { createTestDatabase } from "../helpers/database.js";
import { ROOT, runScript, type RunningProcess } from "../helpers/process.js";

/**
 * Every `curl` example of README.md and docs/**\/*.md runs as written, in order (README first, then
 * the docs pages by path), against the real server started as `npm start` starts it, on a fresh
 * database, with the demo key it prints as `$KEY`. A block is a fenced `sh` block holding `curl`;
 * blocks run in bash one after the other, each seeing the shell variables the earlier ones set
 * (`CONTRACT_ID=$(curl …)`), in a folder whose `./.data` is the server's data directory (so the dev
 * outbox is where the docs say). Every request must answer 2xx (or a redirect), unless an
 * `<!-- example: error -->` comment precedes the block: then every request in it must fail (≥ 400).
 */

export interface DocExample {
  file: string;
  line: number;
  code: string;
  expectError: boolean;
}

const ERROR_MARKER = /^<!--\s*example:\s*error\s*-->$/;

/** The `sh` blocks of a Markdown text that hold a `curl` call. */
export function extractExamples(file: string, text: string): DocExample[] {
  const lines = text.split("\n");
  const examples: DocExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)```(sh|bash|shell)\s*$/.exec(lines[i]!);
    if (!open) {
      if (/^\s*```/.test(lines[i]!)) {
        // Skip any other fenced block whole, so its lines are never read as fences.
        for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++);
      }
      continue;
    }
    const indent = open[1]!.length;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(indent));
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === "") before--;
    const code = body.join("\n");
    if (/(^|[\s|(])curl\s/.test(code)) {
      examples.push({ file, line: start + 1, code, expectError: before >= 0 && ERROR_MARKER.test(lines[before]!.trim()) });
    }
  }
  return examples;
}

async function docFiles(): Promise<string[]> {
  const found: string[] = [];
  async function walk(dir: string) {
    for (const entry of await fs.readdir(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(rel);
      else if (entry.name.endsWith(".md")) found.push(rel);
    }
  }
  await walk("docs");
  return ["README.md", ...found.sort()];
}

const examples: DocExample[] = [];
for (const file of await docFiles()) examples.push(...extractExamples(file, await fs.readFile(path.join(ROOT, file), "utf8")));

// A bash prelude: restores the variables earlier blocks set, and records each curl's final status.
const PRELUDE = String.raw`
__BASE_VARS=$(compgen -v | sort)
set -eo pipefail
cd "$DOCS_WORKDIR"
if [ -f "$DOCS_STATE" ]; then source "$DOCS_STATE"; fi
curl() {
  local __headers __rc=0 __status
  __headers=$(mktemp)
  command curl -D "$__headers" "$@" || __rc=$?
  __status=$(grep -a -o '^HTTP/[0-9.]* [0-9]*' "$__headers" | tail -n 1 | cut -d ' ' -f 2)
  echo "${"$"}{__status:-none} ${"$"}{*//$'\n'/ }" >> "$DOCS_CURL_LOG"
  rm -f "$__headers"
  return $__rc
}
`;
const EPILOGUE = `
for __v in $(comm -13 <(echo "$__BASE_VARS") <(compgen -v | sort)); do
  case "$__v" in __*|BASH*|PIPESTATUS|FUNCNAME|LINENO|RANDOM|SECONDS|COLUMNS|LINES|_) continue ;; esac
  declare -p "$__v"
done > "$DOCS_STATE.next"
`;

interface BlockRun {
  code: number | null;
  output: string;
  requests: { status: string; command: string }[];
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let workDir: string;
let server: RunningProcess;
let port: number;
let demoKey: string;
let metricsPort: number;
// docs/operations.md scrapes the metrics listener with these, as a node configured so would serve it.
const METRICS_TOKEN = "docs-example-metrics-token";

beforeAll(async () => {
  db = await createTestDatabase();
  workDir = await fs.mkdtemp(path.join(os.tmpdir(), "candle-docs-"));
  await fs.chmod(workDir, 0o755);
  port = await freePort();
  metricsPort = await freePort();
  server = runScript("src/server.ts", [], {
    PORT: String(port),
    METRICS_PORT: String(metricsPort),
    METRICS_TOKEN,
    DATA_DIR: path.join(workDir, ".data"),
    DATABASE_URL: db.url,
    LOG_LEVEL: "warn",
  });
  demoKey = (await server.waitFor(/API key \(shown once\): cndl_test_[A-Za-z0-9]+/, 90_000)).split(": ")[1]!;
  for (let ready = false; !ready; ) {
    ready = await fetch(`http://127.0.0.1:${port}/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (!ready) await new Promise((r) => setTimeout(r, 200));
  }
}, 120_000);

afterAll(async () => {
  server?.child.kill("SIGTERM");
  await server?.exited;
  await db?.drop();
  await fs.rm(workDir, { recursive: true, force: true });
}, 60_000);

async function runBlock(example: DocExample): Promise<BlockRun> {
  const state = path.join(workDir, "docs-state.sh");
  const log = path.join(workDir, "docs-curl.log");
  await fs.writeFile(log, "");
  const code = example.code.replaceAll("http://localhost:5000", `http://localhost:${port}`);
  const script = `${PRELUDE}\n${code}\n${EPILOGUE}`;
  const child = spawn("bash", ["-c", script], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      KEY: demoKey,
      METRICS_PORT: String(metricsPort),
      METRICS_TOKEN,
      DOCS_WORKDIR: workDir,
      DOCS_STATE: state,
      DOCS_CURL_LOG: log,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr.on("data", (c: Buffer) => (output += c.toString()));
  const exit = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (exit === 0) await fs.rename(`${state}.next`, state);
  const requests = (await fs.readFile(log, "utf8"))
    .split("\n")
    .filter(Boolean)
    .map((l) => ({ status: l.slice(0, l.indexOf(" ")), command: l.slice(l.indexOf(" ") + 1) }));
  return { code: exit, output, requests };
}

describe("the curl examples of the README and docs/", () => {
  it("finds examples in the README and in every docs page that has some", () => {
    expect(examples.filter((e) => e.file === "README.md").length).toBeGreaterThan(5);
    expect(new Set(examples.map((e) => e.file)).size).toBeGreaterThan(10);
  });

  for (const example of examples) {
    it(`${example.file}:${example.line}${example.expectError ? " (an error)" : ""}`, async () => {
      const run = await runBlock(example);
      const context = `${example.file}:${example.line}\n${example.code}\n--- output ---\n${run.output}\n--- requests ---\n${run.requests.map((r) => `${r.status} curl ${r.command}`).join("\n")}\n--- server ---\n${server.output().slice(-3000)}`;
      expect(run.code, context).toBe(0);
      expect(run.requests.length, context).toBeGreaterThan(0);
      const wrong = run.requests.filter((r) => {
        const status = Number(r.status);
        return example.expectError ? !(status >= 400) : !(status >= 200 && status < 400);
      });
      expect(wrong, context).toEqual([]);
    }, 30_000);
  }
});
