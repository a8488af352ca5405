import {
  lineTotal,
  FeeRuleError,
  estimateFees,
  feesByCollector,
  rebalanceContract,
  type ContractFigures,
  type FeeEstimate,
  type FeeType as DomainFeeType,
  type FeesByCollector,
} from "../../domain/fees/index.js";
import type { FeeType } from "../../generated/prisma/enums.js";
import { UnprocessableError } from "../../lib/errors.js";

/**
 * What an amount costs: the rates, the figures of a contract (each buyer's due, each seller's owed,
 * the fee rows) and the 422s of figures that cannot add up. Contracts price with `computeFigures`,
 * the fee estimate with `estimateFee`, subscriptions fix their terms from `collectedFees` — so the
 * pure rules of `domain/fees` are reached from one place, with one mapping of their errors.
 */

/** Fee rates that do not depend on the platform (config: STRIPE_FEE_*, CANDLE_FEE_PERCENT). */
export interface BaseRates {
  stripePercentBps: number;
  stripeFixedCents: number;
  candleBps: number;
}

/** The 422 for figures that cannot add up, with the gap in cents. */
export function feeRuleError(err: FeeRuleError): UnprocessableError {
  const param = err.party === "buyers" ? "dueAmount" : err.party === "sellers" ? "owedAmount" : undefined;
  return new UnprocessableError(err.code, err.message, param, { gap_cents: err.gapCents });
}

/** The largest contract total PostgreSQL's integer columns hold. */
export const MAX_CONTRACT_TOTAL = 2_147_483_647;

export const DB_FEE_TYPE: Readonly<Record<DomainFeeType, FeeType>> = {
  "stripe:cc": "stripe_cc",
  "candle:base": "candle_base",
  "platform:base": "platform_base",
  shipping: "shipping",
  custom: "custom",
};

export const API_FEE_TYPE: Readonly<Record<FeeType, string>> = {
  stripe_cc: "stripe:cc",
  stripe_us_bank_account: "stripe:us_bank_account",
  candle_base: "candle:base",
  platform_base: "platform:base",
  shipping: "shipping",
  custom: "custom",
};

/** What the figures are computed from: a stored contract's state, or one being built. */
export interface FigureInput {
  items: readonly { userId: string; total: number }[];
  fees: readonly { id: string; type: FeeType; amount: number; payer: "buyers" | "sellers" }[];
  /** Shipping lines: `userId` the seller whose items they ship, paid to them unless the platform's rate (`payee`). */
  shipping?: readonly { userId: string; payee: "seller" | "platform"; amount: number }[];
  buyers: readonly { userId: string; pinned: boolean; amountDue: number }[];
  sellers: readonly { userId: string; pinned: boolean; amountOwed: number }[];
  includeStripeFees: boolean;
  includeCandleFees: boolean;
  includePlatformFees: boolean;
}

/** Every figure of a contract, from its state as it is now (throws the 422 of impossible pins). */
export function computeFigures(c: FigureInput, rates: BaseRates, platformBps: number): ContractFigures {
  let figures: ContractFigures;
  try {
    figures = rebalanceContract({
      items: c.items.map((item) => ({ sellerUserId: item.userId, total: item.total })),
      customFees: c.fees.filter((fee) => fee.type === "custom").map((fee) => ({ id: fee.id, amount: fee.amount, payer: fee.payer })),
      shipping: (c.shipping ?? []).map((line) => ({ sellerUserId: line.payee === "seller" ? line.userId : null, amount: line.amount })),
      buyers: c.buyers.map((b) => ({ userId: b.userId, pinnedAmountDue: b.pinned ? b.amountDue : null })),
      sellers: c.sellers.map((s) => ({ userId: s.userId, pinnedAmountOwed: s.pinned ? s.amountOwed : null })),
      rates: { ...rates, platformBps },
      include: { stripe: c.includeStripeFees, candle: c.includeCandleFees, platform: c.includePlatformFees },
    });
  } catch (err) {
    if (err instanceof FeeRuleError) throw feeRuleError(err);
    throw err;
  }
  if (figures.total > MAX_CONTRACT_TOTAL) {
    throw new UnprocessableError("amount_too_large", `The contract would total ${figures.total}¢; a contract totals at most ${MAX_CONTRACT_TOTAL}¢.`);
  }
  return figures;
}

/**
 * One line's total (a contract item, a cart line): its units and the add-ons chosen on it, each
 * once per unit (domain/fees/items.ts). 422 `amount_too_large` past what a contract may total.
 */
export function priceLine(unitPrice: number, quantity: number, addOns: readonly { id: string; price: number }[] = []) {
  const line = lineTotal(unitPrice, quantity, addOns);
  if (line.total > MAX_CONTRACT_TOTAL) throw new UnprocessableError("amount_too_large", `An item totals at most ${MAX_CONTRACT_TOTAL}¢.`, "quantity");
  return line;
}

/** The figures of a one-buyer, one-seller contract for `amount` (the fee estimate); 422 when they cannot add up. */
export function estimateFee(amount: number, rates: BaseRates, platformBps: number, include: { stripe: boolean; candle: boolean; platform: boolean }): FeeEstimate {
  try {
    return estimateFees({ amount, rates: { ...rates, platformBps }, include });
  } catch (err) {
    if (err instanceof FeeRuleError) throw feeRuleError(err);
    throw err;
  }
}

/** A contract's stored fee rows by who keeps them: what the settlement's `fee:*` transactions record. */
export function collectedFees(fees: readonly { type: FeeType; amount: number }[]): FeesByCollector {
  return feesByCollector(fees.map((fee) => ({ type: API_FEE_TYPE[fee.type], amount: fee.amount })));
}
