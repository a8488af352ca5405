import type { TaskList } from "graphile-worker";
import type { EmailMessage } from "../adapters/mailer/mailer.js";
import type { Db } from "../db/client.js";
import type { SettleContractJob } from "../modules/contracts/index.js";
import { sweepExpiredHolds } from "../modules/contracts/index.js";
import type { RenewSubscriptionJob } from "../modules/subscriptions/index.js";
import { sweepIdempotencyRecords } from "../plugins/idempotency.js";
import type { Services } from "./services.js";

/** The background jobs' handlers, by name (src/jobs/worker.ts schedules the periodic ones). */
export function createTasks(db: Db, s: Services): TaskList {
  const { clock } = s;
  return {
    "send-email": async (payload) => {
      await s.mailer.send(payload as EmailMessage);
    },
    "erase-due-users": async () => {
      while ((await s.erasure.eraseDueUsers(100)) === 100);
    },
    "sweep-idempotency": async () => {
      await sweepIdempotencyRecords(db, clock.now());
      await s.stripeWebhooks.sweep(clock.now());
    },
    "complete-refund": async (payload) => {
      await s.transactions.resumeRefund((payload as { refundId: string }).refundId);
    },
    "deliver-webhooks": async (payload, helpers) => {
      await s.deliveries.flush((payload as { endpointId: string }).endpointId, helpers.abortSignal);
    },
    "sweep-webhooks": async () => {
      await s.deliveries.sweep();
    },
    "settle-contract": async (payload) => {
      await s.settlement.resume(payload as SettleContractJob);
    },
    "renew-subscriptions": async () => {
      await s.billing.sweep();
    },
    "compact-analytics": async () => {
      await s.analytics.compact();
    },
    "release-stock-holds": async () => {
      await sweepExpiredHolds(db, clock.now());
    },
    "renew-subscription": async (payload) => {
      await s.billing.bringUpToDate(payload as RenewSubscriptionJob);
    },
  };
}
