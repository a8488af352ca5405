import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { ServiceUnavailableError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";
import { busy } from "../../plugins/load-shedding.js";

export interface HealthDeps {
  /** Resolves when the database answers; throws ServiceUnavailableError otherwise. */
  pingDatabase(): Promise<void>;
  isShuttingDown(): boolean;
  /** Why the node sheds every request right now (load shedding), or undefined. */
  underPressure(): string | undefined;
  startedAt: Date;
}

const tags = ["Health"];

/**
 * Liveness (`/health`: the process answers) and readiness (`/ready`: a request sent now is served —
 * not while shutting down, while under pressure it would shed every request for, or without its database).
 */
export const healthRoutes: FastifyPluginAsyncZod<HealthDeps> = async (app, deps) => {
  app.get(
    "/health",
    {
      schema: { operationId: "health", tags, response: { 200: z.object({ status: z.literal("ok"), uptime: z.number() }) } },
      config: { auth: "public", rateLimit: false },
    },
    async () => ({ status: "ok" as const, uptime: Math.round((Date.now() - deps.startedAt.getTime()) / 1000) }),
  );

  app.get(
    "/ready",
    {
      schema: {
        operationId: "ready",
        tags,
        response: { 200: z.object({ status: z.literal("ready"), database: z.literal("ok") }), ...errors(503) },
      },
      config: { auth: "public", rateLimit: false },
    },
    async () => {
      if (deps.isShuttingDown()) throw new ServiceUnavailableError("shutting_down", "This node is shutting down.");
      const pressure = deps.underPressure();
      if (pressure) throw busy(pressure);
      await deps.pingDatabase();
      return { status: "ready" as const, database: "ok" as const };
    },
  );
};
