import type { Task, TaskList } from "graphile-worker";
import type { EmailMessage } from "../adapters/mailer/mailer.js";
import { sweepSimulatorIdempotencyKeys } from "../adapters/payments/offline.js";
import { isOfflineGateway } from "../adapters/payments/from-config.js";
import type { Config } from "../config.js";
import type { Db } from "../db/client.js";
import { asSystem } from "../db/tenant.js";
import { isSealed, unseal } from "../lib/sealed.js";
import { pruneEvents } from "../modules/events/index.js";
import { pruneExpiredOAuthRecords } from "../modules/oauth/index.js";
import type { OrderJob, SettleContractJob } from "../modules/contracts/index.js";
import { sweepExpiredHolds } from "../modules/contracts/index.js";
import type { RefreshBusyJob } from "../modules/calendars/index.js";
import { extendSubscriptionEvents, syncPlatformPlan, type RenewSubscriptionJob, type SyncPlatformPlanJob } from "../modules/subscriptions/index.js";
import { sweepIdempotencyRecords } from "../plugins/idempotency.js";
import type { Services } from "./services.js";

/** The background jobs' handlers, by name (src/jobs/worker.ts schedules the periodic ones). */
export function createTasks(db: Db, s: Services, config: Readonly<Config>, secret: string): TaskList {
  const { clock } = s;
  const handlers: TaskList = {
    "send-email": async (payload) => {
      // Emails carrying a code are queued sealed (src/lib/sealed.ts).
      await s.mailer.send((isSealed(payload) ? unseal(secret, payload) : payload) as EmailMessage);
    },
    "erase-due-users": async () => {
      while ((await s.erasure.eraseDueUsers(100)) === 100);
    },
    "sweep-idempotency": async () => {
      await sweepIdempotencyRecords(db, clock.now());
      await s.stripeWebhooks.sweep(clock.now());
      await sweepSimulatorIdempotencyKeys(db, clock.now());
      await pruneExpiredOAuthRecords(db);
    },
    "complete-refund": async (payload) => {
      await s.transactions.resumeRefund((payload as { refundId: string }).refundId);
    },
    "deliver-webhooks": async (payload, helpers) => {
      await s.deliveries.flush((payload as { endpointId: string }).endpointId, helpers.abortSignal);
    },
    "prune-events": async () => {
      await pruneEvents(db, new Date(clock.now().getTime() - config.eventRetentionDays * 86_400_000));
    },
    "sweep-webhooks": async () => {
      await s.deliveries.sweep();
    },
    "settle-contract": async (payload) => {
      await s.settlement.resume(payload as SettleContractJob);
    },
    "expire-order": async (payload) => {
      await s.settlement.runOrderJob("expire-order", payload as OrderJob);
    },
    "complete-order": async (payload) => {
      await s.settlement.runOrderJob("complete-order", payload as OrderJob);
    },
    "release-funds": async (payload) => {
      await s.settlement.runOrderJob("release-funds", payload as OrderJob);
    },
    "unwind-order": async (payload) => {
      await s.settlement.runOrderJob("unwind-order", payload as OrderJob);
    },
    "renew-subscriptions": async () => {
      await s.billing.sweep();
    },
    "pay-out-thresholds": async () => {
      await s.payouts.payOutThresholds();
    },
    // The offline simulator plays Stripe's day of automatic payouts (Stripe does its own).
    "run-simulated-payouts": async () => {
      if (!isOfflineGateway(s.payments)) return;
      for (const { event } of await s.payments.runScheduledPayouts()) {
        await s.stripeWebhooks.receive({ rawBody: Buffer.from(event.rawBody), signature: event.signature });
      }
    },
    "compact-analytics": async () => {
      await s.analytics.compact();
    },
    "release-stock-holds": async () => {
      await sweepExpiredHolds(db, clock.now());
    },
    "refresh-google-busy": async (payload) => {
      await s.calendars.refreshBusy(payload as RefreshBusyJob);
    },
    "refresh-google-busy-all": async () => {
      await s.calendars.queueAllBusyRefreshes();
    },
    "extend-subscription-events": async () => {
      await extendSubscriptionEvents(db, clock.now());
    },
    "renew-subscription": async (payload) => {
      await s.billing.bringUpToDate(payload as RenewSubscriptionJob);
    },
    "sync-platform-plan": async (payload) => {
      await syncPlatformPlan(db, config.subscriptions.hostPlatformId, payload as SyncPlatformPlanJob);
    },
  };
  // Jobs sweep every platform, or carry ids found across platforms: the system scope (docs/tenancy.md).
  return Object.fromEntries(Object.entries(handlers).map(([name, handler]) => [name, ((payload, helpers) => asSystem(() => handler!(payload, helpers))) satisfies Task]));
}
