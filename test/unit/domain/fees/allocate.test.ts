import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { allocateLargestRemainder } from "../../../../src/domain/fees/allocate.js";

const RUNS = { seed: 0xfee5, numRuns: 3000 } as const;

describe("allocateLargestRemainder", () => {
  it("splits evenly with the extra cents to the lower indices", () => {
    expect(allocateLargestRemainder(10000, [1, 1, 1])).toEqual([3334, 3333, 3333]);
    expect(allocateLargestRemainder(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateLargestRemainder(5, [1, 1, 1])).toEqual([2, 2, 1]);
    expect(allocateLargestRemainder(1, [7, 7])).toEqual([1, 0]);
  });

  it("gives a left-over cent to the largest fractional part, not to the largest weight", () => {
    // 2999 × 2/3 = 1999.33…, 2999 × 1/3 = 999.66…: the smaller share is the one nearer its next cent.
    expect(allocateLargestRemainder(2999, [2000, 1000])).toEqual([1999, 1000]);
    // 3001 × 2/3 = 2000.66…, 3001 × 1/3 = 1000.33…
    expect(allocateLargestRemainder(3001, [2000, 1000])).toEqual([2001, 1000]);
  });

  it("gives nothing to a zero weight, and splits evenly when every weight is zero", () => {
    expect(allocateLargestRemainder(1, [0, 5])).toEqual([0, 1]);
    expect(allocateLargestRemainder(999, [0, 3, 0])).toEqual([0, 999, 0]);
    expect(allocateLargestRemainder(7, [0, 0, 0])).toEqual([3, 2, 2]);
    expect(allocateLargestRemainder(0, [0, 0])).toEqual([0, 0]);
  });

  it("allocates nothing over nobody, and refuses to lose a non-zero amount", () => {
    expect(allocateLargestRemainder(0, [])).toEqual([]);
    expect(() => allocateLargestRemainder(1, [])).toThrow(RangeError);
  });

  it("refuses negative, fractional and unsafe cents or weights", () => {
    expect(() => allocateLargestRemainder(-1, [1])).toThrow(RangeError);
    expect(() => allocateLargestRemainder(1.5, [1])).toThrow(RangeError);
    expect(() => allocateLargestRemainder(10, [1, -1])).toThrow(RangeError);
    expect(() => allocateLargestRemainder(10, [0.5])).toThrow(RangeError);
    expect(() => allocateLargestRemainder(2 ** 53, [1])).toThrow(RangeError);
  });

  it("stays exact where amount × weight passes 2^53", () => {
    const amount = 1_000_000_000_003;
    const shares = allocateLargestRemainder(amount, [1_000_000_000_000, 1_000_000_000_000, 1]);
    expect(shares).toEqual([500_000_000_001, 500_000_000_001, 1]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(amount);
  });

  const weightsArb = fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 10_000_000 }), fc.constant(2 ** 40)), {
    minLength: 1,
    maxLength: 8,
  });
  const amountArb = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 1_000_000_000_000 }));

  it("sums to the amount, keeps each share within 1¢ of its exact share, and is a Hamilton allocation", () => {
    fc.assert(
      fc.property(amountArb, weightsArb, (amount, weights) => {
        const shares = allocateLargestRemainder(amount, weights);
        expect(shares).toHaveLength(weights.length);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(amount);

        const effective = weights.every((w) => w === 0) ? weights.map(() => 1n) : weights.map(BigInt);
        const sum = effective.reduce((a, b) => a + b, 0n);
        const exact = effective.map((w) => BigInt(amount) * w); // each share's exact value × sum
        shares.forEach((share, i) => {
          expect(Number.isSafeInteger(share) && share >= 0).toBe(true);
          const scaled = BigInt(share) * sum;
          // |share − exact| < 1, in integers: the share is the floor or the ceiling of the exact share.
          expect(scaled - exact[i]! < sum && exact[i]! - scaled < sum).toBe(true);
        });

        // Every share that was rounded up has a fractional part at least as large as every share
        // that was rounded down, and on equal parts the rounded-up one comes first.
        const floors = exact.map((e) => e / sum);
        const fractions = exact.map((e) => e % sum);
        for (let i = 0; i < shares.length; i++) {
          for (let j = 0; j < shares.length; j++) {
            const upI = BigInt(shares[i]!) > floors[i]!;
            const upJ = BigInt(shares[j]!) > floors[j]!;
            if (upI && !upJ && fractions[j]! > 0n) {
              expect(fractions[i]! > fractions[j]! || (fractions[i] === fractions[j] && i < j)).toBe(true);
            }
          }
        }
      }),
      RUNS,
    );
  });

  it("is fair under permutation: equal weights differ by at most 1¢ and only ties in fractions depend on order", () => {
    const tieHeavyWeights = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 9 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), tieHeavyWeights, fc.infiniteStream(fc.nat()), (amount, weights, randomness) => {
        const shares = allocateLargestRemainder(amount, weights);
        for (let i = 0; i < weights.length; i++) {
          for (let j = i + 1; j < weights.length; j++) {
            if (weights[i] === weights[j]) expect([0, 1]).toContain(shares[i]! - shares[j]!);
            if (weights[i]! > weights[j]!) expect(shares[i]!).toBeGreaterThanOrEqual(shares[j]!);
            if (weights[i]! < weights[j]!) expect(shares[i]!).toBeLessThanOrEqual(shares[j]!);
          }
        }

        // Shuffling the parties moves their shares with them. The one thing position decides is
        // who gets a left-over cent among parties whose fractional cents tie: a party's share can
        // change by 1¢ under a shuffle only in exchange with a party holding the same fraction.
        const order = weights.map((_, i) => i);
        let k = 0;
        for (const draw of randomness.take(order.length)) {
          const swap = k + (draw % (order.length - k));
          [order[k], order[swap]] = [order[swap]!, order[k]!];
          k++;
        }
        const permuted = allocateLargestRemainder(
          amount,
          order.map((i) => weights[i]!),
        );
        const after = new Array<number>(weights.length);
        order.forEach((party, position) => (after[party] = permuted[position]!));

        const even = weights.every((w) => w === 0);
        const sum = even ? weights.length : weights.reduce((a, b) => a + b, 0);
        const fraction = (i: number) => (amount * (even ? 1 : weights[i]!)) % sum;
        const changed = weights.flatMap((_, i) => (after[i] === shares[i] ? [] : [i]));
        for (const i of changed) {
          const delta = after[i]! - shares[i]!;
          expect(Math.abs(delta)).toBe(1);
          expect(changed.some((j) => after[j]! - shares[j]! === -delta && fraction(j) === fraction(i))).toBe(true);
        }
      }),
      RUNS,
    );
  });
});
