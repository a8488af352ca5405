import underPressure from "@fastify/under-pressure";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { Gauge } from "prom-client";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { AppError } from "../lib/errors.js";
import { InFlightLimit, WINDOW_MS } from "../lib/in-flight-limit.js";
import { sendError } from "./error-handler.js";

/**
 * Load shedding: a node over its limits answers 503 `server_busy` with `Retry-After` at once —
 * before authentication, before the database — instead of queueing work it would answer too late
 * (latency and memory grow with the queue). Two guards: a bound on the requests in flight (lowered
 * while the node is full and its accepted requests wait past a target: src/lib/in-flight-limit.ts), and
 * pressure — the mean event-loop delay over the last second, and heap and RSS as
 * @fastify/under-pressure samples them every second. The health routes are never shed; `/ready`
 * answers 503 while the node is under pressure (it would shed every request), not when it is merely
 * full (its requests in flight end within moments).
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

const EXEMPT = new Set(["/health", "/ready"]);
const RETRY_AFTER_SECONDS = 1;
const SAMPLE_MS = 1_000;
const RESOLUTION_MS = 10;

declare module "fastify" {
  interface FastifyInstance {
    /** Requests this node is answering right now (those counted against LOAD_MAX_IN_FLIGHT). */
    inFlight(): number;
    /** The bound on them now (LOAD_MAX_IN_FLIGHT, or lower while full and slow; 0: none). */
    inFlightLimit(): number;
    /** Why this node sheds every request right now (event-loop delay, heap, RSS), or undefined. */
    underPressure(): string | undefined;
  }
}

export const busy = (why: string) =>
  new AppError(503, "api_error", "server_busy", `This node is too busy to take the request (${why}). Retry shortly.`, { headers: { "retry-after": String(RETRY_AFTER_SECONDS) } });

/**
 * A refusal costs next to nothing: answered from the hook, with no error thrown (no stack trace
 * captured) and no error logged — under a storm a node refuses thousands a second, and each used
 * to be logged at `error` with its stack. The request's one line still carries the code.
 */
function shed(reply: FastifyReply, why: string): FastifyReply {
  return sendError(reply, {
    status: 503,
    type: "api_error",
    code: "server_busy",
    message: `This node is too busy to take the request (${why}). Retry shortly.`,
    headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
  });
}

function exempt(request: FastifyRequest): boolean {
  const path = request.url.split("?", 1)[0]!;
  return EXEMPT.has(path) || request.method === "OPTIONS";
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

  let inFlight = 0;
  const limit = new InFlightLimit({
    max: limits.maxInFlight,
    min: Math.min(limits.maxInFlight, limits.minInFlight),
    targetMs: limits.targetLatency,
    now: () => performance.now(),
  });
  if (limits.maxInFlight > 0 && limits.targetLatency > 0) {
    const timer = setInterval(() => limit.adjust(), WINDOW_MS);
    timer.unref();
    app.addHook("onClose", async () => clearInterval(timer));
  }
  app.decorate("inFlight", () => inFlight);
  app.decorate("inFlightLimit", () => (limits.maxInFlight > 0 ? limit.current() : 0));
  if (app.hasDecorator("metrics")) {
    new Gauge({
      name: "http_requests_in_flight",
      help: "Requests this node is answering now (those counted against its in-flight bound)",
      registers: [app.metrics.registry],
      collect() {
        this.set(inFlight);
      },
    });
    new Gauge({
      name: "http_requests_in_flight_limit",
      help: "The in-flight bound now: LOAD_MAX_IN_FLIGHT, or lower while the node is full and slow (0: none)",
      registers: [app.metrics.registry],
      collect() {
        this.set(app.inFlightLimit());
      },
    });
  }
  const counted = new WeakSet<FastifyRequest>();
  const release = (request: FastifyRequest) => {
    if (!counted.delete(request)) return false;
    inFlight -= 1;
    return true;
  };
  app.addHook("onRequest", async (request, reply) => {
    if (exempt(request)) return;
    const why = pressure();
    if (why) return shed(reply, why);
    if (limits.maxInFlight <= 0) return;
    const bound = limit.current();
    if (inFlight >= bound) {
      limit.refused();
      return shed(reply, `${bound} requests in flight`);
    }
    inFlight += 1;
    counted.add(request);
    // Whichever comes first: the answer sent, or the connection closed (a client that went away).
    reply.raw.once("close", () => release(request));
  });
  app.addHook("onResponse", async (request, reply) => {
    if (release(request)) limit.answered(reply.elapsedTime);
  });
}

export default fp(loadShedding, { name: "load-shedding" });
