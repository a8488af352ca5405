import { DateTime } from "luxon";

/**
 * Billing periods, pure. A subscription's periods hang off its start (the anchor): period n is
 * [boundary(n), boundary(n + 1)), and every boundary is computed from the anchor — never from the
 * previous boundary — so a subscription started on Jan 31 renews on Feb 28 (Feb 29 in a leap year),
 * then Mar 31, Apr 30, May 31: a short month clamps that renewal, not the ones after it. Arithmetic
 * is in UTC (luxon), so a day is 24 hours and a month keeps the anchor's time of day.
 */

export const CYCLES = ["hourly", "daily", "weekly", "biweekly", "monthly", "yearly"] as const;
export type Cycle = (typeof CYCLES)[number];

const FIXED_MS: Partial<Record<Cycle, number>> = {
  hourly: 3_600_000,
  daily: 86_400_000,
  weekly: 7 * 86_400_000,
  biweekly: 14 * 86_400_000,
};

/** The start of period `n` (n ≥ 0) of a subscription anchored at `anchor`. */
export function periodBoundary(anchor: Date, cycle: Cycle, n: number): Date {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`A period number is a non-negative integer, got ${n}.`);
  const fixed = FIXED_MS[cycle];
  if (fixed !== undefined) return new Date(anchor.getTime() + n * fixed);
  const start = DateTime.fromJSDate(anchor, { zone: "utc" });
  return (cycle === "monthly" ? start.plus({ months: n }) : start.plus({ years: n })).toJSDate();
}

/** The period that contains `at`: the largest n with boundary(n) ≤ at (0 before the anchor). */
export function periodAt(anchor: Date, cycle: Cycle, at: Date): number {
  if (at.getTime() <= anchor.getTime()) return 0;
  const fixed = FIXED_MS[cycle];
  let n: number;
  if (fixed !== undefined) {
    n = Math.floor((at.getTime() - anchor.getTime()) / fixed);
  } else {
    const diff = DateTime.fromJSDate(at, { zone: "utc" }).diff(DateTime.fromJSDate(anchor, { zone: "utc" }), cycle === "monthly" ? "months" : "years");
    n = Math.max(0, Math.floor(cycle === "monthly" ? diff.months : diff.years));
  }
  // Clamped month ends make the estimate off by one either way at most: settle it on the boundaries themselves.
  while (n > 0 && periodBoundary(anchor, cycle, n).getTime() > at.getTime()) n -= 1;
  while (periodBoundary(anchor, cycle, n + 1).getTime() <= at.getTime()) n += 1;
  return n;
}
