import type { FeeRates } from "./rates.js";
import { rebalanceContract, type FeeInclusion, type FeeType } from "./rebalance.js";

export interface FeeEstimateInput {
  /** What the single seller asks for, in cents. */
  amount: number;
  rates: FeeRates;
  include: FeeInclusion;
}

export interface FeeEstimate {
  amount: number;
  /** What the buyer is charged. */
  total: number;
  stripeFee: number;
  candleFee: number;
  platformFee: number;
  sellerReceives: number;
}

const BUYER = "estimate:buyer";
const SELLER = "estimate:seller";

/**
 * `POST /utils/estimate/fee`: the figures of a one-seller, one-buyer contract for `amount`, by the
 * very code that prices real contracts, so an estimate can never drift from a charge. Throws
 * `FeeRuleError` (`amount_too_small`) when the sellers' fees would exceed the amount.
 */
export function estimateFees({ amount, rates, include }: FeeEstimateInput): FeeEstimate {
  const figures = rebalanceContract({
    items: [{ sellerUserId: SELLER, total: amount }],
    customFees: [],
    buyers: [{ userId: BUYER }],
    sellers: [{ userId: SELLER }],
    rates,
    include,
  });
  const fee = (type: FeeType) => figures.fees.find((row) => row.type === type)?.amount ?? 0;
  return {
    amount,
    total: figures.total,
    stripeFee: fee("stripe:cc"),
    candleFee: fee("candle:base"),
    platformFee: fee("platform:base"),
    sellerReceives: figures.sellers[0]!.amountOwed,
  };
}
