import { describe, expect, it } from "vitest";
import { FeeRuleError } from "../../../../src/domain/fees/errors.js";
import { rebalanceContract, type ContractFeeInput, type FeeInclusion } from "../../../../src/domain/fees/rebalance.js";

const ALL: FeeInclusion = { stripe: true, candle: true, platform: true };
const NONE: FeeInclusion = { stripe: false, candle: false, platform: false };

function contract(overrides: Partial<ContractFeeInput>): ContractFeeInput {
  return {
    items: [{ sellerUserId: "seller", total: 10000 }],
    customFees: [],
    buyers: [{ userId: "buyer" }],
    sellers: [{ userId: "seller" }],
    rates: { platformBps: 250 },
    include: ALL,
    ...overrides,
  };
}

function thrown(fn: () => unknown): FeeRuleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FeeRuleError);
    return error as FeeRuleError;
  }
  throw new Error("expected a FeeRuleError");
}

describe("rebalanceContract: known figures", () => {
  it("grosses a $100.00 item up so that, every fee included, the seller gets exactly $100.00", () => {
    // subTotal 10000; Candle 1 % = 100; platform 2.5 % = 250; the buyer must cover B = 10350 after
    // Stripe's cut. T = ⌈(10000 × (10350 + 30) − 4999) / (10000 − 290)⌉ = ⌈103795001 / 9710⌉ = 10690:
    // Stripe keeps round(10690 × 2.9 %) + 30 = round(310.01) + 30 = 340, leaving 10350; a charge
    // of 10689 would leave 10689 − (round(309.981) + 30) = 10349, a cent short.
    // Fees 340 + 100 + 250 = 690, and 10690 − 690 = 10000 for the seller.
    const figures = rebalanceContract(contract({}));
    expect(figures).toEqual({
      itemsTotal: 10000,
      shippingTotal: 0,
      subTotal: 10000,
      total: 10690,
      fees: [
        { type: "stripe:cc", amount: 340 },
        { type: "candle:base", amount: 100 },
        { type: "platform:base", amount: 250 },
      ],
      buyers: [{ userId: "buyer", baseAmountDue: 10690, amountDue: 10690 }],
      sellers: [{ userId: "seller", baseAmountOwed: 10000, amountOwed: 10000 }],
    });
  });

  it("deducts every fee from the seller when none is included", () => {
    // total = subTotal = 10000; Stripe round(290) + 30 = 320, Candle 100, platform 250:
    // the seller gets 10000 − 670 = 9330.
    const figures = rebalanceContract(contract({ include: NONE }));
    expect(figures.total).toBe(10000);
    expect(figures.fees).toEqual([
      { type: "stripe:cc", amount: 320 },
      { type: "candle:base", amount: 100 },
      { type: "platform:base", amount: 250 },
    ]);
    expect(figures.buyers).toEqual([{ userId: "buyer", baseAmountDue: 10000, amountDue: 10000 }]);
    expect(figures.sellers).toEqual([{ userId: "seller", baseAmountOwed: 9330, amountOwed: 9330 }]);
  });

  it("grosses up over only the fees the buyers cover", () => {
    // Stripe alone included: T = ⌈(10000 × 10030 − 4999) / 9710⌉ = 10330, Stripe row 330;
    // Candle and platform (350) come out of the seller's 10000.
    const figures = rebalanceContract(contract({ include: { stripe: true, candle: false, platform: false } }));
    expect(figures.total).toBe(10330);
    expect(figures.fees.map((fee) => fee.amount)).toEqual([330, 100, 250]);
    expect(figures.sellers[0]!.amountOwed).toBe(9650);

    // Candle and platform included, Stripe not: total 10350, Stripe takes round(300.15) + 30 = 330
    // from the seller.
    const other = rebalanceContract(contract({ include: { stripe: false, candle: true, platform: true } }));
    expect(other.total).toBe(10350);
    expect(other.fees.map((fee) => fee.amount)).toEqual([330, 100, 250]);
    expect(other.sellers[0]!.amountOwed).toBe(9670);
  });

  it("splits between two sellers 2:1 by their items, the odd cent to the larger fraction", () => {
    // Every fee included, so the sellers share the items total less a 1¢ seller-paid custom fee:
    // 2999 × 2/3 = 1999.33…, 2999 × 1/3 = 999.66… → 1999 and 1000.
    const figures = rebalanceContract(
      contract({
        items: [
          { sellerUserId: "alice", total: 1500 },
          { sellerUserId: "bob", total: 1000 },
          { sellerUserId: "alice", total: 500 },
        ],
        sellers: [{ userId: "alice" }, { userId: "bob" }],
        customFees: [{ id: "fee_1", amount: 1, payer: "sellers" }],
      }),
    );
    expect(figures.fees.at(-1)).toEqual({ type: "custom", amount: 1, customFeeId: "fee_1" });
    expect(figures.sellers).toEqual([
      { userId: "alice", baseAmountOwed: 1999, amountOwed: 1999 },
      { userId: "bob", baseAmountOwed: 1000, amountOwed: 1000 },
    ]);
  });

  it("splits 10000¢ over three buyers as 3334/3333/3333, the extra cent to the first", () => {
    // Nothing included and no platform fee: total = subTotal = 10000.
    const figures = rebalanceContract(contract({ include: NONE, rates: { platformBps: 0 }, buyers: [{ userId: "b1" }, { userId: "b2" }, { userId: "b3" }] }));
    expect(figures.buyers.map((buyer) => [buyer.baseAmountDue, buyer.amountDue])).toEqual([
      [3334, 3334],
      [3333, 3333],
      [3333, 3333],
    ]);
    // Stripe 320 and Candle 100 come out of the seller's 10000.
    expect(figures.sellers[0]!.amountOwed).toBe(9580);
  });

  it("keeps a pinned buyer's amount and splits the rest over the others", () => {
    const figures = rebalanceContract(
      contract({
        include: NONE,
        rates: { platformBps: 0 },
        buyers: [{ userId: "b1" }, { userId: "b2", pinnedAmountDue: 4999 }, { userId: "b3", pinnedAmountDue: null }],
      }),
    );
    // 10000 − 4999 = 5001 over b1 and b3: 2501 and 2500. The base split ignores pins.
    expect(figures.buyers).toEqual([
      { userId: "b1", baseAmountDue: 3334, amountDue: 2501 },
      { userId: "b2", baseAmountDue: 3333, amountDue: 4999 },
      { userId: "b3", baseAmountDue: 3333, amountDue: 2500 },
    ]);
  });

  it("keeps a pinned seller's amount and splits the rest pro rata over the others", () => {
    // Every fee included: the sellers share the items total, 3000. Carol sells nothing, so her base
    // share is 0; pinned at 300, she leaves 2700 for Alice and Bob, 2:1.
    const figures = rebalanceContract(
      contract({
        items: [
          { sellerUserId: "alice", total: 2000 },
          { sellerUserId: "bob", total: 1000 },
        ],
        sellers: [{ userId: "alice" }, { userId: "bob" }, { userId: "carol", pinnedAmountOwed: 300 }],
      }),
    );
    expect(figures.sellers).toEqual([
      { userId: "alice", baseAmountOwed: 2000, amountOwed: 1800 },
      { userId: "bob", baseAmountOwed: 1000, amountOwed: 900 },
      { userId: "carol", baseAmountOwed: 0, amountOwed: 300 },
    ]);
  });

  it("splits evenly over unpinned sellers who have no items", () => {
    const figures = rebalanceContract(
      contract({
        items: [{ sellerUserId: "alice", total: 3001 }],
        sellers: [{ userId: "alice", pinnedAmountOwed: 1000 }, { userId: "bob" }, { userId: "carol" }],
      }),
    );
    expect(figures.sellers.map((seller) => seller.amountOwed)).toEqual([1000, 1001, 1000]);
    expect(figures.sellers.map((seller) => seller.baseAmountOwed)).toEqual([3001, 0, 0]);
  });

  it("adds buyer-paid custom fees to the subTotal and keeps them for the platform", () => {
    // subTotal 10000 + 500 = 10500; Candle 105, platform round(262.5) = 263 (half up); B = 10868;
    // T = ⌈(10000 × 10898 − 4999) / 9710⌉ = ⌈108975001 / 9710⌉ = 11223: Stripe keeps
    // round(325.467) + 30 = 355, leaving exactly 10868. The seller gets the items' 10000.
    const figures = rebalanceContract(contract({ customFees: [{ amount: 500, payer: "buyers" }] }));
    expect(figures.subTotal).toBe(10500);
    expect(figures.total).toBe(11223);
    expect(figures.fees).toEqual([
      { type: "stripe:cc", amount: 355 },
      { type: "candle:base", amount: 105 },
      { type: "platform:base", amount: 263 },
      { type: "custom", amount: 500 },
    ]);
    expect(figures.sellers[0]!.amountOwed).toBe(10000);
  });

  it("pays a seller's shipping to the seller and keeps the platform's as its `shipping` fee", () => {
    const none = { stripe: false, candle: false, platform: false };
    const figures = rebalanceContract(
      contract({
        items: [
          { sellerUserId: "s1", total: 6000 },
          { sellerUserId: "s2", total: 4000 },
        ],
        sellers: [{ userId: "s1" }, { userId: "s2" }],
        shipping: [
          { sellerUserId: "s1", amount: 500 },
          { sellerUserId: null, amount: 700 },
        ],
        rates: { platformBps: 0, candleBps: 0, stripePercentBps: 0, stripeFixedCents: 0 },
        include: none,
      }),
    );
    expect(figures.shippingTotal).toBe(1200);
    expect(figures.subTotal).toBe(11200);
    expect(figures.total).toBe(11200);
    expect(figures.fees).toEqual([{ type: "shipping", amount: 700 }]);
    expect(figures.sellers.map((s) => s.amountOwed)).toEqual([6500, 4000]);
  });

  it("refuses a shipping line whose seller is not a party", () => {
    expect(() => rebalanceContract(contract({ shipping: [{ sellerUserId: "stranger", amount: 100 }] }))).toThrow(RangeError);
  });

  it("charges nothing and records no fees on an empty contract", () => {
    const figures = rebalanceContract(contract({ items: [], buyers: [{ userId: "b1" }, { userId: "b2" }] }));
    expect(figures).toEqual({
      itemsTotal: 0,
      shippingTotal: 0,
      subTotal: 0,
      total: 0,
      fees: [],
      buyers: [
        { userId: "b1", baseAmountDue: 0, amountDue: 0 },
        { userId: "b2", baseAmountDue: 0, amountDue: 0 },
      ],
      sellers: [{ userId: "seller", baseAmountOwed: 0, amountOwed: 0 }],
    });
  });

  it("computes the total without buyers or sellers", () => {
    const figures = rebalanceContract(contract({ buyers: [], sellers: [] }));
    expect(figures.total).toBe(10690);
    expect(figures.buyers).toEqual([]);
    expect(figures.sellers).toEqual([]);
  });
});

describe("rebalanceContract: figures that cannot add up", () => {
  const tenFiveHundred = contract({ items: [{ sellerUserId: "seller", total: 10500 }], include: NONE, rates: { platformBps: 0 } });

  it("refuses buyer pins that add up to more than the total, stating the gap", () => {
    const error = thrown(() =>
      rebalanceContract({
        ...tenFiveHundred,
        buyers: [{ userId: "b1", pinnedAmountDue: 6000 }, { userId: "b2", pinnedAmountDue: 6000 }, { userId: "b3" }],
      }),
    );
    expect(error.code).toBe("pinned_amounts_exceed_total");
    expect(error.party).toBe("buyers");
    expect(error.gapCents).toBe(1500);
    expect(error.message).toBe("Pinned buyer amounts add up to 12000¢ but the total is 10500¢: 1500¢ too much.");
  });

  it("refuses pins on every buyer that leave part of the total unpaid", () => {
    const error = thrown(() =>
      rebalanceContract({
        ...tenFiveHundred,
        buyers: [
          { userId: "b1", pinnedAmountDue: 5000 },
          { userId: "b2", pinnedAmountDue: 5000 },
        ],
      }),
    );
    expect(error.code).toBe("pinned_amounts_below_total");
    expect(error.gapCents).toBe(500);
    expect(error.message).toContain("500¢ too little");
  });

  it("accepts pins on every buyer that add up to the total exactly", () => {
    const figures = rebalanceContract({
      ...tenFiveHundred,
      buyers: [
        { userId: "b1", pinnedAmountDue: 10000 },
        { userId: "b2", pinnedAmountDue: 500 },
      ],
    });
    expect(figures.buyers.map((buyer) => buyer.amountDue)).toEqual([10000, 500]);
  });

  it("refuses seller pins against the sellers' net, not the total", () => {
    // Net = 10500 − Stripe (round(304.5) + 30 = 335) − Candle 105 = 10060.
    const twoSellers = {
      ...tenFiveHundred,
      items: [
        { sellerUserId: "s1", total: 10000 },
        { sellerUserId: "s2", total: 500 },
      ],
    };
    const over = thrown(() => rebalanceContract({ ...twoSellers, sellers: [{ userId: "s1", pinnedAmountOwed: 10100 }, { userId: "s2" }] }));
    expect([over.code, over.party, over.gapCents]).toEqual(["pinned_amounts_exceed_total", "sellers", 40]);
    expect(over.message).toBe("Pinned seller amounts add up to 10100¢ but the sellers' net (total less fees) is 10060¢: 40¢ too much.");

    const under = thrown(() =>
      rebalanceContract({
        ...twoSellers,
        sellers: [
          { userId: "s1", pinnedAmountOwed: 9000 },
          { userId: "s2", pinnedAmountOwed: 0 },
        ],
      }),
    );
    expect([under.code, under.party, under.gapCents]).toEqual(["pinned_amounts_below_total", "sellers", 1060]);
  });

  it("refuses a contract whose seller-borne fees exceed what it charges", () => {
    // 10¢ with nothing included: Stripe round(0.29) + 30 = 30 > 10.
    const error = thrown(() => rebalanceContract(contract({ items: [{ sellerUserId: "seller", total: 10 }], include: NONE })));
    expect(error.code).toBe("amount_too_small");
    expect(error.gapCents).toBe(20);
    expect(error.party).toBeUndefined();
    expect(error.message).toBe("The fees add up to 30¢ but the contract charges 10¢: the sellers would be 20¢ short.");

    const custom = thrown(() => rebalanceContract(contract({ items: [], customFees: [{ id: "fee_x", amount: 250, payer: "sellers" }] })));
    expect([custom.code, custom.gapCents]).toEqual(["amount_too_small", 250]);
  });

  it("is a plain Error, free of HTTP", () => {
    const error = thrown(() => rebalanceContract(contract({ items: [{ sellerUserId: "seller", total: 1 }], include: NONE })));
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe("FeeRuleError");
    expect(error).not.toHaveProperty("status");
  });
});

describe("rebalanceContract: input no caller should send", () => {
  it("refuses negative or fractional cents and rates", () => {
    expect(() => rebalanceContract(contract({ items: [{ sellerUserId: "seller", total: -1 }] }))).toThrow(RangeError);
    expect(() => rebalanceContract(contract({ items: [{ sellerUserId: "seller", total: 0.5 }] }))).toThrow(RangeError);
    expect(() => rebalanceContract(contract({ customFees: [{ amount: -5, payer: "buyers" }] }))).toThrow(RangeError);
    expect(() => rebalanceContract(contract({ buyers: [{ userId: "b", pinnedAmountDue: -1 }] }))).toThrow(RangeError);
    expect(() => rebalanceContract(contract({ sellers: [{ userId: "seller", pinnedAmountOwed: 1.5 }] }))).toThrow(RangeError);
    expect(() => rebalanceContract(contract({ rates: { platformBps: 2.5 } }))).toThrow(RangeError);
  });

  it("refuses duplicate parties and items whose seller is not a party", () => {
    expect(() => rebalanceContract(contract({ buyers: [{ userId: "b" }, { userId: "b" }] }))).toThrow(RangeError);
    expect(() => rebalanceContract(contract({ sellers: [{ userId: "seller" }, { userId: "seller" }] }))).toThrow(RangeError);
    expect(() => rebalanceContract(contract({ sellers: [{ userId: "someone-else" }] }))).toThrow(RangeError);
  });
});
