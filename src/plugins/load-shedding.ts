import underPressure from "@fastify/under-pressure";
import type { FastifyInstance, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { AppError } from "../lib/errors.js";

/**
 * Load shedding: a node over its limits answers 503 `server_busy` with `Retry-After` at once —
 * before authentication, before the database — instead of queueing work it would answer too late
 * (latency and memory grow with the queue). Two guards: a bound on the requests in flight, and
 * @fastify/under-pressure's event-loop delay, heap and RSS thresholds (sampled every second). The
 * health routes are never shed: a busy node is alive and ready, only full.
 */
export interface LoadLimits {
  /** Requests in flight at once (0: no bound). */
  maxInFlight: number;
  /** Mean event-loop delay over a sample, ms (0: off). */
  maxEventLoopDelay: number;
  maxHeapUsedMb: number;
  maxRssMb: number;
}

const EXEMPT = new Set(["/health", "/ready"]);
const RETRY_AFTER_SECONDS = 1;

declare module "fastify" {
  interface FastifyInstance {
    /** Requests this node is answering right now (those counted against LOAD_MAX_IN_FLIGHT). */
    inFlight(): number;
  }
}

const busy = (why: string) =>
  new AppError(503, "api_error", "server_busy", `This node is too busy to take the request (${why}). Retry shortly.`, { headers: { "retry-after": String(RETRY_AFTER_SECONDS) } });

function exempt(request: FastifyRequest): boolean {
  const path = request.url.split("?", 1)[0]!;
  return EXEMPT.has(path) || request.method === "OPTIONS";
}

async function loadShedding(app: FastifyInstance, limits: LoadLimits): Promise<void> {
  const mb = 1024 * 1024;
  await app.register(underPressure, {
    maxEventLoopDelay: limits.maxEventLoopDelay,
    maxHeapUsedBytes: limits.maxHeapUsedMb * mb,
    maxRssBytes: limits.maxRssMb * mb,
    retryAfter: RETRY_AFTER_SECONDS,
    // Returning nothing lets the request through; a rejection is answered by our error handler, in the envelope.
    pressureHandler: (request, _reply, type) => (exempt(request) ? undefined : Promise.reject(busy(type.replace(/([A-Z])/g, " $1").toLowerCase()))),
  });

  let inFlight = 0;
  app.decorate("inFlight", () => inFlight);
  if (limits.maxInFlight <= 0) return;
  const counted = new WeakSet<FastifyRequest>();
  const release = (request: FastifyRequest) => {
    if (counted.delete(request)) inFlight -= 1;
  };
  app.addHook("onRequest", async (request, reply) => {
    if (exempt(request)) return;
    if (inFlight >= limits.maxInFlight) throw busy(`${limits.maxInFlight} requests in flight`);
    inFlight += 1;
    counted.add(request);
    // Whichever comes first: the answer sent, or the connection closed (a client that went away).
    reply.raw.once("close", () => release(request));
  });
  app.addHook("onResponse", async (request) => release(request));
}

export default fp(loadShedding, { name: "load-shedding" });
