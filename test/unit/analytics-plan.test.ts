import { describe, expect, it } from "vitest";
import { planPeriod, singleBlock, type Costs, type Part } from "../../src/modules/transactions/analytics.plan.js";

/**
 * A plan is exact when every instant is counted as often as the period counts it: once inside
 * `[from, to)`, never outside, whatever the signs of the parts that cover it.
 */
const COSTS: Costs = { rawDay: 1, month: 15, year: 45, all: 60 };
const VALUE_COSTS: Costs = { rawDay: 1, month: 1, year: 1.2, all: 1.5 };
const NOW = new Date("2026-11-22T05:00:00Z");

const monthOf = (t: number) => Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth(), 1);
const yearOf = (t: number) => Date.UTC(new Date(t).getUTCFullYear(), 0, 1);
const inRange = (x: number, from: Date | null, to: Date | null) => (from === null || x >= from.getTime()) && (to === null || x < to.getTime());

/** How a rollup reads an instant: a block holds the periods starting in its range. */
function counted(parts: Part[], t: number): number {
  let n = 0;
  for (const p of parts) {
    const holds = p.unit === "all" || (p.unit === "raw" ? inRange(t, p.from, p.to) : inRange(p.unit === "month" ? monthOf(t) : yearOf(t), p.from, p.to));
    if (holds) n += p.sign;
  }
  return n;
}

function generator(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const START = Date.parse("2022-01-01T00:00:00Z");
const SPAN = Date.parse("2028-01-01T00:00:00Z") - START;

describe("planPeriod", () => {
  it("counts every instant exactly as the period does, for random periods and both cost models", () => {
    const rnd = generator(42);
    const instant = () => {
      const t = START + Math.floor(rnd() * SPAN);
      // Half on edges: midnight, a month's or a year's start, a millisecond before one.
      const r = rnd();
      if (r < 0.2) return Math.floor(t / 86_400_000) * 86_400_000;
      if (r < 0.35) return monthOf(t);
      if (r < 0.45) return yearOf(t) - (rnd() < 0.5 ? 1 : 0);
      return t;
    };
    for (let i = 0; i < 400; i++) {
      let from: Date | null = rnd() < 0.2 ? null : new Date(instant());
      let to: Date | null = rnd() < 0.2 ? null : new Date(instant());
      if (from && to && from.getTime() >= to.getTime()) [from, to] = [to, new Date(from.getTime() + 1)];
      for (const costs of [COSTS, VALUE_COSTS]) {
        const plan = planPeriod(from, to, NOW, costs);
        for (let k = 0; k < 60; k++) {
          const t = k < 6 ? ([from, to].filter((d): d is Date => d !== null).flatMap((d) => [d.getTime() - 1, d.getTime()])[k % 4] ?? instant()) : instant();
          expect(counted(plan, t), `[${from?.toISOString()}, ${to?.toISOString()}) at ${new Date(t).toISOString()}`).toBe(inRange(t, from, to) ? 1 : 0);
        }
      }
    }
  });

  it("reads all time, a calendar year or a month from one rollup period", () => {
    expect(planPeriod(null, null, NOW, COSTS)).toEqual([{ sign: 1, unit: "all", from: null, to: null }]);
    const year = planPeriod(new Date("2025-01-01T00:00:00Z"), new Date("2026-01-01T00:00:00Z"), NOW, COSTS);
    expect(singleBlock(year)).toEqual({ unit: "year", start: new Date("2025-01-01T00:00:00Z"), end: new Date("2026-01-01T00:00:00Z") });
    const month = planPeriod(new Date("2026-10-01T00:00:00Z"), new Date("2026-11-01T00:00:00Z"), NOW, COSTS);
    expect(singleBlock(month)).toEqual({ unit: "month", start: new Date("2026-10-01T00:00:00Z"), end: new Date("2026-11-01T00:00:00Z") });
    // The year to date, open-ended: the current year, and any later one (none, unless dated ahead).
    expect(singleBlock(planPeriod(new Date("2026-01-01T00:00:00Z"), null, NOW, COSTS))).toEqual({ unit: "year", start: new Date("2026-01-01T00:00:00Z"), end: null });
  });

  it("subtracts rather than adds when that reads less: the 365 days to today", () => {
    const plan = planPeriod(new Date("2025-11-22T00:00:00Z"), new Date("2026-11-22T00:00:00Z"), NOW, COSTS);
    expect(plan.filter((p) => p.sign === -1).length).toBeGreaterThan(0);
    expect(plan.some((p) => p.unit === "year" && p.from?.toISOString() === "2026-01-01T00:00:00.000Z")).toBe(true);
  });

  it("reads a few days as rows, not rollups", () => {
    expect(planPeriod(new Date("2026-06-03T00:00:00Z"), new Date("2026-06-08T00:00:00Z"), NOW, COSTS)).toEqual([
      { sign: 1, unit: "raw", from: new Date("2026-06-03T00:00:00Z"), to: new Date("2026-06-08T00:00:00Z") },
    ]);
  });
});
