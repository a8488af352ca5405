/**
 * The transactions module's public API (minimal: what the app uses; the settlement restructuring
 * gives it its full shape).
 */
export { transactionsRoutes } from "./transactions.routes.js";
export { createTransactionsService, type TransactionsService } from "./transactions.service.js";
export { createAnalyticsService } from "./analytics.service.js";
