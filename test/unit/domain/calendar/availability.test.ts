import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  findAvailabilityProblems,
  freeSlots,
  isWithin,
  mergeIntervals,
  normalizeTime,
  openIntervals,
  subtractIntervals,
  type AvailabilityEntry,
  type Interval,
} from "../../../../src/domain/calendar/availability.js";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
const show = (intervals: Interval[]) => intervals.map((i) => [iso(i.start), iso(i.end)]);

const weekdays9to5: AvailabilityEntry[] = (["monday", "tuesday", "wednesday", "thursday", "friday"] as const).map((dayOfWeek) => ({
  dayOfWeek,
  startTime: "09:00:00",
  endTime: "17:00:00",
}));

describe("normalizeTime", () => {
  it("accepts HH:MM and HH:MM:SS, and 24:00 as an end", () => {
    expect(normalizeTime("09:00")).toBe("09:00:00");
    expect(normalizeTime("23:59:59")).toBe("23:59:59");
    expect(normalizeTime("24:00")).toBe("24:00:00");
    for (const bad of ["9:00", "24:01", "12:60", "noon", "12:00:60", ""]) expect(normalizeTime(bad)).toBeNull();
  });
});

describe("findAvailabilityProblems", () => {
  it("accepts a sound list", () => {
    expect(
      findAvailabilityProblems([
        ...weekdays9to5,
        { dayOfWeek: "monday", startTime: "18:00:00", endTime: "20:00:00" },
        { overrideDate: "2026-12-25", isUnavailable: true },
        { overrideDate: "2026-12-24", startTime: "09:00:00", endTime: "12:00:00" },
      ]),
    ).toEqual([]);
  });

  it("names inverted, empty and overlapping ranges, and contradictory dates", () => {
    const problems = findAvailabilityProblems([
      { dayOfWeek: "monday", startTime: "17:00:00", endTime: "09:00:00" },
      { dayOfWeek: "tuesday", startTime: "09:00:00", endTime: "09:00:00" },
      { dayOfWeek: "wednesday", startTime: "09:00:00", endTime: "12:00:00" },
      { dayOfWeek: "wednesday", startTime: "11:00:00", endTime: "13:00:00" },
      { overrideDate: "2026-12-25", isUnavailable: true },
      { overrideDate: "2026-12-25", startTime: "10:00:00", endTime: "11:00:00" },
      { dayOfWeek: "thursday", startTime: "24:00:00", endTime: "24:00:00" },
    ]);
    expect(problems.map((p) => [p.index, p.field])).toEqual([
      [0, "endTime"],
      [1, "endTime"],
      [3, "startTime"],
      [6, "startTime"],
      [4, "isUnavailable"],
    ]);
  });

  it("lets ranges touch without overlapping", () => {
    expect(
      findAvailabilityProblems([
        { dayOfWeek: "friday", startTime: "09:00:00", endTime: "12:00:00" },
        { dayOfWeek: "friday", startTime: "12:00:00", endTime: "24:00:00" },
      ]),
    ).toEqual([]);
  });
});

describe("openIntervals across daylight-saving changes (America/New_York, 09:00–17:00)", () => {
  it("March 2026: EST on Friday the 6th, EDT from Monday the 9th", () => {
    const open = openIntervals(weekdays9to5, "America/New_York", at("2026-03-06T00:00:00Z"), at("2026-03-10T00:00:00Z"));
    expect(show(open)).toEqual([
      ["2026-03-06T14:00:00Z", "2026-03-06T22:00:00Z"],
      ["2026-03-09T13:00:00Z", "2026-03-09T21:00:00Z"],
    ]);
  });

  it("November 2026: EDT on Friday October 30, EST from Monday November 2", () => {
    const open = openIntervals(weekdays9to5, "America/New_York", at("2026-10-30T00:00:00Z"), at("2026-11-03T00:00:00Z"));
    expect(show(open)).toEqual([
      ["2026-10-30T13:00:00Z", "2026-10-30T21:00:00Z"],
      ["2026-11-02T14:00:00Z", "2026-11-02T22:00:00Z"],
    ]);
  });

  it("the night the clocks change: 01:00–03:00 lasts one hour in March and three in November", () => {
    const night: AvailabilityEntry[] = [{ dayOfWeek: "sunday", startTime: "01:00:00", endTime: "03:00:00" }];
    const spring = openIntervals(night, "America/New_York", at("2026-03-08T00:00:00Z"), at("2026-03-09T00:00:00Z"));
    expect(show(spring)).toEqual([["2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"]]);
    const fall = openIntervals(night, "America/New_York", at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z"));
    expect(show(fall)).toEqual([["2026-11-01T05:00:00Z", "2026-11-01T08:00:00Z"]]);
  });

  it("a local time that does not exist moves forward past the gap", () => {
    const gap: AvailabilityEntry[] = [{ overrideDate: "2026-03-08", startTime: "02:30:00", endTime: "04:00:00" }];
    const open = openIntervals(gap, "America/New_York", at("2026-03-08T00:00:00Z"), at("2026-03-09T00:00:00Z"));
    expect(show(open)).toEqual([["2026-03-08T07:30:00Z", "2026-03-08T08:00:00Z"]]);
  });
});

describe("openIntervals", () => {
  it("lets an override replace the weekday, or close it", () => {
    const entries: AvailabilityEntry[] = [
      ...weekdays9to5,
      { overrideDate: "2026-06-01", startTime: "12:00:00", endTime: "13:00:00" },
      { overrideDate: "2026-06-02", isUnavailable: true },
    ];
    const open = openIntervals(entries, "UTC", at("2026-06-01T00:00:00Z"), at("2026-06-04T00:00:00Z"));
    expect(show(open)).toEqual([
      ["2026-06-01T12:00:00Z", "2026-06-01T13:00:00Z"],
      ["2026-06-03T09:00:00Z", "2026-06-03T17:00:00Z"],
    ]);
  });

  it("clips to the window and joins a range ending at 24:00 with the next day's at 00:00", () => {
    const entries: AvailabilityEntry[] = [
      { dayOfWeek: "monday", startTime: "20:00:00", endTime: "24:00:00" },
      { dayOfWeek: "tuesday", startTime: "00:00:00", endTime: "02:00:00" },
    ];
    const open = openIntervals(entries, "Europe/Paris", at("2026-06-01T19:00:00Z"), at("2026-06-02T00:30:00Z"));
    expect(show(open)).toEqual([["2026-06-01T19:00:00Z", "2026-06-02T00:00:00Z"]]);
  });
});

describe("interval arithmetic", () => {
  it("subtracts busy time and finds slots", () => {
    const open = [{ start: 0, end: 100 }];
    const free = subtractIntervals(open, [
      { start: 20, end: 30 },
      { start: 25, end: 40 },
      { start: 90, end: 120 },
    ]);
    expect(free).toEqual([
      { start: 0, end: 20 },
      { start: 40, end: 90 },
    ]);
    expect(freeSlots(free, 20, 10, 100)).toEqual([
      { start: 0, end: 20 },
      { start: 40, end: 60 },
      { start: 50, end: 70 },
      { start: 60, end: 80 },
      { start: 70, end: 90 },
    ]);
    expect(isWithin(open, 10, 100)).toBe(true);
    expect(isWithin(free, 10, 30)).toBe(false);
  });

  it("merging and subtracting keep every free instant and no busy one", () => {
    const interval = fc.tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 1, max: 100 })).map(([s, d]) => ({ start: s, end: s + d }));
    fc.assert(
      fc.property(fc.array(interval, { maxLength: 8 }), fc.array(interval, { maxLength: 8 }), (openRaw, busy) => {
        const open = mergeIntervals(openRaw);
        const free = subtractIntervals(open, busy);
        for (let x = 0; x < 620; x += 1) {
          const inOpen = open.some((i) => i.start <= x && x < i.end);
          const inBusy = busy.some((i) => i.start <= x && x < i.end);
          const inFree = free.some((i) => i.start <= x && x < i.end);
          expect(inFree).toBe(inOpen && !inBusy);
        }
      }),
      { seed: 0xca1, numRuns: 300 },
    );
  });
});
