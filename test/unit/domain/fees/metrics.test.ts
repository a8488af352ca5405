import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MONTHLY_DENOMINATOR,
  MONTHLY_FACTORS,
  annualRecurringRevenue,
  averageCents,
  divideRoundHalfUp,
  medianCents,
  monthlyRecurringRevenue,
  type RecurringCycle,
} from "../../../../src/domain/fees/metrics.js";

describe("monthly factors", () => {
  it("are a 365.25-day year's months over 672", () => {
    const perMonth: Record<RecurringCycle, number> = { hourly: 730.5, daily: 30.4375, weekly: 30.4375 / 7, biweekly: 30.4375 / 14, monthly: 1, yearly: 1 / 12 };
    for (const [cycle, factor] of Object.entries(MONTHLY_FACTORS)) {
      expect(factor / MONTHLY_DENOMINATOR).toBeCloseTo(perMonth[cycle as RecurringCycle], 12);
      expect(Number.isInteger(factor)).toBe(true);
    }
  });
});

describe("monthlyRecurringRevenue", () => {
  it("normalises each cycle to a month and rounds the total once, half up", () => {
    expect(monthlyRecurringRevenue([{ price: 1_000, cycle: "monthly" }])).toBe(1_000);
    expect(monthlyRecurringRevenue([{ price: 12_000, cycle: "yearly" }])).toBe(1_000);
    expect(monthlyRecurringRevenue([{ price: 100, cycle: "hourly" }])).toBe(73_050);
    expect(monthlyRecurringRevenue([{ price: 100, cycle: "daily" }])).toBe(3_044); // 3043.75
    expect(monthlyRecurringRevenue([{ price: 700, cycle: "weekly" }])).toBe(3_044); // 3043.75
    expect(monthlyRecurringRevenue([{ price: 1_400, cycle: "biweekly" }])).toBe(3_044);
    // Rounded once: two yearly $0.06 plans are 0.5¢ + 0.5¢ = 1¢, not 1¢ + 1¢.
    expect(
      monthlyRecurringRevenue([
        { price: 6, cycle: "yearly" },
        { price: 6, cycle: "yearly" },
      ]),
    ).toBe(1);
    expect(monthlyRecurringRevenue([{ price: 6, cycle: "yearly" }])).toBe(1); // 0.5 → 1
    expect(monthlyRecurringRevenue([{ price: 5, cycle: "yearly" }])).toBe(0); // 0.41…
    expect(monthlyRecurringRevenue([])).toBe(0);
  });

  it("ARR is twelve times MRR", () => {
    expect(annualRecurringRevenue(3_044)).toBe(36_528);
  });

  it("equals the exact rational sum rounded half up", () => {
    const cycles = Object.keys(MONTHLY_FACTORS) as RecurringCycle[];
    fc.assert(
      fc.property(fc.array(fc.record({ price: fc.integer({ min: 0, max: 10_000_000 }), cycle: fc.constantFrom(...cycles) }), { maxLength: 30 }), (subs) => {
        // Σ price × factor / 672 as a fraction n/d, rounded half up: ⌊(2n + d) / 2d⌋.
        const n = subs.reduce((s, { price, cycle }) => s + BigInt(price) * BigInt(MONTHLY_FACTORS[cycle]), 0n);
        const exact = Number(n) / MONTHLY_DENOMINATOR;
        const mrr = monthlyRecurringRevenue(subs);
        expect(Math.abs(mrr - exact)).toBeLessThanOrEqual(0.5);
        if (Math.abs(mrr - exact) === 0.5) expect(mrr).toBeGreaterThan(exact);
      }),
      { seed: 0xa44, numRuns: 1000 },
    );
  });
});

describe("rounding helpers", () => {
  it("divideRoundHalfUp", () => {
    expect(divideRoundHalfUp(5n, 2n)).toBe(3n);
    expect(divideRoundHalfUp(7n, 3n)).toBe(2n);
    expect(divideRoundHalfUp(0n, 3n)).toBe(0n);
    expect(() => divideRoundHalfUp(1n, 0n)).toThrow(RangeError);
  });

  it("averageCents and medianCents round half up", () => {
    expect(averageCents(10n, 4n)).toBe(3); // 2.5
    expect(averageCents(9n, 4n)).toBe(2); // 2.25
    expect(averageCents(0n, 0n)).toBe(0);
    expect(medianCents(1_234)).toBe(1_234);
    expect(medianCents(1_234.5)).toBe(1_235);
    expect(() => medianCents(1.25)).toThrow(RangeError);
  });
});
