/**
 * The simulator's exchange rates: a fixed table, units of each currency per US dollar, so tests and
 * docs give the same cents every run (docs/api/payouts.md, Payout currency). Stripe's own rates
 * move with the market; a cross rate here is `per_usd[to] / per_usd[from]` to 6 decimals, as
 * Stripe's `exchange_rate` has about that many. Replace it with `exchangeRates` of the gateway's options.
 */
export const OFFLINE_RATES_PER_USD: Readonly<Record<string, string>> = {
  usd: "1",
  eur: "0.92",
  gbp: "0.79",
  cad: "1.37",
  aud: "1.52",
  chf: "0.88",
  dkk: "6.87",
  sek: "10.45",
  nok: "10.7",
  jpy: "151.5",
};

const SCALE = 1_000_000n;

function scaled(decimal: string): bigint {
  const [whole, part = ""] = decimal.split(".");
  return BigInt(whole!) * SCALE + BigInt(`${part}000000`.slice(0, 6));
}

/** Units of `to` per unit of `from` as a decimal string (6 decimals, half up); null when the table lacks either. */
export function crossRate(table: Readonly<Record<string, string>>, from: string, to: string): string | null {
  const f = table[from];
  const t = table[to];
  if (!f || !t) return null;
  const num = scaled(t) * SCALE;
  const den = scaled(f);
  const q = (num * 2n + den) / (den * 2n);
  const whole = q / SCALE;
  const frac = (q % SCALE).toString().padStart(6, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}
