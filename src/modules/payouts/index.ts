/** The payouts module's public API: sellers' payouts, payout settings, balances and statements. */
export { payoutsRoutes } from "./payouts.routes.js";
export { createPayoutsService, type PayoutsService } from "./payouts.service.js";
