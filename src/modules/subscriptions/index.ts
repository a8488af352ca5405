/**
 * The subscriptions module's public API: other modules import this file only.
 */
export { subscriptionsRoutes } from "./subscriptions.routes.js";
export { createSubscriptionsService, type SubscriptionsService } from "./subscriptions.service.js";
export { createSubscriptionBilling, type RenewSubscriptionJob, type SubscriptionBilling } from "./subscriptions.billing.js";
export { endUserSubscriptions } from "./subscriptions.erase.js";
export { hasLiveSubscriptions, hasSubscriptions, liveSubscriptionsTo } from "./subscriptions.repo.js";
export { extendSubscriptionEvents } from "./subscriptions.calendar.js";
export { SubscriptionAccessCache } from "./access/cache.js";
export { createSubscriptionAccess, type SubscriptionAccess } from "./access/gate.js";
export { syncPlatformPlan, type SyncPlatformPlanJob } from "./access/host.js";
