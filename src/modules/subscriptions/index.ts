/**
 * The subscriptions module's public API (minimal: what the other modules and the app use; the
 * settlement restructuring gives it its full shape).
 */
export { subscriptionsRoutes } from "./subscriptions.routes.js";
export { createSubscriptionsService, type SubscriptionsService } from "./subscriptions.service.js";
export { createSubscriptionBilling, type RenewSubscriptionJob, type SubscriptionBilling } from "./subscriptions.billing.js";
export { endUserSubscriptions } from "./subscriptions.erase.js";
