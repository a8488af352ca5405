import { assertCents } from "./allocate.js";

/** Percentages are integer basis points (250 = 2.5 %), so no fee ever touches floating point. */
export interface FeeRates {
  /** Stripe's percentage of each charge; default 290 (2.9 %). */
  stripePercentBps?: number;
  /** Stripe's fixed part of each charge; default 30¢. */
  stripeFixedCents?: number;
  /** Candle's operator fee on `subTotal`; default 100 (1 %). */
  candleBps?: number;
  /** The platform's own fee on `subTotal` (`platform.platformFee`). */
  platformBps: number;
}

export type ResolvedFeeRates = Required<FeeRates>;

export const DEFAULT_STRIPE_PERCENT_BPS = 290;
export const DEFAULT_STRIPE_FIXED_CENTS = 30;
export const DEFAULT_CANDLE_BPS = 100;

const BPS_PER_UNIT = 10_000n;

export function resolveRates(rates: FeeRates): ResolvedFeeRates {
  const resolved: ResolvedFeeRates = {
    stripePercentBps: rates.stripePercentBps ?? DEFAULT_STRIPE_PERCENT_BPS,
    stripeFixedCents: rates.stripeFixedCents ?? DEFAULT_STRIPE_FIXED_CENTS,
    candleBps: rates.candleBps ?? DEFAULT_CANDLE_BPS,
    platformBps: rates.platformBps,
  };
  assertBps(resolved.candleBps, "candleBps");
  assertBps(resolved.platformBps, "platformBps");
  assertBps(resolved.stripePercentBps, "stripePercentBps");
  // At 100 % Stripe would keep every extra cent charged, so no charge could ever be grossed up.
  if (resolved.stripePercentBps >= 10_000) throw new RangeError("stripePercentBps must be below 10000.");
  assertCents(resolved.stripeFixedCents, "stripeFixedCents");
  return resolved;
}

/**
 * `round(base × bps / 10000)`, half up, in exact integer arithmetic (BigInt, so a large base times
 * a large rate cannot lose precision past 2^53).
 */
export function applyBps(base: number, bps: number): number {
  assertCents(base, "base");
  assertBps(bps, "bps");
  return Number((BigInt(base) * BigInt(bps) + BPS_PER_UNIT / 2n) / BPS_PER_UNIT);
}

/** What Stripe keeps of a charge of `charge` cents; nothing is charged, so nothing is kept, at 0. */
export function stripeActualFee(charge: number, rates: ResolvedFeeRates): number {
  if (charge === 0) return 0;
  return applyBps(charge, rates.stripePercentBps) + rates.stripeFixedCents;
}

/**
 * The smallest charge T ≥ `net` such that T − stripeActualFee(T) ≥ `net`: what to charge so that
 * after Stripe takes its cut, `net` is still there.
 *
 * With p = stripePercentBps and F = stripeFixedCents, stripeActualFee(T) = ⌊(T·p + 5000) / 10000⌋ + F,
 * and since T − F − net is an integer,
 *   T − ⌊(T·p + 5000) / 10000⌋ − F ≥ net
 *   ⟺ T − F − net + 1 > (T·p + 5000) / 10000
 *   ⟺ T·(10000 − p) ≥ 10000·(net + F) − 4999,
 * so T = ⌈(10000·(net + F) − 4999) / (10000 − p)⌉, in O(1). T − stripeActualFee(T) never decreases
 * as T grows (p < 10000, so one more cent raises Stripe's percentage by at most one cent), which is
 * why the first T that works is also the smallest.
 */
export function grossUpForStripe(net: number, rates: ResolvedFeeRates): number {
  assertCents(net, "net");
  if (net === 0) return 0;
  const numerator = BPS_PER_UNIT * (BigInt(net) + BigInt(rates.stripeFixedCents)) - (BPS_PER_UNIT / 2n - 1n);
  const denominator = BPS_PER_UNIT - BigInt(rates.stripePercentBps);
  const charge = Number((numerator + denominator - 1n) / denominator);
  // Already ≥ net for any p ≥ 0 and F ≥ 0; the max only spells the requirement out.
  return Math.max(charge, net);
}

function assertBps(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > 10_000) {
    throw new RangeError(`${name} must be an integer number of basis points from 0 to 10000, got ${value}.`);
  }
}
