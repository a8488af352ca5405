/**
 * The contracts module's public API (minimal: what the other modules and the app use; the
 * settlement restructuring gives it its full shape).
 */
export { contractsRoutes } from "./contracts.routes.js";
export { createContractsService, type ContractsService } from "./contracts.service.js";
export { createContractSettlement, type ContractSettlement, type SettleContractJob } from "./contracts.settlement.js";
export { estimateFeeBody, feeEstimateSchema } from "./contracts.schemas.js";
export { feeRuleError, type BaseRates } from "./contracts.state.js";
export { releaseExpiredHolds, sweepExpiredHolds } from "./stock-holds.js";
export { countSentContractItems } from "./contracts.products.js";
