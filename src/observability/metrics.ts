import http from "node:http";
import { timingSafeEqual } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import type pg from "pg";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Db } from "../db/client.js";
import { RateLimitError } from "../lib/errors.js";
import { answeredErrors } from "../plugins/error-handler.js";
import type { RateLimiter } from "../plugins/rate-limit.js";

/**
 * Prometheus metrics of one app (one registry per app, so several apps in one process — the tests —
 * keep their own counts). HTTP series are labelled with the route's pattern (`/v1/users/:id`), never
 * the raw URL, so a scan of random paths cannot blow up the series count.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status_code">;
  httpDuration: Histogram<"method" | "route" | "status_code">;
  httpErrors: Counter<"method" | "route" | "status_code" | "code">;
  rateLimitRefusals: Counter<"scope">;
  webhookDeliveries: Counter<"outcome">;
  webhookDuration: Histogram<"outcome">;
  settlements: Counter<"kind" | "outcome" | "code">;
  jobs: Counter<"task" | "outcome">;
  jobDuration: Histogram<"task" | "outcome">;
  poolAcquireWait: Histogram;
  paymentsCalls: Counter<"operation" | "outcome">;
  connectionsRefused: Counter;
  requestsShed: Counter<"reason">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const httpBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
  return {
    registry,
    httpRequests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests answered, by route pattern and status",
      labelNames: ["method", "route", "status_code"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "http_request_duration_seconds",
      help: "Time to answer an HTTP request, by route pattern and status",
      labelNames: ["method", "route", "status_code"],
      buckets: httpBuckets,
      registers: [registry],
    }),
    httpErrors: new Counter({
      name: "http_request_errors_total",
      help: "HTTP requests answered with a 4xx or 5xx, by route pattern, status and error code",
      labelNames: ["method", "route", "status_code", "code"],
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: "rate_limit_refusals_total",
      help: "Requests refused with 429, by the limit that refused them",
      labelNames: ["scope"],
      registers: [registry],
    }),
    webhookDeliveries: new Counter({
      name: "webhook_deliveries_total",
      help: "Outgoing webhook requests: delivered (2xx), rejected (another status), failed (no answer) or interrupted (shutdown)",
      labelNames: ["outcome"],
      registers: [registry],
    }),
    webhookDuration: new Histogram({
      name: "webhook_delivery_duration_seconds",
      help: "Time of one outgoing webhook request",
      labelNames: ["outcome"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    settlements: new Counter({
      name: "settlements_total",
      help: "Contract settlements run: complete, pending (a bank debit processing), refused (code: why) or error; the resume job's runs are kind contract_resume",
      labelNames: ["kind", "outcome", "code"],
      registers: [registry],
    }),
    jobs: new Counter({
      name: "jobs_total",
      help: "Jobs this node's worker ran, by task and outcome (success or failure)",
      labelNames: ["task", "outcome"],
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: "job_duration_seconds",
      help: "Run time of a job",
      labelNames: ["task", "outcome"],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
    poolAcquireWait: new Histogram({
      name: "db_pool_acquire_seconds",
      help: "Time waited for a database connection from the pool",
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    paymentsCalls: new Counter({
      name: "payments_requests_total",
      help: "Calls to the payments gateway (Stripe or the offline simulator), by operation and outcome",
      labelNames: ["operation", "outcome"],
      registers: [registry],
    }),
    connectionsRefused: new Counter({
      name: "http_connections_refused_total",
      help: "Connections closed as they arrived because the node had MAX_CONNECTIONS open",
      registers: [registry],
    }),
    requestsShed: new Counter({
      name: "http_requests_shed_total",
      help: "Requests answered 503 server_busy before any other work (load shedding), by reason: in_flight, event_loop_delay, heap_used, rss",
      labelNames: ["reason"],
      registers: [registry],
    }),
  };
}

/** Pool gauges read at scrape time, and the time each connection request waited. */
export function observePool(metrics: Metrics, pool: pg.Pool): void {
  const { registry } = metrics;
  new Gauge({
    name: "db_pool_connections",
    help: "Database connections of this node's pool, by state (busy: lent to a query or transaction)",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.set({ state: "idle" }, pool.idleCount);
      this.set({ state: "busy" }, pool.totalCount - pool.idleCount);
    },
  });
  new Gauge({
    name: "db_pool_max_connections",
    help: "Size of this node's pool (DATABASE_POOL_SIZE)",
    registers: [registry],
    collect() {
      this.set(pool.options.max ?? 10);
    },
  });
  new Gauge({
    name: "db_pool_waiting",
    help: "Requests waiting for a database connection now",
    registers: [registry],
    collect() {
      this.set(pool.waitingCount);
    },
  });
  const connect = pool.connect.bind(pool) as (callback?: (...args: unknown[]) => void) => unknown;
  (pool as { connect: unknown }).connect = (callback?: (...args: unknown[]) => void) => {
    const end = metrics.poolAcquireWait.startTimer();
    if (callback) {
      return connect((...args: unknown[]) => {
        end();
        callback(...args);
      });
    }
    return (connect() as Promise<unknown>).finally(end);
  };
}

/** The job queue's depth by task and state, read from graphile-worker's tables at scrape time. */
export function observeJobQueue(metrics: Metrics, db: Db): void {
  const states = ["ready", "scheduled", "running", "retrying", "dead"] as const;
  new Gauge({
    name: "jobs_queued",
    help: "Jobs in the queue (all nodes), by task and state: ready to run, scheduled later, running, retrying after a failure, dead (out of attempts)",
    labelNames: ["task", "state"],
    registers: [metrics.registry],
    async collect() {
      this.reset();
      let rows: ({ task: string } & Record<(typeof states)[number], number>)[];
      try {
        rows = await db.$queryRaw`
          SELECT task_identifier AS task,
            count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND run_at <= now() AND last_error IS NULL)::int AS ready,
            count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND run_at > now() AND last_error IS NULL)::int AS scheduled,
            count(*) FILTER (WHERE locked_at IS NOT NULL)::int AS running,
            count(*) FILTER (WHERE locked_at IS NULL AND attempts < max_attempts AND last_error IS NOT NULL)::int AS retrying,
            count(*) FILTER (WHERE attempts >= max_attempts)::int AS dead
          FROM graphile_worker.jobs GROUP BY task_identifier`;
      } catch {
        return; // the database is away: the scrape still answers, without this series
      }
      for (const row of rows) for (const state of states) this.set({ task: row.task, state }, row[state]);
    },
  });
}

/** `http_*` series for every request, labelled with the route pattern. */
export const httpMetrics = fp<{ metrics: Metrics }>(
  async (app, { metrics }) => {
    app.addHook("onResponse", async (request, reply) => {
      const route = request.routeOptions.url ?? "unmatched";
      const labels = { method: request.method, route, status_code: String(reply.statusCode) };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
      if (reply.statusCode >= 400) metrics.httpErrors.inc({ ...labels, code: answeredErrors.get(request)?.code ?? (reply.statusCode >= 500 ? "server_error" : "client_error") });
    });
  },
  { name: "http-metrics" },
);

/** The limiter, counting what it refuses by the kind of bucket (key, user, address, otp). */
export function countRefusals(limiter: RateLimiter, metrics: Metrics): RateLimiter {
  return {
    async consume(request, reply, bucket, max, windowSeconds) {
      try {
        await limiter.consume(request, reply, bucket, max, windowSeconds);
      } catch (err) {
        if (err instanceof RateLimitError) metrics.rateLimitRefusals.inc({ scope: bucketScope(bucket) });
        throw err;
      }
    },
  };
}

const SCOPES: Record<string, string> = { key: "key", user: "user", ip: "address", otp: "otp" };
function bucketScope(bucket: string): string {
  return SCOPES[bucket.slice(0, bucket.indexOf(":"))] ?? "address";
}

/** The text Prometheus scrapes. */
export function renderMetrics(metrics: Metrics): Promise<string> {
  return metrics.registry.metrics();
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `/metrics` on its own port (METRICS_PORT), away from the public API and its proxy; with
 * METRICS_TOKEN set, a scrape must send `Authorization: Bearer <token>`.
 */
export async function startMetricsServer(options: { metrics: Metrics; port: number; host: string; token?: string }): Promise<MetricsServer> {
  const expected = options.token ? Buffer.from(`Bearer ${options.token}`) : undefined;
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: scrape GET /metrics\n");
      return;
    }
    const given = Buffer.from(req.headers.authorization ?? "");
    if (expected && (given.length !== expected.length || !timingSafeEqual(given, expected))) {
      res.writeHead(401, { "content-type": "text/plain", "www-authenticate": 'Bearer realm="metrics"' }).end("a bearer token (METRICS_TOKEN) is required\n");
      return;
    }
    renderMetrics(options.metrics).then(
      (text) => res.writeHead(200, { "content-type": options.metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { "content-type": "text/plain" }).end(`metrics failed: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${address.port}/metrics`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

declare module "fastify" {
  interface FastifyInstance {
    /** This app's Prometheus registry and series (src/observability/metrics.ts). */
    metrics: Metrics;
  }
}

export type { FastifyInstance };
