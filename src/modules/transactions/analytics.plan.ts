/**
 * How a period `[from, to)` is read from the rollups (see the analytics models in schema.prisma):
 * as a signed sum of parts — blocks of whole UTC months, years or all time from a rollup, and raw
 * rows for what is not a whole month — chosen to read the fewest rows. Subtracting is allowed
 * because every figure is a sum: the 365 days to today are [a year ago, next month) of raw rows
 * and whole months, or better, the month a year ago minus its first days, the months after it, the
 * current year, minus the rest of the current month from today on (future days cost nothing).
 *
 * The cost of a part is an estimate of the rows it reads, counted only up to `now` (nothing is
 * written in the future, or if it is — a test clock — the plan is still exact, only slower).
 */

export type Unit = "month" | "year" | "all";

export interface Part {
  sign: 1 | -1;
  /** `raw`: the rows themselves; otherwise a rollup's periods of this unit starting in [from, to). */
  unit: Unit | "raw";
  /** Open when null. For a block, `from`/`to` are UTC month (or year) starts. */
  from: Date | null;
  to: Date | null;
}

/** Rows one part reads, roughly, in the units of a raw day. */
export interface Costs {
  rawDay: number;
  month: number;
  year: number;
  all: number;
}

const DAY = 86_400_000;
/** How far back an open start is assumed to reach, for costing only. */
const HISTORY_DAYS = 3_650;

const monthStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
const nextMonth = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
const yearStart = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), 0, 1));
const nextYear = (d: Date) => new Date(Date.UTC(d.getUTCFullYear() + 1, 0, 1));
const isMonthStart = (d: Date) => d.getTime() === monthStart(d).getTime();
const isYearStart = (d: Date) => d.getTime() === yearStart(d).getTime();

/** `[from, to)` as past days: open ends reach HISTORY_DAYS back and `now` forward. */
function pastDays(from: Date | null, to: Date | null, now: Date): number {
  const start = from ? from.getTime() : now.getTime() - HISTORY_DAYS * DAY;
  const end = Math.min(to ? to.getTime() : Infinity, now.getTime());
  return Math.max(0, (end - start) / DAY);
}

export function partCost(part: Part, now: Date, costs: Costs): number {
  // Every part is one more index scan, whatever it reads.
  const fixed = 1;
  if (part.unit === "all") return fixed + costs.all;
  const days = pastDays(part.from, part.to, now);
  if (part.unit === "raw") return fixed + days * costs.rawDay;
  // A block costs nothing beyond the scan when it lies wholly in the future.
  if (days === 0) return fixed;
  const per = part.unit === "month" ? 30.4 : 365.25;
  return fixed + Math.max(1, Math.round(days / per)) * (part.unit === "month" ? costs.month : costs.year);
}

const cost = (parts: Part[], now: Date, costs: Costs) => parts.reduce((sum, p) => sum + partCost(p, now, costs), 0);
const negate = (parts: Part[]): Part[] => parts.map((p) => ({ ...p, sign: p.sign === 1 ? -1 : 1 }));

interface Edge {
  /** Where the aligned middle starts (or ends); null when open. */
  at: Date | null;
  parts: Part[];
}

/** The ways to align one end of a period to `unit` starts: add what is before the next, or subtract what is after the last. */
function edges(at: Date | null, unit: "raw" | "month", start: (d: Date) => Date, next: (d: Date) => Date, isStart: (d: Date) => boolean, side: "from" | "to"): Edge[] {
  if (at === null || isStart(at)) return [{ at, parts: [] }];
  const down = start(at);
  const up = next(at);
  return side === "from"
    ? [
        { at: up, parts: [{ sign: 1, unit, from: at, to: up }] },
        { at: down, parts: [{ sign: -1, unit, from: down, to: at }] },
      ]
    : [
        { at: down, parts: [{ sign: 1, unit, from: down, to: at }] },
        { at: up, parts: [{ sign: -1, unit, from: at, to: up }] },
      ];
}

const before = (a: Date | null, b: Date | null) => a === null || b === null || a.getTime() < b.getTime();

/** Whole months `[from, to)` (month starts, or open) as month, year and all-time blocks. */
function wholeMonths(from: Date | null, to: Date | null, now: Date, costs: Costs, complement = true): Part[] {
  if (from === null && to === null) return [{ sign: 1, unit: "all", from: null, to: null }];
  const candidates: Part[][] = [];
  candidates.push([{ sign: 1, unit: "month", from, to }]);
  for (const lo of edges(from, "month", yearStart, nextYear, isYearStart, "from")) {
    for (const hi of edges(to, "month", yearStart, nextYear, isYearStart, "to")) {
      if (!before(lo.at, hi.at)) continue;
      const middle: Part = lo.at === null && hi.at === null ? { sign: 1, unit: "all", from: null, to: null } : { sign: 1, unit: "year", from: lo.at, to: hi.at };
      candidates.push([...lo.parts, middle, ...hi.parts]);
    }
  }
  // All time minus what lies outside: cheap when the period runs to (or from) the edge of the data.
  if (complement) {
    candidates.push([
      { sign: 1, unit: "all", from: null, to: null },
      ...(from === null ? [] : negate(wholeMonths(null, from, now, costs, false))),
      ...(to === null ? [] : negate(wholeMonths(to, null, now, costs, false))),
    ]);
  }
  return cheapest(candidates, now, costs);
}

function cheapest(candidates: Part[][], now: Date, costs: Costs): Part[] {
  let best = candidates[0]!;
  let bestCost = cost(best, now, costs);
  for (const c of candidates.slice(1)) {
    const k = cost(c, now, costs);
    if (k < bestCost) [best, bestCost] = [c, k];
  }
  return best;
}

/** The cheapest exact decomposition of `[from, to)`. */
export function planPeriod(from: Date | null, to: Date | null, now: Date, costs: Costs): Part[] {
  const candidates: Part[][] = [];
  if (from !== null || to !== null) candidates.push([{ sign: 1, unit: "raw", from, to }]);
  for (const lo of edges(from, "raw", monthStart, nextMonth, isMonthStart, "from")) {
    for (const hi of edges(to, "raw", monthStart, nextMonth, isMonthStart, "to")) {
      if (!before(lo.at, hi.at)) continue;
      candidates.push([...lo.parts, ...wholeMonths(lo.at, hi.at, now, costs), ...hi.parts]);
    }
  }
  return cheapest(candidates, now, costs);
}

/**
 * When a plan is one block from a known start — all time, or whole months or years from `start`
 * on (to `end`, or open) — the rollup period a ranking can read in index order: the one at
 * `start`; any later ones in the block are few (usually none: they would be in the future).
 */
export function singleBlock(parts: Part[]): { unit: Unit; start: Date | null; end: Date | null } | null {
  if (parts.length !== 1) return null;
  const [p] = parts as [Part];
  if (p.sign !== 1 || p.unit === "raw") return null;
  if (p.unit === "all") return { unit: "all", start: null, end: null };
  return p.from ? { unit: p.unit, start: p.from, end: p.to } : null;
}
