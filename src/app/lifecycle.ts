import type { FastifyInstance } from "fastify";
import type { TaskList } from "graphile-worker";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { startInvalidationListener, type InvalidationListener } from "../db/invalidation.js";
import { asSystem } from "../db/tenant.js";
import { startWorker } from "../jobs/worker.js";
import { isDatabaseUnavailable } from "../plugins/error-handler.js";
import type { Services } from "./services.js";

/**
 * What runs beside the requests: the job worker and the cache-invalidation listener start when the
 * app is ready; on close they stop, then the rate-limit store and the mailer close.
 */
export function registerLifecycle(app: FastifyInstance, deps: { config: Readonly<Config>; databaseUrl?: string }, s: Services, tasks: TaskList): void {
  const { config } = deps;
  const logger = app.log as unknown as Logger;
  let worker: Awaited<ReturnType<typeof startWorker>> | undefined;
  if (config.jobs.worker && deps.databaseUrl) {
    const connectionString = deps.databaseUrl;
    app.addHook("onReady", async () => {
      worker = await startWorker({ connectionString, tasks, concurrency: config.jobs.concurrency, logger });
    });
  }
  // Settlements and renewals an earlier life of this node left `processing` are resumed now, not
  // when their leases lapse (the worker of this node, or of any other, runs the queued jobs).
  app.addHook("onReady", async () => {
    try {
      const [contracts, subscriptions] = await asSystem(async () => [await s.settlement.resumeAfterRestart(), await s.billing.resumeAfterRestart()]);
      if (contracts.length + subscriptions.length > 0) {
        logger.info({ contracts, subscriptions }, "resuming the settlements an earlier boot of this node left unfinished");
      }
    } catch (err) {
      // Their leases lapse and the queued jobs resume them anyway, seconds later.
      logger.warn({ err }, "could not resume the settlements of an earlier boot at once");
    }
  });
  const orphans = resumeOrphansWhenBack(s, logger);
  // Key, session and subscription-access lookups are cached only while this node can hear invalidations (LISTEN/NOTIFY).
  let invalidations: InvalidationListener | undefined;
  if (config.auth.cacheTtl > 0 && deps.databaseUrl) {
    const connectionString = deps.databaseUrl;
    app.addHook("onReady", async () => {
      invalidations = startInvalidationListener({
        connectionString,
        onMessage: s.invalidate,
        onConnected: () => {
          s.keyCache.setLive(true);
          s.sessionCache.setLive(true);
          s.accessCache.setLive(true);
        },
        onDisconnected: () => {
          s.keyCache.setLive(false);
          s.sessionCache.setLive(false);
          s.accessCache.setLive(false);
        },
        logger,
      });
    });
  }
  app.addHook("onClose", async () => {
    orphans.stop();
    await invalidations?.stop();
    await worker?.stop();
    await s.rateLimitStore.close();
    await s.mailer.close();
  });
}

/**
 * PostgreSQL going away under a running node cuts its settlers off mid-way: they cannot release
 * their leases. Once the database answers again, this boot's leases no settler works under any
 * more are freed and their jobs queued to run now (tried every 250 ms → 1 s until it answers).
 */
function resumeOrphansWhenBack(s: Services, logger: Logger): { stop(): void } {
  let pending = false;
  let running = false;
  let stopped = false;
  const loop = async () => {
    running = true;
    let delay = 250;
    while (pending && !stopped) {
      await new Promise((r) => setTimeout(r, delay).unref());
      pending = false;
      try {
        const [contracts, subscriptions] = await asSystem(async () => [await s.settlement.resumeOrphans(), await s.billing.resumeOrphans()]);
        if (contracts.length + subscriptions.length > 0) logger.info({ contracts, subscriptions }, "resuming the settlements the database cut off");
        delay = 250;
      } catch {
        pending = true;
        delay = Math.min(delay * 2, 1000);
      }
    }
    running = false;
  };
  s.leases.onLost((err) => {
    if (stopped || !isDatabaseUnavailable(err)) return;
    pending = true;
    if (!running) void loop();
  });
  return {
    stop: () => {
      stopped = true;
    },
  };
}
