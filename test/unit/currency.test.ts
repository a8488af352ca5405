import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crossRate, OFFLINE_RATES_PER_USD } from "../../src/adapters/payments/offline/rates.js";
import { convertAmount, minorUnitExponent, PAYOUT_CURRENCIES, settlementCurrencies } from "../../src/lib/currency.js";

/**
 * The one conversion formula (src/lib/currency.ts): converted = round(original × rate), in the
 * target's minor units, exactly on integers. Checked here against an independent exact computation.
 */

const currency = fc.constantFrom(...PAYOUT_CURRENCIES);
/** Rates as Stripe gives them: up to 6 decimals, from 0.000001 to 1000. */
const rate = fc
  .tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999_999 }))
  .filter(([w, f]) => w > 0 || f > 0)
  .map(([w, f]) => `${w}.${String(f).padStart(6, "0")}`);
const amount = fc.integer({ min: -99_999_999, max: 99_999_999 });

describe("convertAmount", () => {
  it("is within half a minor unit of original × rate, rounding halves away from zero", () => {
    fc.assert(
      fc.property(amount, currency, currency, rate, (a, from, to, r) => {
        const converted = convertAmount(a, from, to, r);
        expect(Number.isSafeInteger(converted)).toBe(true);
        // exact = a × rate × 10^(to − from), as a fraction num / den with rate = micro / 10^6.
        const micro = BigInt(r.replace(".", ""));
        const num = BigInt(a) * micro * 10n ** BigInt(minorUnitExponent(to));
        const den = 10n ** 6n * 10n ** BigInt(minorUnitExponent(from));
        // |converted × den − num| ≤ den / 2, and exactly den / 2 only away from zero.
        const diff = BigInt(converted) * den - num;
        expect(2n * (diff < 0n ? -diff : diff) <= den).toBe(true);
        if (2n * (diff < 0n ? -diff : diff) === den) expect(Math.abs(converted) * Number(den) > Math.abs(Number(num))).toBe(true);
      }),
    );
  });

  it("is odd and monotonic: a refund converts to minus its charge, and more never converts to less", () => {
    fc.assert(
      fc.property(amount, amount, currency, currency, rate, (a, b, from, to, r) => {
        expect(convertAmount(-a, from, to, r)).toBe(-convertAmount(a, from, to, r) || 0);
        if (a <= b) expect(convertAmount(a, from, to, r)).toBeLessThanOrEqual(convertAmount(b, from, to, r));
      }),
    );
  });

  it("minds zero-decimal currencies: 1 000 cents at 151.5 yen a dollar are 1 515 yen, and back", () => {
    expect(convertAmount(1_000, "usd", "jpy", "151.5")).toBe(1_515);
    expect(convertAmount(1_515, "jpy", "usd", "0.006601")).toBe(1_000);
    expect(convertAmount(12_345, "usd", "eur", "0.92")).toBe(11_357);
    expect(convertAmount(5, "usd", "eur", "0.9")).toBe(5);
    expect(() => convertAmount(1.5, "usd", "eur", "0.9")).toThrow(RangeError);
    expect(() => convertAmount(100, "usd", "eur", "0")).toThrow(RangeError);
  });

  it("takes Stripe's numeric exchange_rate as the same decimal", () => {
    fc.assert(
      fc.property(amount, rate, (a, r) => {
        expect(convertAmount(a, "usd", "eur", Number(r))).toBe(convertAmount(a, "usd", "eur", r));
      }),
    );
  });
});

describe("the simulator's rates and the countries' currencies", () => {
  it("cross rates are per_usd[to] / per_usd[from], to 6 decimals; the same currency is 1", () => {
    expect(crossRate(OFFLINE_RATES_PER_USD, "usd", "eur")).toBe("0.92");
    expect(crossRate(OFFLINE_RATES_PER_USD, "eur", "usd")).toBe("1.086957");
    expect(crossRate(OFFLINE_RATES_PER_USD, "usd", "jpy")).toBe("151.5");
    expect(crossRate(OFFLINE_RATES_PER_USD, "gbp", "gbp")).toBe("1");
    expect(crossRate(OFFLINE_RATES_PER_USD, "usd", "xyz")).toBeNull();
    for (const c of PAYOUT_CURRENCIES) expect(OFFLINE_RATES_PER_USD[c], c).toBeDefined();
  });

  it("a US account is paid out in dollars only; a German one in euros first, or others of Europe's", () => {
    expect(settlementCurrencies("US")).toEqual(["usd"]);
    expect(settlementCurrencies("DE")[0]).toBe("eur");
    expect(settlementCurrencies("de")).toContain("usd");
    expect(settlementCurrencies("ZZ")).toEqual([]);
    expect(settlementCurrencies(null)).toEqual([]);
  });
});
