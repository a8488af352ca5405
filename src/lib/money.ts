/**
 * Percentages travel through the API as numbers with at most two decimals (2.5 = 2.5 %) and are
 * stored as integer basis points (250), so fee arithmetic never touches floating point.
 */
export function percentToBps(percent: number): number {
  const bps = Math.round(percent * 100);
  if (Math.abs(bps - percent * 100) > 1e-6) throw new RangeError("a percentage has at most two decimals");
  return bps;
}

export function bpsToPercent(bps: number): number {
  return bps / 100;
}

const ZERO_DECIMAL = new Set(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]);

/** "123.45 USD" (two-decimal currencies) or "12345 JPY". */
export function formatMoney(cents: number, currency: string): string {
  const amount = ZERO_DECIMAL.has(currency) ? String(cents) : `${Math.trunc(cents / 100)}.${String(cents % 100).padStart(2, "0")}`;
  return `${amount} ${currency.toUpperCase()}`;
}
