import { Logger as GraphileLogger, run, runMigrations, type TaskList } from "graphile-worker";
import pg from "pg";
import type { Logger } from "pino";
import { isDatabaseUnavailable } from "../plugins/error-handler.js";

/**
 * The worker: runs in the API process by default (JOBS_WORKER=true), and any number of nodes may run
 * one — graphile-worker hands each job to one of them, and runs each crontab entry once per tick
 * across all of them.
 */

// Hourly housekeeping, spread over the hour; every minute, webhook runs lost with a killed worker and
// subscriptions with something due (renewals, retries, pauses running out), and the analytics'
// deltas moved into their rollups (analytics_compact(); the figures are exact either way, only
// faster with fewer deltas), and unpaid contracts' expired stock holds given back (availability is
// exact either way: whoever wants a product releases its expired holds first). Every quarter hour,
// busy times imported again from the Google calendars users connected; hourly, subscriptions'
// events placed on their parties' calendars as far ahead as they are kept.
export const CRONTAB = [
  "5 * * * * erase-due-users",
  "35 * * * * sweep-idempotency",
  "50 * * * * prune-events",
  "* * * * * sweep-webhooks",
  "* * * * * renew-subscriptions",
  "* * * * * compact-analytics",
  "* * * * * release-stock-holds",
  "*/15 * * * * refresh-google-busy-all",
  "20 * * * * extend-subscription-events",
  "40 * * * * pay-out-thresholds",
  "30 0 * * * run-simulated-payouts",
].join("\n");

export function graphileLogger(logger: Pick<Logger, "debug" | "info" | "warn" | "error">): GraphileLogger {
  return new GraphileLogger((scope) => (level, message, meta) => {
    // graphile-worker's meta carries the whole job on a failure, payload included (an email's
    // text, with its sign-in code): only the job's name and id are logged.
    const { job, ...rest } = (meta ?? {}) as { job?: { id?: string; task_identifier?: string } };
    const fields = { ...rest, job: scope.taskIdentifier ?? job?.task_identifier, jobId: scope.jobId ?? job?.id };
    if (level === "error") logger.error(fields, message);
    else if (level === "warning") logger.warn(fields, message);
    else if (level === "info") logger.debug(fields, message);
    else logger.debug(fields, message);
  });
}

/** Installs or upgrades graphile-worker's own schema (`graphile_worker`); safe on every boot. */
export async function migrateJobQueue(connectionString: string, logger: Pick<Logger, "debug" | "info" | "warn" | "error">): Promise<void> {
  // Our own pool, ended before we return, for the reason given in startWorker: graphile-worker's
  // own one could still hold a connection when the database stops next (`npm run migrate` stops
  // the embedded server right after), and its unhandled 'error' made the process exit 1.
  const pgPool = new pg.Pool({ connectionString, max: 2 });
  const onError = (err: Error) => logger.warn({ err }, "job queue migration connection error");
  pgPool.on("error", onError);
  pgPool.on("connect", (client) => client.on("error", onError));
  try {
    await runMigrations({ pgPool, logger: graphileLogger(logger) });
  } finally {
    await pgPool.end();
  }
}

export interface Worker {
  /** Stops taking jobs, waits for the running ones, and closes the worker's connections. */
  stop(): Promise<void>;
}

let loggerForLostRecords: Pick<Logger, "warn"> | undefined;

/** An unhandled rejection from graphile-worker's own queries, for a database that is unavailable (below). */
export function lostJobRecord(reason: unknown): boolean {
  const stack = reason instanceof Error ? (reason.stack ?? "") : "";
  return /[/\\]graphile-worker[/\\]/.test(stack) && isDatabaseUnavailable(reason);
}

/**
 * graphile-worker 0.18 does not await its record of a job that has finished (`completeJob(job)` and
 * `failJob(…)` in its worker.js): when the database goes away at that moment, that promise's
 * rejection is unhandled, and Node ends the process — `npm run chaos` saw the API exit while its
 * PostgreSQL restarted. Such a rejection, and only such (graphile-worker's, for a database that is
 * unavailable), is logged instead: the job is left as a crash would leave it — locked, and run again
 * once graphile-worker's lock on it expires — without the crash. Any other unhandled rejection
 * still ends the process, as Node's default does.
 */
function keepRunningWhenAJobRecordIsLost(logger: Pick<Logger, "warn">): void {
  const installed = loggerForLostRecords !== undefined;
  loggerForLostRecords = logger;
  if (installed) return;
  process.on("unhandledRejection", (reason) => {
    if (lostJobRecord(reason)) {
      loggerForLostRecords?.warn({ err: reason }, "the job queue could not record a finished job (database unavailable): it runs again once its lock expires");
      return;
    }
    throw reason;
  });
}

/** How long the worker's pool keeps an idle connection: past the crontab's minute. */
export const WORKER_IDLE_MS = 120_000;

export async function startWorker(options: {
  connectionString: string;
  tasks: TaskList;
  concurrency: number;
  crontab?: string;
  logger: Pick<Logger, "debug" | "info" | "warn" | "error">;
}): Promise<Worker> {
  // Our own pool rather than graphile-worker's: when its runner stops it ends its pool without
  // waiting and removes the pool's error handlers, so a connection still closing when the
  // database shuts down next raised an unhandled 'error' and the process exited 1.
  // Connections kept two minutes idle, not pg's 10 s: the crontab's jobs start together every minute,
  // and each new connection's first statements (a backend forked, its catalog caches filled,
  // graphile-worker's statements parsed) cost tens of ms of CPU at once, a tail for the requests
  // served beside them (bench/RESULTS.md, "The category page's tail").
  const pgPool = new pg.Pool({ connectionString: options.connectionString, max: Math.max(10, options.concurrency + 2), idleTimeoutMillis: WORKER_IDLE_MS });
  keepRunningWhenAJobRecordIsLost(options.logger);
  const onError = (err: Error) => options.logger.warn({ err }, "job queue connection error");
  pgPool.on("error", onError);
  pgPool.on("connect", (client) => client.on("error", onError));
  try {
    const runner = await run({
      pgPool,
      taskList: options.tasks,
      concurrency: options.concurrency,
      crontab: options.crontab ?? CRONTAB,
      // The process's own shutdown stops the worker, after the HTTP server drained.
      noHandleSignals: true,
      // Jobs are announced by NOTIFY; polling is what finds them while the LISTEN connection is down,
      // and graphile-worker reconnects it with a backoff of up to a minute after the database was
      // away — when the jobs resuming cut-off settlements are queued. Half a second keeps those
      // within the few seconds promised (docs/operations.md), for one cheap query per node.
      pollInterval: 500,
      logger: graphileLogger(options.logger),
    });
    return {
      async stop() {
        await runner.stop();
        await pgPool.end();
      },
    };
  } catch (err) {
    await pgPool.end();
    throw err;
  }
}
