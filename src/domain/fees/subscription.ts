import { allocateLargestRemainder, assertCents } from "./allocate.js";
import type { FeesByCollector } from "./settlement.js";

/**
 * What one charge of a subscription pays. A subscription bills one buyer of a contract their
 * `amountDue` each cycle; that money goes where the contract sends the buyer's share of it: to the
 * sellers and the fee collectors in proportion to what the contract gives each (sellers'
 * `amountOwed`, the Stripe, Candle and platform fees), split by largest remainder so no cent appears
 * or vanishes. With a single buyer — whose amountDue is the contract's total — the terms are the
 * contract's own figures, cent for cent.
 */
export interface SubscriptionTerms {
  sellers: { userId: string; amount: number }[];
  fees: FeesByCollector;
}

export function subscriptionTerms(input: {
  /** What the subscriber pays per cycle (their amountDue). */
  amount: number;
  /** The contract's sellers, in the contract's order, with what it owes each. */
  sellers: readonly { userId: string; amountOwed: number }[];
  /** The contract's fees by who keeps them (`feesByCollector`). */
  fees: FeesByCollector;
}): SubscriptionTerms {
  assertCents(input.amount, "amount");
  const weights = [...input.sellers.map((s) => s.amountOwed), input.fees.stripe, input.fees.candle, input.fees.platform];
  weights.forEach((w, i) => assertCents(w, `weights[${i}]`));
  if (weights.every((w) => w === 0)) {
    if (input.amount === 0) return { sellers: input.sellers.map((s) => ({ userId: s.userId, amount: 0 })), fees: { stripe: 0, candle: 0, platform: 0 } };
    throw new RangeError(`Cannot split ${input.amount}¢: the contract pays nobody anything.`);
  }
  const shares = allocateLargestRemainder(input.amount, weights);
  const n = input.sellers.length;
  return {
    sellers: input.sellers.map((s, i) => ({ userId: s.userId, amount: shares[i]! })),
    fees: { stripe: shares[n]!, candle: shares[n + 1]!, platform: shares[n + 2]! },
  };
}
