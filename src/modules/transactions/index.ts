/**
 * The transactions module's public API: other modules import this file only. It is the ledger's
 * read side (a transaction, lists, analytics) and the routes; the settlement module writes it.
 */
export { transactionsRoutes } from "./transactions.routes.js";
export { createTransactionsService, type TransactionsService } from "./transactions.service.js";
export { createAnalyticsService, type AnalyticsService } from "./analytics.service.js";
