import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { TEST_JWT_SECRET } from "./app.js";
import { rawRequest, waitUntilReady, type RawResponse } from "./http-client.js";
import { runScript, type RunningProcess } from "./process.js";
import { startRedis } from "./redis.js";
import { startSmtpServer } from "./smtp.js";

/**
 * Several real API processes (`src/server.ts`, as `npm start` runs it) on one PostgreSQL, one
 * Redis and one SMTP server — the production shape of docker-compose.yml without the proxy. A test
 * picks the node each request goes to, and can kill a node (SIGKILL: no draining) and start it
 * again on the same port.
 */

export interface ClusterNode {
  readonly name: string;
  readonly port: number;
  readonly process: RunningProcess;
  request(options: { method: string; path: string; headers?: Record<string, string>; body?: unknown }): Promise<RawResponse & { json(): any }>;
  /** Kills the process at once (no graceful shutdown), as a crash or an OOM kill would. */
  kill(): Promise<void>;
  /** Starts the node again after a kill, with the same port and environment. */
  restart(): Promise<void>;
  alive(): boolean;
}

export interface Cluster {
  nodes: ClusterNode[];
  redisUrl: string;
  smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  stop(): Promise<void>;
}

export async function startCluster(options: { databaseUrl: string; nodes?: number; env?: Record<string, string> }): Promise<Cluster> {
  const redis = await startRedis();
  const smtp = await startSmtpServer();
  const dirs: string[] = [];

  async function startNode(name: string): Promise<ClusterNode> {
    const port = await freePort();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `candle-${name}-`));
    dirs.push(dataDir);
    const env = {
      PORT: String(port),
      DATABASE_URL: options.databaseUrl,
      DATA_DIR: dataDir,
      JWT_SECRET: TEST_JWT_SECRET,
      REDIS_URL: redis.url,
      SMTP_URL: smtp.url,
      LOG_LEVEL: "warn",
      SEED_DEMO_PLATFORM: "false",
      JOBS_WORKER: "true",
      DATABASE_POOL_SIZE: "5",
      ...options.env,
    };
    let proc = runScript("src/server.ts", [], env);
    const node: ClusterNode = {
      name,
      port,
      get process() {
        return proc;
      },
      async request({ method, path: p, headers = {}, body }) {
        const res = await rawRequest(port, {
          method,
          path: p,
          headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
          body: body === undefined ? undefined : JSON.stringify(body),
          timeoutMs: 20_000,
        });
        return { ...res, json: () => JSON.parse(res.body) };
      },
      async kill() {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) return;
        proc.child.kill("SIGKILL");
        await proc.exited;
      },
      async restart() {
        proc = runScript("src/server.ts", [], env);
        await waitUntilReady(port, { alive: () => proc.child.exitCode === null });
      },
      alive: () => proc.child.exitCode === null && proc.child.signalCode === null,
    };
    await waitUntilReady(port, { alive: () => proc.child.exitCode === null }).catch((err: Error) => {
      throw new Error(`${name} did not start: ${err.message}\n${proc.output().slice(-3_000)}`);
    });
    return node;
  }

  const names = Array.from({ length: options.nodes ?? 2 }, (_, i) => `node${String.fromCharCode(65 + i)}`);
  const nodes = await Promise.all(names.map(startNode));
  return {
    nodes,
    redisUrl: redis.url,
    smtp,
    async stop() {
      await Promise.all(
        nodes.map(async (node) => {
          if (!node.alive()) return;
          node.process.child.kill("SIGTERM");
          await node.process.exited;
        }),
      );
      await smtp.stop();
      await redis.stop();
      await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
    },
  };
}
