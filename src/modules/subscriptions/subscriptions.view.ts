import type { Prisma } from "../../db/client.js";
import type { Subscription } from "../../generated/prisma/client.js";
import { toApiDate } from "../../lib/time.js";
import { notifyInvalidation } from "../../db/invalidation.js";
import { recordEvent } from "../events/index.js";
import { enqueueHostSync } from "./access/host.js";
import type { EventType } from "../events/index.js";
import type { PauseReason, SubscriptionResponse } from "./subscriptions.schemas.js";

/** The subscription object: the documented fields, then ours. */
export function toSubscriptionResponse(s: Subscription): SubscriptionResponse {
  const scheduled = s.ended === null && !s.pastDue;
  return {
    id: s.id,
    platform_id: s.platformId,
    user_id: s.userId,
    service_id: s.serviceId,
    price: s.price,
    isActive: s.isActive,
    isPaused: s.isPaused,
    pausedAt: toApiDate(s.pausedAt),
    pausedUntil: toApiDate(s.pausedUntil),
    pauseReason: s.isPaused ? ((s.pauseReason as PauseReason | null) ?? "admin") : null,
    cycle: s.cycle,
    startDate: toApiDate(s.startDate),
    ended: toApiDate(s.ended),
    mode: s.mode,
    contract_id: s.contractId,
    currency: s.currency,
    currentPeriodStart: toApiDate(s.currentPeriodStart),
    currentPeriodEnd: toApiDate(s.currentPeriodEnd),
    pastDue: s.pastDue,
    failedAttempts: s.failedAttempts,
    nextAttempt: !scheduled ? null : s.failedAttempts > 0 && s.nextAttemptAt ? toApiDate(s.nextAttemptAt) : toApiDate(s.currentPeriodEnd),
    created: toApiDate(s.created),
    updated: toApiDate(s.updated),
  };
}

/**
 * Records a subscription's event — last in the change's transaction — with the subscription as it
 * is now in that transaction; answers the object. Every change of a subscription comes here, so this
 * is also where the subscriber's cached access is evicted on every node (`subscriber:<user id>`, at
 * commit) and, for a host subscription that pays for a platform, that platform's
 * `activeSubscription` is brought up to date (a job: the platform is another tenant, see host.ts).
 */
export async function recordSubscriptionEvent(tx: Prisma.TransactionClient, id: string, type: EventType, requestId: string | null): Promise<SubscriptionResponse> {
  const row = await tx.subscription.findUniqueOrThrow({ where: { id } });
  const object = toSubscriptionResponse(row);
  await notifyInvalidation(tx, `subscriber:${row.userId}`);
  if (row.billedPlatformId) await enqueueHostSync(tx, row.billedPlatformId);
  await recordEvent(tx, { platformId: object.platform_id, mode: object.mode, requestId, type, object });
  return object;
}
