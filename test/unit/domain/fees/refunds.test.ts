import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateRefund, refundableAmount } from "../../../../src/domain/fees/refunds.js";

const RUNS = { seed: 0x5ef0d, numRuns: 2000 } as const;

describe("refundableAmount", () => {
  it("is what is left of the charge, never negative", () => {
    expect(refundableAmount(10_000, 0)).toBe(10_000);
    expect(refundableAmount(10_000, 2_500)).toBe(7_500);
    expect(refundableAmount(10_000, 10_000)).toBe(0);
    expect(refundableAmount(10_000, 10_001)).toBe(0);
    expect(() => refundableAmount(-1, 0)).toThrow(RangeError);
  });
});

describe("allocateRefund", () => {
  it("splits in proportion to what is left, by largest remainder", () => {
    // A $100.00 charge: seller $92.80, Stripe $3.20, Candle $1.00, platform $3.00.
    expect(allocateRefund(10_000, [9_280, 320, 100, 300])).toEqual([9_280, 320, 100, 300]);
    expect(allocateRefund(5_000, [9_280, 320, 100, 300])).toEqual([4_640, 160, 50, 150]);
    // 3333 × (0.928, 0.032, 0.01, 0.03) = 3093.02, 106.66, 33.33, 99.99 → the left-over cents go to .99, .66
    expect(allocateRefund(3_333, [9_280, 320, 100, 300])).toEqual([3_093, 107, 33, 100]);
  });

  it("refunding everything that is left reverses exactly that, after any earlier partial refunds", () => {
    const paid = [9_280, 320, 100, 300];
    const first = allocateRefund(3_333, paid);
    const left = paid.map((p, i) => p - first[i]!);
    expect(allocateRefund(10_000 - 3_333, left)).toEqual(left);
  });

  it("refuses more than is left, and gives nothing from nothing", () => {
    expect(() => allocateRefund(101, [50, 50])).toThrow(/only 100¢/);
    expect(allocateRefund(0, [0, 0])).toEqual([0, 0]);
    expect(allocateRefund(0, [])).toEqual([]);
    expect(allocateRefund(7, [0, 7, 0])).toEqual([0, 7, 0]);
  });

  it("over any sequence of partial refunds: shares sum to each refund, no entry goes below zero, and the last refund empties everything", () => {
    const pool = fc.array(fc.integer({ min: 0, max: 5_000_000 }), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(pool, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 6 }), (paid, fractions) => {
        let left = [...paid];
        for (const fraction of fractions) {
          const available = left.reduce((a, b) => a + b, 0);
          const amount = Math.floor(available * fraction);
          const shares = allocateRefund(amount, left);
          expect(shares.reduce((a, b) => a + b, 0)).toBe(amount);
          left = left.map((rest, i) => rest - shares[i]!);
          for (const rest of left) expect(rest).toBeGreaterThanOrEqual(0);
        }
        const rest = left.reduce((a, b) => a + b, 0);
        expect(allocateRefund(rest, left)).toEqual(left);
      }),
      RUNS,
    );
  });
});
