import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CYCLES, periodAt, periodBoundary } from "../../../../src/domain/subscriptions/periods.js";

const iso = (d: Date) => d.toISOString().replace(".000", "");

describe("periodBoundary", () => {
  it("anchors months on the start day: Jan 31 → Feb 28 / Feb 29 → Mar 31 → Apr 30", () => {
    const jan31 = new Date("2027-01-31T10:00:00Z");
    expect([0, 1, 2, 3, 4].map((n) => iso(periodBoundary(jan31, "monthly", n)))).toEqual([
      "2027-01-31T10:00:00Z",
      "2027-02-28T10:00:00Z",
      "2027-03-31T10:00:00Z",
      "2027-04-30T10:00:00Z",
      "2027-05-31T10:00:00Z",
    ]);
    const leap = new Date("2028-01-31T00:00:00Z");
    expect(iso(periodBoundary(leap, "monthly", 1))).toBe("2028-02-29T00:00:00Z");
    expect(iso(periodBoundary(leap, "monthly", 2))).toBe("2028-03-31T00:00:00Z");
    expect(iso(periodBoundary(new Date("2026-11-30T12:00:00Z"), "monthly", 3))).toBe("2027-02-28T12:00:00Z");
  });

  it("years from Feb 29 land on Feb 28, and on Feb 29 again in leap years", () => {
    const feb29 = new Date("2028-02-29T08:00:00Z");
    expect(iso(periodBoundary(feb29, "yearly", 1))).toBe("2029-02-28T08:00:00Z");
    expect(iso(periodBoundary(feb29, "yearly", 4))).toBe("2032-02-29T08:00:00Z");
  });

  it("fixed cycles are fixed lengths in UTC (no daylight-saving shifts)", () => {
    const start = new Date("2026-03-07T12:00:00Z");
    expect(iso(periodBoundary(start, "hourly", 5))).toBe("2026-03-07T17:00:00Z");
    expect(iso(periodBoundary(start, "daily", 2))).toBe("2026-03-09T12:00:00Z");
    expect(iso(periodBoundary(start, "weekly", 1))).toBe("2026-03-14T12:00:00Z");
    expect(iso(periodBoundary(start, "biweekly", 2))).toBe("2026-04-04T12:00:00Z");
    expect(() => periodBoundary(start, "daily", -1)).toThrow(RangeError);
  });
});

describe("periodAt", () => {
  it("finds the period containing an instant, boundaries included", () => {
    const jan31 = new Date("2027-01-31T10:00:00Z");
    expect(periodAt(jan31, "monthly", new Date("2027-01-01T00:00:00Z"))).toBe(0);
    expect(periodAt(jan31, "monthly", jan31)).toBe(0);
    expect(periodAt(jan31, "monthly", new Date("2027-02-28T09:59:59Z"))).toBe(0);
    expect(periodAt(jan31, "monthly", new Date("2027-02-28T10:00:00Z"))).toBe(1);
    expect(periodAt(jan31, "monthly", new Date("2027-03-30T00:00:00Z"))).toBe(1);
    expect(periodAt(jan31, "monthly", new Date("2027-03-31T10:00:00Z"))).toBe(2);
  });

  it("agrees with the boundaries for every cycle", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CYCLES),
        fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2090-01-01T00:00:00Z"), noInvalidDate: true }),
        fc.integer({ min: 0, max: 400 * 24 * 3600 }),
        (cycle, anchor, seconds) => {
          const at = new Date(anchor.getTime() + seconds * 1000);
          const n = periodAt(anchor, cycle, at);
          expect(periodBoundary(anchor, cycle, n).getTime()).toBeLessThanOrEqual(at.getTime());
          expect(periodBoundary(anchor, cycle, n + 1).getTime()).toBeGreaterThan(at.getTime());
        },
      ),
    );
  });
});
