import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rebalanceContract } from "../../../../src/domain/fees/rebalance.js";
import { feesByCollector } from "../../../../src/domain/fees/settlement.js";

describe("feesByCollector", () => {
  it("puts Stripe's rows with Stripe, Candle's with Candle, and the platform's, custom fees and its shipping with the platform", () => {
    expect(
      feesByCollector([
        { type: "stripe:cc", amount: 340 },
        { type: "candle:base", amount: 100 },
        { type: "platform:base", amount: 250 },
        { type: "custom", amount: 500 },
        { type: "custom", amount: 0 },
        { type: "stripe:us_bank_account", amount: 5 },
        { type: "shipping", amount: 695 },
      ]),
    ).toEqual({ stripe: 345, candle: 100, platform: 1445 });
    expect(feesByCollector([])).toEqual({ stripe: 0, candle: 0, platform: 0 });
  });

  it("refuses unknown types and amounts that are not cents", () => {
    expect(() => feesByCollector([{ type: "tip", amount: 1 }])).toThrow(RangeError);
    expect(() => feesByCollector([{ type: "custom", amount: -1 }])).toThrow(RangeError);
    expect(() => feesByCollector([{ type: "custom", amount: 1.5 }])).toThrow(RangeError);
  });

  it("loses no cent of a rebalanced contract: Σ outgoing + the three fee transactions = total", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.record({ amount: fc.integer({ min: 0, max: 100_000 }), payer: fc.constantFrom("buyers" as const, "sellers" as const) }), { maxLength: 3 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.record({ stripe: fc.boolean(), candle: fc.boolean(), platform: fc.boolean() }),
        fc.array(fc.record({ sellerUserId: fc.constantFrom("s", null), amount: fc.integer({ min: 0, max: 100_000 }) }), { maxLength: 2 }),
        (items, customFees, platformBps, include, shipping) => {
          let figures;
          try {
            figures = rebalanceContract({
              items: items.map((total) => ({ sellerUserId: "s", total })),
              customFees,
              shipping,
              buyers: [{ userId: "b" }],
              sellers: [{ userId: "s" }],
              rates: { platformBps },
              include,
            });
          } catch {
            return; // figures that cannot add up are refused before anything is settled
          }
          const fees = feesByCollector(figures.fees);
          const owed = figures.sellers.reduce((sum, s) => sum + s.amountOwed, 0);
          expect(owed + fees.stripe + fees.candle + fees.platform).toBe(figures.total);
          // The platform's shipping lands with the platform, the seller's with the seller.
          const platformShipping = shipping.filter((l) => l.sellerUserId === null).reduce((sum, l) => sum + l.amount, 0);
          expect(fees.platform).toBeGreaterThanOrEqual(platformShipping);
        },
      ),
    );
  });
});
