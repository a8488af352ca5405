import type { Db, Prisma } from "../db/client.js";

/**
 * The job queue is graphile-worker on our own PostgreSQL. Jobs are added with its SQL function, so
 * a job enqueued inside a Prisma transaction exists exactly when the transaction commits — an
 * email is never sent for a change that rolled back, and never lost for one that committed.
 */
export type JobName =
  | "send-email"
  | "erase-due-users"
  | "sweep-idempotency"
  | "complete-refund"
  | "deliver-webhooks"
  | "sweep-webhooks"
  | "settle-contract"
  | "expire-order"
  | "complete-order"
  | "release-funds"
  | "unwind-order"
  | "renew-subscriptions"
  | "renew-subscription"
  | "compact-analytics"
  | "release-stock-holds"
  | "refresh-google-busy"
  | "refresh-google-busy-all"
  | "extend-subscription-events"
  | "sync-platform-plan"
  | "pay-out-thresholds"
  | "run-simulated-payouts";

export interface EnqueueOptions {
  runAt?: Date;
  /** Replaces (or, with `jobKeyMode: "preserve_run_at"`, keeps) a pending job with the same key. */
  jobKey?: string;
  jobKeyMode?: "replace" | "preserve_run_at" | "unsafe_dedupe";
  maxAttempts?: number;
  /** Jobs of one queue run one at a time, in order. */
  queueName?: string;
}

export type Executor = Pick<Db, "$executeRaw"> | Pick<Prisma.TransactionClient, "$executeRaw">;

export async function enqueue(db: Executor, name: JobName, payload: object, options: EnqueueOptions = {}): Promise<void> {
  await db.$executeRaw`SELECT graphile_worker.add_job(
    ${name}::text,
    payload => ${JSON.stringify(payload)}::json,
    queue_name => ${options.queueName ?? null}::text,
    run_at => ${options.runAt ?? null}::timestamptz,
    max_attempts => ${options.maxAttempts ?? null}::int,
    job_key => ${options.jobKey ?? null}::text,
    job_key_mode => ${options.jobKeyMode ?? "replace"}::text
  )`;
}
