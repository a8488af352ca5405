import underPressure from "@fastify/under-pressure";
import type { FastifyBaseLogger, FastifyInstance, FastifyServerFactory } from "fastify";
import fp from "fastify-plugin";
import { type Counter, Gauge } from "prom-client";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { AppError } from "../lib/errors.js";
import { InFlightLimit, WINDOW_MS } from "../lib/in-flight-limit.js";
import { requestIdOf } from "../observability/request-id.js";

/**
 * Load shedding: a node over its limits answers 503 `server_busy` with `Retry-After` at once —
 * before authentication, before the database — instead of queueing work it would answer too late
 * (latency and memory grow with the queue). Two guards: a bound on the requests in flight (lowered
 * while the node is full and its accepted requests wait past a target: src/lib/in-flight-limit.ts), and
 * pressure — the mean event-loop delay over the last second, and heap and RSS as
 * @fastify/under-pressure samples them every second. The health routes are never shed; `/ready`
 * answers 503 while the node is under pressure (it would shed every request), not when it is merely
 * full (its requests in flight end within moments).
 *
 * The decision is taken on the HTTP server's own request event, before Fastify sees the request
 * (`Admission`, wired by app.ts's server factory): under a storm a node refuses thousands of
 * requests a second, and each refusal that went through Fastify's lifecycle (request id, logger,
 * hooks, serialisation, the request's log line) took event-loop time from the requests it had
 * accepted — time they spent unread in their sockets. A refusal is now a few writes. Refusals are
 * counted (`http_requests_shed_total`) and logged once a second, not one line each.
 * `app.inject()` does not pass through the server, so it is never shed.
 */
export interface LoadLimits {
  /** Requests in flight at once (0: no bound). */
  maxInFlight: number;
  /** The accepted requests' 90th percentile (ms) the bound adapts to keep while the node is full (0: the bound stays fixed). */
  targetLatency: number;
  /** The adapted bound never goes below this. */
  minInFlight: number;
  /** Mean event-loop delay over a sample, ms (0: off). */
  maxEventLoopDelay: number;
  maxHeapUsedMb: number;
  maxRssMb: number;
}

const EXEMPT = new Set(["/health", "/ready", "/health/", "/ready/"]);
const RETRY_AFTER_SECONDS = 1;
const SAMPLE_MS = 1_000;
const RESOLUTION_MS = 10;
const REPORT_MS = 1_000;

declare module "fastify" {
  interface FastifyInstance {
    /** Requests this node is answering right now (those counted against LOAD_MAX_IN_FLIGHT). */
    inFlight(): number;
    /** The bound on them now (LOAD_MAX_IN_FLIGHT, or lower while full and slow; 0: none). */
    inFlightLimit(): number;
    /** Why this node sheds every request right now (event-loop delay, heap, RSS), or undefined. */
    underPressure(): string | undefined;
    /** The gate every request the HTTP server receives passes first (app.ts). */
    admission: Admission;
  }
}

/**
 * A refused request's `Retry-After`: 1, 2 or 3 seconds at random. Clients that honour it and were
 * refused together would otherwise all come back together, a second later, to be mostly refused
 * again: the overload bench's accepted answers were slow in exactly those waves, each second.
 */
const retryAfter = () => RETRY_AFTER_SECONDS + Math.floor(Math.random() * (RETRY_AFTER_SPREAD + 1));
const RETRY_AFTER_SPREAD = 2;

const busyMessage = (why: string) => `This node is too busy to take the request (${why}). Retry shortly.`;

/** `/ready`'s answer while under pressure (through Fastify's error handler, as any route's error). */
export const busy = (why: string) => new AppError(503, "api_error", "server_busy", busyMessage(why), { headers: { "retry-after": String(RETRY_AFTER_SECONDS) } });

function exempt(req: IncomingMessage): boolean {
  if (req.method === "OPTIONS") return true;
  const url = req.url ?? "";
  const query = url.indexOf("?");
  return EXEMPT.has(query < 0 ? url : url.slice(0, query));
}

/**
 * What a node takes in: every request the HTTP server receives is admitted (handed to Fastify and
 * counted in flight until its answer ends) or refused with 503 there and then.
 */
export class Admission {
  private count = 0;
  readonly limit: InFlightLimit;
  /** Why every request is refused now; set by the plugin once it samples memory and the event loop. */
  pressure: () => string | undefined = () => undefined;
  private shedSince: Record<string, number> = {};
  private report: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: LoadLimits,
    private readonly log: FastifyBaseLogger,
    private readonly shedCounter?: Counter<"reason">,
  ) {
    this.limit = new InFlightLimit({
      max: limits.maxInFlight,
      min: Math.min(limits.maxInFlight, limits.minInFlight),
      targetMs: limits.targetLatency,
      now: () => performance.now(),
    });
  }

  inFlight(): number {
    return this.count;
  }

  /** The bound now (0: none). */
  bound(): number {
    return this.limits.maxInFlight > 0 ? this.limit.current() : 0;
  }

  /** Whether the request goes on to Fastify; if not, it has been answered. */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (exempt(req)) return true;
    const why = this.pressure();
    if (why) return this.refuse(req, res, why.replaceAll(" ", "_"), why);
    if (this.limits.maxInFlight <= 0) return true;
    const bound = this.limit.current();
    if (this.count >= bound) {
      this.limit.refused();
      return this.refuse(req, res, "in_flight", `${bound} requests in flight`);
    }
    this.count += 1;
    const started = performance.now();
    // Whichever comes first: the answer sent, or the connection closed (a client that went away).
    res.once("close", () => {
      this.count -= 1;
      if (res.writableFinished) this.limit.answered(performance.now() - started);
    });
    return true;
  }

  private refuse(req: IncomingMessage, res: ServerResponse, reason: string, why: string): false {
    const id = requestIdOf(req.headers);
    const body = JSON.stringify({ error: { type: "api_error", code: "server_busy", message: busyMessage(why), request_id: id } });
    res.writeHead(503, {
      "content-type": "application/json; charset=utf-8",
      "content-length": Buffer.byteLength(body),
      "retry-after": String(retryAfter()),
      "request-id": id,
      "x-content-type-options": "nosniff",
    });
    res.end(body);
    this.shedCounter?.inc({ reason });
    this.shedSince[reason] = (this.shedSince[reason] ?? 0) + 1;
    this.report ??= setTimeout(() => {
      this.log.warn({ shed: this.shedSince }, "load shedding: requests answered 503 server_busy in the last second");
      this.shedSince = {};
      this.report = undefined;
    }, REPORT_MS).unref();
    return false;
  }
}

/**
 * The HTTP(S) server Fastify would create (the same timeouts), whose request event asks the
 * admission first: Fastify's `serverFactory`.
 */
export function admittingServer(admission: Admission, https: { cert: Buffer; key: Buffer } | undefined): FastifyServerFactory {
  return (handler, fastifyOptions) => {
    const options = fastifyOptions as { keepAliveTimeout?: number; requestTimeout?: number; connectionTimeout?: number; maxRequestsPerSocket?: number };
    const listener = (req: IncomingMessage, res: ServerResponse) => {
      if (admission.admit(req, res)) handler(req, res);
    };
    const server = https ? createHttpsServer(https, listener) : createHttpServer(listener);
    if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
    if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
    server.setTimeout(options.connectionTimeout ?? 0);
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };
}

async function loadShedding(app: FastifyInstance, limits: LoadLimits): Promise<void> {
  const mb = 1024 * 1024;
  // under-pressure only samples memory here (no thresholds given, so it adds no hook of its own):
  // the decision is ours, so that requests and `/ready` make the same one.
  await app.register(underPressure, { sampleInterval: SAMPLE_MS });

  // The event-loop delay is sampled here rather than by under-pressure so that the sample can be
  // restarted when the node starts listening: the boot's own work (loading modules, migrating, compiling
  // queries) blocks the loop for long stretches, and a sample holding it made a node just started
  // shed its first requests for up to a second while `/ready` said ready.
  let eventLoopDelay = 0;
  if (limits.maxEventLoopDelay > 0) {
    const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.enable();
    const timer = setInterval(() => {
      // No sample in a whole interval: the loop was blocked throughout.
      eventLoopDelay = Number.isNaN(histogram.mean) ? Number.POSITIVE_INFINITY : Math.max(0, histogram.mean / 1e6 - RESOLUTION_MS);
      histogram.reset();
    }, SAMPLE_MS);
    timer.unref();
    app.addHook("onListen", async () => {
      histogram.reset();
      eventLoopDelay = 0;
    });
    app.addHook("onClose", async () => {
      clearInterval(timer);
      histogram.disable();
    });
  }

  const pressure = (): string | undefined => {
    if (limits.maxEventLoopDelay > 0 && eventLoopDelay > limits.maxEventLoopDelay) return "event loop delay";
    const memory = app.memoryUsage();
    if (limits.maxHeapUsedMb > 0 && memory.heapUsed > limits.maxHeapUsedMb * mb) return "heap used";
    if (limits.maxRssMb > 0 && memory.rssBytes > limits.maxRssMb * mb) return "rss";
    return undefined;
  };
  app.decorate("underPressure", pressure);

  const admission = app.admission;
  admission.pressure = pressure;
  if (limits.maxInFlight > 0 && limits.targetLatency > 0) {
    const timer = setInterval(() => admission.limit.adjust(), WINDOW_MS);
    timer.unref();
    app.addHook("onClose", async () => clearInterval(timer));
  }
  app.decorate("inFlight", () => admission.inFlight());
  app.decorate("inFlightLimit", () => admission.bound());
  if (app.hasDecorator("metrics")) {
    new Gauge({
      name: "http_requests_in_flight",
      help: "Requests this node is answering now (those counted against its in-flight bound)",
      registers: [app.metrics.registry],
      collect() {
        this.set(admission.inFlight());
      },
    });
    new Gauge({
      name: "http_requests_in_flight_limit",
      help: "The in-flight bound now: LOAD_MAX_IN_FLIGHT, or lower while the node is full and slow (0: none)",
      registers: [app.metrics.registry],
      collect() {
        this.set(admission.bound());
      },
    });
  }
}

export default fp(loadShedding, { name: "load-shedding" });
