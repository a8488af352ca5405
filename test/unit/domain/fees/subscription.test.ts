import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rebalanceContract } from "../../../../src/domain/fees/rebalance.js";
import { feesByCollector } from "../../../../src/domain/fees/settlement.js";
import { subscriptionTerms } from "../../../../src/domain/fees/subscription.js";

describe("subscriptionTerms", () => {
  it("is the contract's own figures for its only buyer", () => {
    const figures = rebalanceContract({
      items: [
        { sellerUserId: "sam", total: 6000 },
        { sellerUserId: "wes", total: 4000 },
      ],
      customFees: [],
      buyers: [{ userId: "bob" }],
      sellers: [{ userId: "sam" }, { userId: "wes" }],
      rates: { platformBps: 250 },
      include: { stripe: true, candle: true, platform: true },
    });
    const fees = feesByCollector(figures.fees);
    const terms = subscriptionTerms({ amount: figures.buyers[0]!.amountDue, sellers: figures.sellers, fees });
    expect(terms.sellers).toEqual([
      { userId: "sam", amount: 6000 },
      { userId: "wes", amount: 4000 },
    ]);
    expect(terms.fees).toEqual(fees);
  });

  it("splits one buyer's share in proportion, by largest remainder", () => {
    // A 10000¢ contract two buyers share (5000¢ each): sellers 6000/3330, Stripe 320, Candle 100, platform 250.
    const terms = subscriptionTerms({
      amount: 5000,
      sellers: [
        { userId: "sam", amountOwed: 6000 },
        { userId: "wes", amountOwed: 3330 },
      ],
      fees: { stripe: 320, candle: 100, platform: 250 },
    });
    expect(terms).toEqual({
      sellers: [
        { userId: "sam", amount: 3000 },
        { userId: "wes", amount: 1665 },
      ],
      fees: { stripe: 160, candle: 50, platform: 125 },
    });
    const odd = subscriptionTerms({ amount: 3333, sellers: [{ userId: "sam", amountOwed: 9330 }], fees: { stripe: 320, candle: 100, platform: 250 } });
    expect(odd.sellers[0]!.amount + odd.fees.stripe + odd.fees.candle + odd.fees.platform).toBe(3333);
  });

  it("refuses what is not cents, and an amount nobody would receive", () => {
    expect(() => subscriptionTerms({ amount: 1.5, sellers: [{ userId: "s", amountOwed: 1 }], fees: { stripe: 0, candle: 0, platform: 0 } })).toThrow(RangeError);
    expect(() => subscriptionTerms({ amount: 100, sellers: [{ userId: "s", amountOwed: 0 }], fees: { stripe: 0, candle: 0, platform: 0 } })).toThrow(RangeError);
  });

  it("never loses a cent and never pays anyone more than the contract does", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 6 }),
        fc.record({ stripe: fc.integer({ min: 0, max: 50_000 }), candle: fc.integer({ min: 0, max: 50_000 }), platform: fc.integer({ min: 0, max: 50_000 }) }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (owed, fees, fraction) => {
          const total = owed.reduce((a, b) => a + b, 0) + fees.stripe + fees.candle + fees.platform;
          if (total === 0) return;
          const amount = Math.floor(total * fraction);
          const terms = subscriptionTerms({ amount, sellers: owed.map((amountOwed, i) => ({ userId: `s${i}`, amountOwed })), fees });
          const paid = terms.sellers.reduce((a, s) => a + s.amount, 0) + terms.fees.stripe + terms.fees.candle + terms.fees.platform;
          expect(paid).toBe(amount);
          terms.sellers.forEach((s, i) => expect(s.amount).toBeLessThanOrEqual(owed[i]!));
          expect(terms.fees.stripe).toBeLessThanOrEqual(fees.stripe);
        },
      ),
    );
  });
});
