import { assertCents } from "./allocate.js";

/**
 * Figures of the transactions analytics that need rounding, kept exact.
 *
 * Monthly recurring revenue. A month is a twelfth of a 365.25-day year: 30.4375 days, 730.5 hours.
 * Each cycle's price becomes a monthly amount by an exact factor, written over a common
 * denominator of 672 so the whole sum stays an integer until it is rounded once, at the end:
 *
 * | cycle    | months per cycle⁻¹ | factor / 672 |
 * |----------|--------------------|--------------|
 * | hourly   | × 730.5            | 490 896      |
 * | daily    | × 30.4375          | 20 454       |
 * | weekly   | × 30.4375 / 7      | 2 922        |
 * | biweekly | × 30.4375 / 14     | 1 461        |
 * | monthly  | × 1                | 672          |
 * | yearly   | ÷ 12               | 56           |
 *
 * MRR = round-half-up(Σ price × factor / 672) cents; ARR = 12 × MRR.
 */
export type RecurringCycle = "hourly" | "daily" | "weekly" | "biweekly" | "monthly" | "yearly";

export const MONTHLY_DENOMINATOR = 672;

export const MONTHLY_FACTORS: Readonly<Record<RecurringCycle, number>> = {
  hourly: 490_896,
  daily: 20_454,
  weekly: 2_922,
  biweekly: 1_461,
  monthly: 672,
  yearly: 56,
};

/** ⌊numerator / denominator + ½⌋ for non-negative integers, exactly (BigInt). */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n) throw new RangeError("divideRoundHalfUp takes a non-negative numerator and a positive denominator.");
  return (2n * numerator + denominator) / (2n * denominator);
}

/** MRR in cents from Σ price × factor (what SQL sums), rounded once, half up. */
export function mrrFromScaledSum(scaledSum: bigint): number {
  return Number(divideRoundHalfUp(scaledSum, BigInt(MONTHLY_DENOMINATOR)));
}

/** The same figure from the subscriptions themselves. */
export function monthlyRecurringRevenue(subscriptions: readonly { price: number; cycle: RecurringCycle }[]): number {
  let sum = 0n;
  for (const { price, cycle } of subscriptions) {
    assertCents(price, "price");
    sum += BigInt(price) * BigInt(MONTHLY_FACTORS[cycle]);
  }
  return mrrFromScaledSum(sum);
}

export function annualRecurringRevenue(mrr: number): number {
  assertCents(mrr, "mrr");
  return 12 * mrr;
}

/** The mean of `count` amounts summing to `sum`, in whole cents, half up. */
export function averageCents(sum: bigint, count: bigint): number {
  if (count === 0n) return 0;
  return Number(divideRoundHalfUp(sum, count));
}

/**
 * A median as PostgreSQL's `percentile_cont(0.5)` gives it — a middle value, or the mean of the
 * two middle values, so an integer or an integer and a half — in whole cents, half up.
 */
export function medianCents(median: number): number {
  const doubled = Math.round(median * 2);
  if (!Number.isSafeInteger(doubled) || doubled < 0 || Math.abs(doubled - median * 2) > 1e-6) {
    throw new RangeError(`A median of integer cents is a whole or half cent, got ${median}.`);
  }
  return Number(divideRoundHalfUp(BigInt(doubled), 2n));
}
