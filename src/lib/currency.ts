/**
 * Currencies a seller may be paid out in, and the one conversion formula (docs/api/payouts.md, Payout currency).
 *
 * Stripe settles a Connect account's balance in the currencies its country supports; a transfer in
 * another currency is converted on arrival, and the balance transaction on the connected account
 * carries `exchange_rate`. We allow a short list (below), not every currency Stripe knows: each one
 * here has its minor unit known to us, so amounts stay integers of the right unit.
 */

/** Minor units per major unit's exponent: JPY has none (an amount of 1500 is ¥1500), the rest two. */
const ZERO_DECIMAL = new Set(["jpy"]);

/** The payout currencies we allow, every one ISO 4217, lower-case. */
export const PAYOUT_CURRENCIES = ["usd", "eur", "gbp", "cad", "aud", "chf", "dkk", "sek", "nok", "jpy"] as const;

const EUROPE = ["eur", "gbp", "usd", "chf", "dkk", "sek", "nok"];
/**
 * What a Connect account of a country may be paid out in (Stripe's settlement currencies for that
 * country, narrowed to PAYOUT_CURRENCIES): its own currency first. A country not listed: its first
 * (and only) currency is the platform's charge currency.
 */
const SETTLEMENT: Readonly<Record<string, readonly string[]>> = {
  US: ["usd"],
  CA: ["cad", "usd"],
  GB: ["gbp", "eur", "usd", "chf", "dkk", "sek", "nok"],
  AU: ["aud"],
  JP: ["jpy"],
  CH: ["chf", "eur", "gbp", "usd", "dkk", "sek", "nok"],
  DK: ["dkk", ...EUROPE.filter((c) => c !== "dkk")],
  SE: ["sek", ...EUROPE.filter((c) => c !== "sek")],
  NO: ["nok", ...EUROPE.filter((c) => c !== "nok")],
  ...Object.fromEntries(["AT", "BE", "DE", "ES", "FI", "FR", "IE", "IT", "LU", "NL", "PT"].map((c) => [c, EUROPE])),
};

/** The countries a Connect account may be opened in here (`country` of `POST …/bank_account`). */
export const CONNECT_COUNTRIES = Object.keys(SETTLEMENT).sort();

/** The currencies an account of `country` may be paid out in; unknown countries: none known. */
export function settlementCurrencies(country: string | null): readonly string[] {
  return (country && SETTLEMENT[country.toUpperCase()]) || [];
}

export function minorUnitExponent(currency: string): number {
  return ZERO_DECIMAL.has(currency) ? 0 : 2;
}

/** `rate` (a decimal such as `"0.92"`, `0.92` or `"156.5"`) as an exact fraction. */
function fraction(rate: string | number): { num: bigint; den: bigint } {
  // A number's shortest decimal form is the one it was written with (0.92, not 0.91999…); tiny ones fall back to fixed digits.
  const text = typeof rate === "number" ? (!Number.isFinite(rate) ? "" : /e/i.test(String(rate)) ? rate.toFixed(12) : String(rate)) : rate;
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m || (BigInt(m[1]!) === 0n && BigInt(m[2] || "0") === 0n)) throw new RangeError(`An exchange rate is a positive decimal, got ${rate}.`);
  const decimals = m[2] ?? "";
  return { num: BigInt(m[1]! + decimals), den: 10n ** BigInt(decimals.length) };
}

/**
 * The one conversion: `amount` (minor units of `from`) at `rate` (units of `to` per unit of `from`,
 * Stripe's `exchange_rate`) in minor units of `to`, rounded half away from zero — exactly, on
 * integers, so the same inputs give the same cents everywhere (the simulator, statements, tests).
 */
export function convertAmount(amount: number, from: string, to: string, rate: string | number): number {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`An amount is an integer of minor units, got ${amount}.`);
  const { num, den } = fraction(rate);
  const scaledNum = BigInt(Math.abs(amount)) * num * 10n ** BigInt(minorUnitExponent(to));
  const scaledDen = den * 10n ** BigInt(minorUnitExponent(from));
  const rounded = (scaledNum * 2n + scaledDen) / (scaledDen * 2n);
  const n = Number(rounded);
  // Never -0: a refund too small to convert is 0, as its charge is.
  return amount < 0 && n !== 0 ? -n : n;
}

/** A rate as our API shows it: a number, as Stripe's `exchange_rate` (at most 12 decimals). */
export function rateNumber(rate: string): number {
  return Number(rate);
}
