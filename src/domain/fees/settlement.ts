import { assertCents } from "./allocate.js";

/** A contract's fee row as stored: its type (`stripe:cc`, `candle:base`, `platform:base`, `custom`, …) and amount. */
export interface StoredFee {
  type: string;
  amount: number;
}

/** What a settlement's fees add up to, by who keeps them. */
export interface FeesByCollector {
  /** What Stripe takes (`stripe:cc`, `stripe:us_bank_account`). */
  stripe: number;
  /** Candle's operator fee (`candle:base`). */
  candle: number;
  /** The platform's fee (`platform:base`), the custom fees and shipping at the platform's rates, which the platform keeps. */
  platform: number;
}

/**
 * Sums a contract's fee rows into the three `fee:*` transactions its settlement writes. Every cent
 * of every row lands in exactly one of them, so Σ fees of the contract = stripe + candle + platform.
 */
export function feesByCollector(fees: readonly StoredFee[]): FeesByCollector {
  const sums: FeesByCollector = { stripe: 0, candle: 0, platform: 0 };
  fees.forEach((fee, i) => {
    assertCents(fee.amount, `fees[${i}].amount`);
    const collector = fee.type.startsWith("stripe:")
      ? "stripe"
      : fee.type === "candle:base"
        ? "candle"
        : fee.type === "platform:base" || fee.type === "custom" || fee.type === "shipping"
          ? "platform"
          : null;
    if (collector === null) throw new RangeError(`Unknown fee type ${fee.type}.`);
    sums[collector] += fee.amount;
  });
  for (const [name, sum] of Object.entries(sums)) {
    if (!Number.isSafeInteger(sum)) throw new RangeError(`The ${name} fees passed ${Number.MAX_SAFE_INTEGER}¢.`);
  }
  return sums;
}
