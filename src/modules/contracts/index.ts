/**
 * The contracts module's public API: other modules import this file only.
 */
export { contractsRoutes } from "./contracts.routes.js";
export { createContractsService, type ContractsService } from "./contracts.service.js";
export { createContractSettlement, type ContractSettlement, type OrderJob, type OrderJobName, type SettleContractJob } from "./contracts.settlement.js";
export { estimateFeeBody, feeEstimateSchema } from "./contracts.schemas.js";
export { isSellerOf, lockForSubscription, priceForSubscription } from "./operations/subscription-terms.js";
export { DEFAULT_HOLD_RULES, expiredHoldsSql, releaseExpiredHolds, sweepExpiredHolds, type HoldRules } from "./stock-holds.js";
export { countSentContractItems } from "./contracts.products.js";
export { contractExists, contractView } from "./contracts.repo.js";
export type { ContractResponse } from "./contracts.schemas.js";
export { contractsOwingSeller, contractsSoldBySql } from "./contracts.payouts.js";
export { cancelBookingsOfRefundedOrder } from "./refund-bookings.js";
