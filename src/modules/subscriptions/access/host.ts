import type { Db } from "../../../db/client.js";
import type { Tx } from "../../../db/tenant.js";
import { enqueue } from "../../../jobs/queue.js";
import { setActiveSubscription } from "../../platforms/index.js";

/**
 * The host bills its platforms (HOST_PLATFORM_ID, docs/api/platforms.md): a subscription on the host
 * platform, made like any other, may name the platform it pays for (`billedPlatformId`, set when its
 * subscriber — an owner of that platform — subscribes with `platform_id`). That platform's
 * `activeSubscription` is the newest such subscription that is live (started, not ended, paused or
 * past due), else null.
 *
 * The subscription's change and the platform's row belong to two tenants, and a tenant's transaction
 * cannot write another's row (row-level security), so every change of a paying subscription queues
 * `sync-platform-plan` in its own transaction (it exists exactly when the change commits) and the job,
 * in the system scope like every job, recomputes the platform's `activeSubscription` from the
 * subscriptions themselves — idempotent, so a retried or repeated job sets the same answer.
 */
export type SyncPlatformPlanJob = { platformId: string };

export async function enqueueHostSync(tx: Tx, platformId: string): Promise<void> {
  const job: SyncPlatformPlanJob = { platformId };
  await enqueue(tx, "sync-platform-plan", job, { jobKey: `sync-platform-plan:${platformId}`, maxAttempts: 10 });
}

/**
 * The `sync-platform-plan` job (system scope): the platform's `activeSubscription` from its host
 * subscriptions. A node without HOST_PLATFORM_ID leaves it as it is (every node shares one configuration).
 */
export async function syncPlatformPlan(db: Db, hostPlatformId: string | undefined, job: SyncPlatformPlanJob): Promise<string | null | undefined> {
  if (!hostPlatformId) return undefined;
  return db.$transaction(async (tx) => {
    const live = await tx.subscription.findFirst({
      where: { platformId: hostPlatformId, billedPlatformId: job.platformId, incomplete: false, ended: null, isPaused: false, pastDue: false },
      orderBy: [{ created: "desc" }, { id: "desc" }],
      select: { id: true },
    });
    await setActiveSubscription(tx, job.platformId, live?.id ?? null);
    return live?.id ?? null;
  });
}
