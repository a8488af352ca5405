/**
 * Fees and contract rebalancing: pure, all-integer (cents and basis points), no I/O.
 * The rules: docs/architecture.md, "Money and fees".
 */
export { allocateLargestRemainder } from "./allocate.js";
export { FeeRuleError, type FeeParty, type FeeRuleCode } from "./errors.js";
export { estimateFees, type FeeEstimate, type FeeEstimateInput } from "./estimate.js";
export {
  DEFAULT_CANDLE_BPS,
  DEFAULT_STRIPE_FIXED_CENTS,
  DEFAULT_STRIPE_PERCENT_BPS,
  applyBps,
  grossUpForStripe,
  resolveRates,
  stripeActualFee,
  type FeeRates,
  type ResolvedFeeRates,
} from "./rates.js";
export {
  rebalanceContract,
  type BuyerFigures,
  type BuyerParty,
  type ContractFeeInput,
  type ContractFigures,
  type ContractItemTotal,
  type CustomFee,
  type FeeInclusion,
  type FeeRow,
  type FeeType,
  type SellerFigures,
  type SellerParty,
  type ShippingLine,
} from "./rebalance.js";
export { allocateRefund, refundableAmount } from "./refunds.js";
export { lineTotal, type LineAddOn, type LineTotal, type PricedAddOn } from "./items.js";
export { feesByCollector, type FeesByCollector, type StoredFee } from "./settlement.js";
export {
  MONTHLY_DENOMINATOR,
  MONTHLY_FACTORS,
  annualRecurringRevenue,
  averageCents,
  divideRoundHalfUp,
  medianCents,
  monthlyRecurringRevenue,
  mrrFromScaledSum,
  type RecurringCycle,
} from "./metrics.js";
export { subscriptionTerms, type SubscriptionTerms } from "./subscription.js";
