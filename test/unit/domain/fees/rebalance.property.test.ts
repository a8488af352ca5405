import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FeeRuleError, type FeeParty } from "../../../../src/domain/fees/errors.js";
import { rebalanceContract, type ContractFeeInput, type ContractFigures } from "../../../../src/domain/fees/rebalance.js";
import { lineTotal } from "../../../../src/domain/fees/items.js";

const RUNS = { seed: 0xfee5, numRuns: 3000 } as const;

// ---------------------------------------------------------------------------------------------
// Random contracts: 0–6 items of 1¢ to $100 000, 0–3 custom fees, 0–4 buyers and sellers, any
// rates (defaults included) and any fee inclusion.

const contractArb = fc
  .record({
    sellerCount: fc.integer({ min: 0, max: 4 }),
    buyerCount: fc.integer({ min: 0, max: 4 }),
    items: fc.array(
      fc.record({
        seller: fc.nat(),
        total: fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 10_000_000 })),
        // A line of a cart or a contract: its units and the add-ons chosen on it, each once per unit.
        line: fc.option(
          fc.record({
            quantity: fc.integer({ min: 1, max: 5 }),
            addOns: fc.array(fc.oneof(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 100_000 })), { maxLength: 3 }),
          }),
          { nil: undefined },
        ),
      }),
      { maxLength: 6 },
    ),
    customFees: fc.array(
      fc.record({
        id: fc.option(fc.uuid(), { nil: undefined }),
        amount: fc.oneof(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 1_000_000 })),
        payer: fc.constantFrom<FeeParty>("buyers", "sellers"),
      }),
      { maxLength: 3 },
    ),
    // Shipping lines at a seller's rate (paid to them) or the platform's (null: the platform keeps it).
    shipping: fc.array(
      fc.record({
        seller: fc.option(fc.nat(), { nil: null }),
        amount: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.integer({ min: 0, max: 500_000 })),
      }),
      { maxLength: 3 },
    ),
    rates: fc.record({
      stripePercentBps: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
      stripeFixedCents: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
      candleBps: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
      platformBps: fc.oneof(fc.integer({ min: 0, max: 2000 }), fc.constant(250), fc.integer({ min: 0, max: 10_000 })),
    }),
    include: fc.record({ stripe: fc.boolean(), candle: fc.boolean(), platform: fc.boolean() }),
  })
  .map(
    ({ sellerCount, buyerCount, items, customFees, shipping, rates, include }): ContractFeeInput => ({
      // With no sellers the items still name one, as on a draft contract.
      items: items.map((item) => ({
        sellerUserId: `s${item.seller % Math.max(sellerCount, 1)}`,
        total:
          item.line === undefined
            ? item.total
            : lineTotal(
                item.total,
                item.line.quantity,
                item.line.addOns.map((price, i) => ({ id: `a${i}`, price })),
              ).total,
      })),
      customFees: customFees.map(({ id, amount, payer }) => (id === undefined ? { amount, payer } : { id, amount, payer })),
      shipping: shipping.map((line) => ({ sellerUserId: line.seller === null ? null : `s${line.seller % Math.max(sellerCount, 1)}`, amount: line.amount })),
      buyers: Array.from({ length: buyerCount }, (_, i) => ({ userId: `b${i}` })),
      sellers: Array.from({ length: sellerCount }, (_, i) => ({ userId: `s${i}` })),
      rates: {
        ...(rates.stripePercentBps === undefined ? {} : { stripePercentBps: rates.stripePercentBps }),
        ...(rates.stripeFixedCents === undefined ? {} : { stripeFixedCents: rates.stripeFixedCents }),
        ...(rates.candleBps === undefined ? {} : { candleBps: rates.candleBps }),
        platformBps: rates.platformBps,
      },
      include,
    }),
  );

/** Per party: pinned or not, with a weight for carving the pinned amounts out of a budget. */
const permilleArb = fc.integer({ min: 0, max: 1000 });
const pinShapeArb = fc.array(fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined, freq: 2 }), { minLength: 4, maxLength: 4 });

// ---------------------------------------------------------------------------------------------
// An independent model of the figures, in plain floating point where it is exact, and a gross-up
// found by search rather than by the closed form.

interface Model {
  itemsTotal: number;
  shippingTotal: number;
  platformShipping: number;
  subTotal: number;
  coveredByBuyers: number;
  total: number;
  stripeActual: (charge: number) => number;
  feesTotal: number;
  net: number;
}

function model(input: ContractFeeInput): Model {
  const p = input.rates.stripePercentBps ?? 290;
  const fixed = input.rates.stripeFixedCents ?? 30;
  const candleBps = input.rates.candleBps ?? 100;
  // x.5 is exactly representable, and every product here is far below 2^53: Math.round is exact.
  const pct = (base: number, bps: number) => Math.round((base * bps) / 10_000);
  const stripeActual = (charge: number) => (charge === 0 ? 0 : pct(charge, p) + fixed);

  const itemsTotal = sum(input.items.map((item) => item.total));
  const buyerCustom = sum(input.customFees.filter((fee) => fee.payer === "buyers").map((fee) => fee.amount));
  const sellerCustom = sum(input.customFees.filter((fee) => fee.payer === "sellers").map((fee) => fee.amount));
  const shipping = input.shipping ?? [];
  const shippingTotal = sum(shipping.map((line) => line.amount));
  const platformShipping = sum(shipping.filter((line) => line.sellerUserId === null).map((line) => line.amount));
  const subTotal = itemsTotal + buyerCustom + shippingTotal;
  const candle = pct(subTotal, candleBps);
  const platform = pct(subTotal, input.rates.platformBps);
  const coveredByBuyers = subTotal + (input.include.candle ? candle : 0) + (input.include.platform ? platform : 0);

  let total = coveredByBuyers;
  if (input.include.stripe && coveredByBuyers > 0) {
    const works = (t: number) => t - stripeActual(t) >= coveredByBuyers;
    total = Math.max(coveredByBuyers, Math.ceil((coveredByBuyers + fixed) / (1 - p / 10_000)) - 3);
    while (total > coveredByBuyers && works(total - 1)) total--;
    while (!works(total)) total++;
  }
  const stripe = input.include.stripe ? total - coveredByBuyers : stripeActual(total);
  const feesTotal = stripe + candle + platform + buyerCustom + sellerCustom + platformShipping;
  return { itemsTotal, shippingTotal, platformShipping, subTotal, coveredByBuyers, total, stripeActual, feesTotal, net: total - feesTotal };
}

/** Carves `budget` into pinned amounts by weight: floors, with the rest on the last pinned party. */
function carve(budget: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const weightSum = sum(weights);
  const parts = weights.map((w) => (weightSum === 0 ? Math.floor(budget / weights.length) : Math.floor((budget * w) / weightSum)));
  parts[parts.length - 1]! += budget - sum(parts);
  return parts;
}

/** Pins the parties whose shape is set, on amounts that can add up. */
function feasiblePins(count: number, shape: readonly (number | undefined)[], budget: number, permille: number): (number | undefined)[] {
  const pinned = Array.from({ length: count }, (_, i) => shape[i]);
  const weights = pinned.filter((w): w is number => w !== undefined);
  const allPinned = count > 0 && weights.length === count;
  const amounts = carve(allPinned ? budget : Math.floor((budget * permille) / 1000), weights);
  let k = 0;
  return pinned.map((w) => (w === undefined ? undefined : amounts[k++]));
}

type Pins = readonly (number | undefined)[];

function withPins(input: ContractFeeInput, buyerPins: Pins, sellerPins: Pins): ContractFeeInput {
  return {
    ...input,
    buyers: input.buyers.map((buyer, i) => (buyerPins[i] === undefined ? buyer : { ...buyer, pinnedAmountDue: buyerPins[i] })),
    sellers: input.sellers.map((seller, i) => (sellerPins[i] === undefined ? seller : { ...seller, pinnedAmountOwed: sellerPins[i] })),
  };
}

/** What a seller's split weighs: their items and the shipping paid to them. */
function itemsAndShippingOf(input: ContractFeeInput, userId: string): number {
  return (
    sum(input.items.filter((item) => item.sellerUserId === userId).map((item) => item.total)) +
    sum((input.shipping ?? []).filter((line) => line.sellerUserId === userId).map((line) => line.amount))
  );
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function expectFeeRuleError(fn: () => unknown): FeeRuleError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(FeeRuleError);
    const ruleError = error as FeeRuleError;
    expect(typeof ruleError.code).toBe("string");
    expect(Number.isSafeInteger(ruleError.gapCents) && ruleError.gapCents > 0).toBe(true);
    expect(ruleError.message).toContain(`${ruleError.gapCents}¢`);
    return ruleError;
  }
  throw new Error("expected a FeeRuleError");
}

function allAmounts(figures: ContractFigures): number[] {
  return [
    figures.itemsTotal,
    figures.shippingTotal,
    figures.subTotal,
    figures.total,
    ...figures.fees.map((fee) => fee.amount),
    ...figures.buyers.flatMap((buyer) => [buyer.baseAmountDue, buyer.amountDue]),
    ...figures.sellers.flatMap((seller) => [seller.baseAmountOwed, seller.amountOwed]),
  ];
}

// ---------------------------------------------------------------------------------------------

describe("rebalanceContract: invariants", () => {
  it("keeps every fee invariant on any contract with pins that can add up", () => {
    fc.assert(
      fc.property(contractArb, pinShapeArb, pinShapeArb, permilleArb, permilleArb, (base, buyerShape, sellerShape, buyerPermille, sellerPermille) => {
        const m = model(base);
        const buyerPins = feasiblePins(base.buyers.length, buyerShape, m.total, buyerPermille);
        const sellerPins = feasiblePins(base.sellers.length, sellerShape, Math.max(m.net, 0), sellerPermille);
        const input = withPins(base, buyerPins, sellerPins);

        if (m.net < 0) {
          // 8. Seller-borne fees beyond what the contract charges: the gap is the real shortfall.
          const error = expectFeeRuleError(() => rebalanceContract(input));
          expect(error.code).toBe("amount_too_small");
          expect(error.gapCents).toBe(-m.net);
          return;
        }
        const figures = rebalanceContract(input);

        // The figures are the model's.
        expect(figures.itemsTotal).toBe(m.itemsTotal);
        expect(figures.shippingTotal).toBe(m.shippingTotal);
        // The platform's shipping is one `shipping` row, the platform's to keep.
        expect(sum(figures.fees.filter((fee) => fee.type === "shipping").map((fee) => fee.amount))).toBe(m.platformShipping);
        expect(figures.subTotal).toBe(m.subTotal);
        expect(figures.total).toBe(m.total);
        const feesTotal = sum(figures.fees.map((fee) => fee.amount));
        expect(feesTotal).toBe(m.feesTotal);
        const customRows = figures.fees.filter((fee) => fee.type === "custom");
        expect(customRows.map((fee) => [fee.amount, fee.customFeeId])).toEqual(base.customFees.map((fee) => [fee.amount, fee.id]));
        for (const type of ["stripe:cc", "candle:base", "platform:base", "shipping"] as const) {
          expect(figures.fees.filter((fee) => fee.type === type).length).toBeLessThanOrEqual(1);
        }

        // 1. The buyers pay the total, both as first split and after pins.
        if (figures.buyers.length > 0) {
          expect(sum(figures.buyers.map((buyer) => buyer.amountDue))).toBe(figures.total);
          expect(sum(figures.buyers.map((buyer) => buyer.baseAmountDue))).toBe(figures.total);
          const base = figures.buyers.map((buyer) => buyer.baseAmountDue);
          expect(Math.max(...base) - Math.min(...base)).toBeLessThanOrEqual(1);
        }
        expect(figures.buyers.map((buyer) => buyer.userId)).toEqual(base.buyers.map((buyer) => buyer.userId));

        // 2. The sellers and the fees share the total.
        if (figures.sellers.length > 0) {
          expect(sum(figures.sellers.map((seller) => seller.amountOwed)) + feesTotal).toBe(figures.total);
          expect(sum(figures.sellers.map((seller) => seller.baseAmountOwed)) + feesTotal).toBe(figures.total);
        }
        expect(figures.sellers.map((seller) => seller.userId)).toEqual(base.sellers.map((seller) => seller.userId));

        // 3. Every amount is a non-negative integer.
        for (const amount of allAmounts(figures)) expect(Number.isSafeInteger(amount) && amount >= 0).toBe(true);

        // 4. With every fee on the buyers, the sellers get the items less what they pay themselves.
        if (base.include.stripe && base.include.candle && base.include.platform && figures.sellers.length > 0) {
          const sellerCustom = sum(base.customFees.filter((fee) => fee.payer === "sellers").map((fee) => fee.amount));
          const owed = sum(figures.sellers.map((seller) => seller.amountOwed));
          const sellerShipping = m.shippingTotal - m.platformShipping;
          expect(owed).toBe(figures.itemsTotal - sellerCustom + sellerShipping);
          if (base.customFees.length === 0 && m.platformShipping === 0) expect(owed).toBe(figures.subTotal);
          // Without custom fees, each seller's first split is exactly their items and their own shipping.
          if (base.customFees.length === 0) {
            for (const seller of figures.sellers) expect(seller.baseAmountOwed).toBe(itemsAndShippingOf(base, seller.userId));
          }
        }

        // 5. Pinned amounts come back unchanged; unpinned contracts keep their first split.
        figures.buyers.forEach((buyer, i) => {
          if (buyerPins[i] !== undefined) expect(buyer.amountDue).toBe(buyerPins[i]);
          if (buyerPins.every((pin) => pin === undefined)) expect(buyer.amountDue).toBe(buyer.baseAmountDue);
        });
        figures.sellers.forEach((seller, i) => {
          if (sellerPins[i] !== undefined) expect(seller.amountOwed).toBe(sellerPins[i]);
          if (sellerPins.every((pin) => pin === undefined)) expect(seller.amountOwed).toBe(seller.baseAmountOwed);
        });

        // 6. Grossed up: what Stripe leaves covers the buyers' share, and a cent less would not.
        if (base.include.stripe && figures.total > 0) {
          expect(figures.total - m.stripeActual(figures.total)).toBeGreaterThanOrEqual(m.coveredByBuyers);
          expect(figures.total - 1 - m.stripeActual(figures.total - 1)).toBeLessThan(m.coveredByBuyers);
          // Minimality leaves no dust: the Stripe row is Stripe's actual fee.
          const stripeRow = figures.fees.find((fee) => fee.type === "stripe:cc")?.amount ?? 0;
          expect(stripeRow).toBe(m.stripeActual(figures.total));
        }

        // Sellers share by their items and own shipping: nothing to a seller without either while others have some.
        if (figures.sellers.some((seller) => itemsAndShippingOf(base, seller.userId) > 0)) {
          for (const seller of figures.sellers) if (itemsAndShippingOf(base, seller.userId) === 0) expect(seller.baseAmountOwed).toBe(0);
        }
      }),
      RUNS,
    );
  });

  it("answers pins that cannot add up with a FeeRuleError whose gap is the real difference", () => {
    fc.assert(
      fc.property(
        contractArb,
        fc.constantFrom<FeeParty>("buyers", "sellers"),
        fc.constantFrom("exceed" as const, "below" as const),
        fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 1_000_000 })),
        pinShapeArb,
        (base, party, kind, gapSeed, shape) => {
          const m = model(base);
          fc.pre(m.net >= 0);
          const count = party === "buyers" ? base.buyers.length : base.sellers.length;
          const budget = party === "buyers" ? m.total : m.net;
          fc.pre(count > 0 && (kind === "exceed" || budget > 0));

          // Too much: any non-empty set of parties pinned above the budget. Too little: every party
          // pinned, below it.
          const weights = Array.from({ length: count }, (_, i) => shape[i]);
          if (kind === "below" || weights.every((w) => w === undefined)) weights.fill(1);
          const pinnedWeights = weights.filter((w): w is number => w !== undefined);
          const gap = kind === "exceed" ? gapSeed : 1 + ((gapSeed - 1) % budget);
          const amounts = carve(kind === "exceed" ? budget + gap : budget - gap, pinnedWeights);
          let k = 0;
          const pins = weights.map((w) => (w === undefined ? undefined : amounts[k++]));
          const input = party === "buyers" ? withPins(base, pins, []) : withPins(base, [], pins);

          const error = expectFeeRuleError(() => rebalanceContract(input));
          expect(error.code).toBe(kind === "exceed" ? "pinned_amounts_exceed_total" : "pinned_amounts_below_total");
          expect(error.party).toBe(party);
          expect(error.gapCents).toBe(gap);
          expect(error.message).toContain(`${budget}¢`);
        },
      ),
      { ...RUNS, numRuns: 2000 },
    );
  });

  it("is deterministic and leaves its input alone", () => {
    fc.assert(
      fc.property(contractArb, (input) => {
        fc.pre(model(input).net >= 0);
        const before = structuredClone(input);
        expect(rebalanceContract(input)).toEqual(rebalanceContract(input));
        expect(input).toEqual(before);
      }),
      { ...RUNS, numRuns: 500 },
    );
  });
});

describe("lineTotal: a line with its add-ons", () => {
  it("is its units plus each add-on once per unit, and all of it reaches the fee rules as the line's total", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 20 }),
        (unit, quantity, prices) => {
          const line = lineTotal(
            unit,
            quantity,
            prices.map((price, i) => ({ id: `a${i}`, price })),
          );
          expect(line.base).toBe(unit * quantity);
          expect(line.addOns.map((a) => a.total)).toEqual(prices.map((p) => p * quantity));
          expect(line.addOns.every((a) => a.quantity === quantity)).toBe(true);
          expect(line.total).toBe(line.base + prices.reduce((sum, p) => sum + p * quantity, 0));
          // Sold alone, the line is the contract's subTotal: every add-on cent is in the figures.
          const figures = rebalanceContract({
            items: [{ sellerUserId: "s0", total: line.total }],
            customFees: [],
            buyers: [{ userId: "b0" }],
            sellers: [{ userId: "s0" }],
            rates: { platformBps: 250 },
            include: { stripe: true, candle: true, platform: true },
          });
          expect(figures.subTotal).toBe(line.total);
          expect(figures.sellers[0]!.amountOwed).toBe(line.total);
        },
      ),
      { seed: 0xadd0, numRuns: 500 },
    );
  });

  it("refuses what is not cents", () => {
    expect(() => lineTotal(1.5, 1)).toThrow(RangeError);
    expect(() => lineTotal(100, 1, [{ id: "a", price: -1 }])).toThrow(RangeError);
  });
});
