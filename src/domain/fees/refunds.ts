import { allocateLargestRemainder, assertCents } from "./allocate.js";

/**
 * Refund arithmetic. A refund gives a buyer back part of a charge; the settlement that charge
 * funded — its transfers to sellers and its fees — gives the same amount back between them, so
 * the books stay balanced: Σ refunded to buyers = Σ transfers reversed + Σ fees given back.
 */

/** What is left to refund of a charge of `amount` of which `refunded` was refunded already. */
export function refundableAmount(amount: number, refunded: number): number {
  assertCents(amount, "amount");
  assertCents(refunded, "refunded");
  return Math.max(0, amount - refunded);
}

/**
 * Splits a refund over what is left (not yet reversed) of each of a settlement's transfers and
 * fees, in proportion to it, by largest remainder (ties to the earlier entry). Since each share is
 * at most its entry's rest, several partial refunds never reverse more than was paid out, and a
 * refund of everything that is left reverses exactly everything that is left.
 */
export function allocateRefund(amount: number, remaining: readonly number[]): number[] {
  assertCents(amount, "amount");
  const available = remaining.reduce((sum, rest, i) => {
    assertCents(rest, `remaining[${i}]`);
    return sum + rest;
  }, 0);
  if (amount > available) {
    throw new RangeError(`Cannot reverse ${amount}¢: only ${available}¢ of the settlement's transfers and fees is left.`);
  }
  // All-zero weights would split evenly, which could reverse what is not there; nothing is left only when nothing is asked.
  if (available === 0) return remaining.map(() => 0);
  return allocateLargestRemainder(amount, remaining);
}
