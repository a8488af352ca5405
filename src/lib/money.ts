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
