import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FeeRuleError } from "../../../../src/domain/fees/errors.js";
import { estimateFees } from "../../../../src/domain/fees/estimate.js";
import { rebalanceContract } from "../../../../src/domain/fees/rebalance.js";

const ALL = { stripe: true, candle: true, platform: true };
const NONE = { stripe: false, candle: false, platform: false };

describe("estimateFees", () => {
  it("estimates $100.00 with every fee on the buyer", () => {
    expect(estimateFees({ amount: 10000, rates: { platformBps: 250 }, include: ALL })).toEqual({
      amount: 10000,
      total: 10690,
      stripeFee: 340,
      candleFee: 100,
      platformFee: 250,
      sellerReceives: 10000,
    });
  });

  it("estimates $100.00 with every fee on the seller", () => {
    expect(estimateFees({ amount: 10000, rates: { platformBps: 250 }, include: NONE })).toEqual({
      amount: 10000,
      total: 10000,
      stripeFee: 320,
      candleFee: 100,
      platformFee: 250,
      sellerReceives: 9330,
    });
  });

  it("reports 0 for a fee that costs nothing", () => {
    const estimate = estimateFees({ amount: 10000, rates: { platformBps: 0 }, include: ALL });
    expect(estimate.platformFee).toBe(0);
    expect(estimate.total - estimate.stripeFee - estimate.candleFee).toBe(10000);
    expect(estimateFees({ amount: 0, rates: { platformBps: 250 }, include: ALL })).toEqual({
      amount: 0,
      total: 0,
      stripeFee: 0,
      candleFee: 0,
      platformFee: 0,
      sellerReceives: 0,
    });
  });

  it("refuses an amount too small to carry the seller's fees", () => {
    expect(() => estimateFees({ amount: 29, rates: { platformBps: 0 }, include: { stripe: false, candle: true, platform: true } })).toThrow(FeeRuleError);
  });

  it("matches the contract figures of one seller and one buyer", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.record({ stripe: fc.boolean(), candle: fc.boolean(), platform: fc.boolean() }),
        (amount, platformBps, include) => {
          const rates = { platformBps };
          const contract = () =>
            rebalanceContract({
              items: [{ sellerUserId: "s", total: amount }],
              customFees: [],
              buyers: [{ userId: "b" }],
              sellers: [{ userId: "s" }],
              rates,
              include,
            });
          let figures;
          try {
            figures = contract();
          } catch (error) {
            expect(error).toBeInstanceOf(FeeRuleError);
            expect(() => estimateFees({ amount, rates, include })).toThrow(FeeRuleError);
            return;
          }
          const estimate = estimateFees({ amount, rates, include });
          expect(estimate.total).toBe(figures.total);
          expect(estimate.sellerReceives).toBe(figures.sellers[0]!.amountOwed);
          expect(estimate.stripeFee + estimate.candleFee + estimate.platformFee).toBe(figures.fees.reduce((a, f) => a + f.amount, 0));
          expect(estimate.total - estimate.stripeFee - estimate.candleFee - estimate.platformFee).toBe(estimate.sellerReceives);
        },
      ),
      { seed: 0xfee5, numRuns: 2000 },
    );
  });
});
