import { describe, expect, it } from "vitest";
import { groupBySeller, quoteShipping, rateAmount, type Rate } from "../../../../src/modules/shipping/index.js";

const rate = (r: Partial<Rate> & Pick<Rate, "id" | "kind">): Rate => ({ userId: null, title: r.id, price: 0, stepPrice: 0, bands: null, ...r });

const flat = rate({ id: "flat", kind: "flat", price: 500, stepPrice: 150 });
const byWeight = rate({
  id: "weight",
  kind: "weight",
  bands: [
    { from: 0, to: 1000, price: 300 },
    { from: 1000, to: null, price: 900 },
  ],
});
const byPrice = rate({
  id: "price",
  kind: "price",
  bands: [
    { from: 0, to: 5000, price: 700 },
    { from: 5000, to: null, price: 0 },
  ],
});

describe("rateAmount", () => {
  it("flat: the first unit, then step_price for each further one", () => {
    expect(rateAmount(flat, { sellerUserId: "s", units: 1, subTotal: 100, weight: null })).toBe(500);
    expect(rateAmount(flat, { sellerUserId: "s", units: 3, subTotal: 100, weight: null })).toBe(800);
  });

  it("weight: the band of the weight; no weight known, it does not apply", () => {
    expect(rateAmount(byWeight, { sellerUserId: "s", units: 1, subTotal: 100, weight: 999 })).toBe(300);
    expect(rateAmount(byWeight, { sellerUserId: "s", units: 1, subTotal: 100, weight: 1000 })).toBe(900);
    expect(rateAmount(byWeight, { sellerUserId: "s", units: 1, subTotal: 100, weight: null })).toBeNull();
  });

  it("price: the band of the subtotal (bands leaving a gap do not apply in it)", () => {
    expect(rateAmount(byPrice, { sellerUserId: "s", units: 1, subTotal: 4999, weight: null })).toBe(700);
    expect(rateAmount(byPrice, { sellerUserId: "s", units: 1, subTotal: 5000, weight: null })).toBe(0);
    const gap = rate({ id: "gap", kind: "price", bands: [{ from: 100, to: 200, price: 1 }] });
    expect(rateAmount(gap, { sellerUserId: "s", units: 1, subTotal: 50, weight: null })).toBeNull();
  });
});

describe("groupBySeller", () => {
  it("sums units, subtotal and weight per seller; one line without a weight makes the group's unknown", () => {
    expect(
      groupBySeller([
        { sellerUserId: "a", quantity: 2, total: 1000, weight: 250 },
        { sellerUserId: "b", quantity: 1, total: 300, weight: null },
        { sellerUserId: "a", quantity: 1, total: 200, weight: 100 },
        { sellerUserId: "b", quantity: 1, total: 300, weight: 50 },
      ]),
    ).toEqual([
      { sellerUserId: "a", units: 3, subTotal: 1200, weight: 600 },
      { sellerUserId: "b", units: 2, subTotal: 600, weight: null },
    ]);
  });
});

describe("quoteShipping", () => {
  it("takes the seller's cheapest applicable rate, else the platform's cheapest; none applying, no line", () => {
    const own = rate({ id: "own", kind: "weight", userId: "a", bands: [{ from: 0, to: null, price: 200 }] });
    const groups = [
      { sellerUserId: "a", units: 1, subTotal: 1000, weight: 500 },
      { sellerUserId: "a2", units: 1, subTotal: 1000, weight: null },
    ];
    expect(quoteShipping(groups, [flat, byPrice, own])).toEqual([
      { shippingRateId: "own", userId: "a", payee: "seller", title: "own", amount: 200 },
      { shippingRateId: "flat", userId: "a2", payee: "platform", title: "flat", amount: 500 },
    ]);
    // The seller's weight rate cannot price items without a weight: the platform's rate does.
    expect(quoteShipping([{ sellerUserId: "a", units: 1, subTotal: 6000, weight: null }], [own, byPrice])).toEqual([
      { shippingRateId: "price", userId: "a", payee: "platform", title: "price", amount: 0 },
    ]);
    expect(quoteShipping([{ sellerUserId: "a", units: 1, subTotal: 6000, weight: null }], [byWeight])).toEqual([]);
  });

  it("breaks ties by the order the rates come in (oldest first)", () => {
    const twin = rate({ id: "twin", kind: "flat", price: 500, stepPrice: 150 });
    expect(quoteShipping([{ sellerUserId: "a", units: 1, subTotal: 1, weight: null }], [flat, twin])[0]!.shippingRateId).toBe("flat");
  });
});
