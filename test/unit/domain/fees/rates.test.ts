import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyBps, grossUpForStripe, resolveRates, stripeActualFee } from "../../../../src/domain/fees/rates.js";

const RUNS = { seed: 0xfee5, numRuns: 2000 } as const;
const defaults = resolveRates({ platformBps: 0 });

describe("applyBps", () => {
  it("rounds half up", () => {
    expect(applyBps(50, 100)).toBe(1); // 0.5
    expect(applyBps(49, 100)).toBe(0); // 0.49
    expect(applyBps(150, 100)).toBe(2); // 1.5
    expect(applyBps(250, 100)).toBe(3); // 2.5: half up, not to even
    expect(applyBps(10690, 290)).toBe(310); // 310.01
    expect(applyBps(10689, 290)).toBe(310); // 309.981
    expect(applyBps(0, 290)).toBe(0);
    expect(applyBps(12345, 10000)).toBe(12345);
  });

  it("stays exact past 2^53", () => {
    expect(applyBps(Number.MAX_SAFE_INTEGER, 10000)).toBe(Number.MAX_SAFE_INTEGER);
    expect(applyBps(100_000_000_000, 290)).toBe(2_900_000_000);
  });

  it("agrees with the rounded exact product", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000_000 }), fc.integer({ min: 0, max: 10_000 }), (base, bps) => {
        const fee = applyBps(base, bps);
        // fee is the integer nearest base × bps / 10000, halves rounded up.
        const twice = 2n * BigInt(base) * BigInt(bps);
        expect(2n * 10_000n * BigInt(fee) - twice <= 10_000n).toBe(true);
        expect(twice - 2n * 10_000n * BigInt(fee) < 10_000n).toBe(true);
      }),
      RUNS,
    );
  });
});

describe("resolveRates", () => {
  it("defaults to Stripe 2.9 % + 30¢ and Candle 1 %", () => {
    expect(resolveRates({ platformBps: 250 })).toEqual({ stripePercentBps: 290, stripeFixedCents: 30, candleBps: 100, platformBps: 250 });
  });

  it("refuses rates that are not integer basis points, and a Stripe rate of 100 %", () => {
    expect(() => resolveRates({ platformBps: 2.5 })).toThrow(RangeError);
    expect(() => resolveRates({ platformBps: -1 })).toThrow(RangeError);
    expect(() => resolveRates({ platformBps: 10_001 })).toThrow(RangeError);
    expect(() => resolveRates({ platformBps: 0, stripePercentBps: 10_000 })).toThrow(RangeError);
    expect(() => resolveRates({ platformBps: 0, stripeFixedCents: -30 })).toThrow(RangeError);
    expect(resolveRates({ platformBps: 10_000, candleBps: 10_000 }).platformBps).toBe(10_000);
  });
});

describe("stripeActualFee", () => {
  it("is 2.9 % + 30¢ of a charge, and nothing when nothing is charged", () => {
    expect(stripeActualFee(10000, defaults)).toBe(320);
    expect(stripeActualFee(10690, defaults)).toBe(340);
    expect(stripeActualFee(1, defaults)).toBe(30);
    expect(stripeActualFee(0, defaults)).toBe(0);
  });
});

describe("grossUpForStripe", () => {
  it("charges the least that still leaves the net after Stripe's fee", () => {
    // 10690 − (310 + 30) = 10350, while 10689 − (310 + 30) = 10349.
    expect(grossUpForStripe(10350, defaults)).toBe(10690);
    // 10330 − (300 + 30) = 10000, while 10329 − (300 + 30) = 9999.
    expect(grossUpForStripe(10000, defaults)).toBe(10330);
    // 32 − (1 + 30) = 1, while 31 − (1 + 30) = 0.
    expect(grossUpForStripe(1, defaults)).toBe(32);
    expect(grossUpForStripe(0, defaults)).toBe(0);
    expect(grossUpForStripe(777, resolveRates({ platformBps: 0, stripePercentBps: 0, stripeFixedCents: 0 }))).toBe(777);
  });

  it("finds the same charge as scanning upwards from the net", () => {
    const ratesArb = fc.record({
      stripePercentBps: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.integer({ min: 0, max: 5000 })),
      stripeFixedCents: fc.integer({ min: 0, max: 100 }),
      platformBps: fc.constant(0),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), ratesArb, (net, rawRates) => {
        // An independent oracle in plain floating point: Math.round is exact here (x.5 is representable).
        const fee = (charge: number) => Math.round((charge * rawRates.stripePercentBps) / 10_000) + rawRates.stripeFixedCents;
        let charge = net;
        while (charge - fee(charge) < net) charge++;
        expect(grossUpForStripe(net, resolveRates(rawRates))).toBe(charge);
      }),
      { ...RUNS, numRuns: 1000 },
    );
  });

  it("is minimal for large nets too", () => {
    const netArb = fc.integer({ min: 1, max: 300_000_000_000 });
    fc.assert(
      fc.property(netArb, fc.integer({ min: 0, max: 9_999 }), fc.integer({ min: 0, max: 1000 }), (net, bps, fixed) => {
        const rates = resolveRates({ platformBps: 0, stripePercentBps: bps, stripeFixedCents: fixed });
        const charge = grossUpForStripe(net, rates);
        expect(charge - stripeActualFee(charge, rates)).toBeGreaterThanOrEqual(net);
        expect(charge - 1 - stripeActualFee(charge - 1, rates)).toBeLessThan(net);
      }),
      RUNS,
    );
  });
});
