import { DateTime, IANAZone } from "luxon";

/**
 * Availability arithmetic, pure. Weekly ranges (`dayOfWeek`) and date overrides (`overrideDate`)
 * are wall-clock times in the owner's time zone; they become UTC instants date by date, so a
 * 09:00–17:00 range is 14:00–22:00Z in New York winter and 13:00–21:00Z in summer, and the days
 * the clocks change come out right. A local time that does not exist (02:30 on a spring-forward
 * night) moves forward past the gap; one that exists twice (01:30 on a fall-back night) is the
 * earlier of the two — luxon's rules, the same as most calendars.
 */

export const DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
export type DayOfWeek = (typeof DAYS)[number];

export interface WeeklyRange {
  dayOfWeek: DayOfWeek;
  startTime: string;
  endTime: string;
}

export interface DateOverride {
  /** YYYY-MM-DD, a local date. */
  overrideDate: string;
  /** Absent with `isUnavailable`: the whole day is closed. */
  startTime?: string;
  endTime?: string;
  isUnavailable?: boolean;
}

export type AvailabilityEntry = WeeklyRange | DateOverride;

export interface Interval {
  start: number; // epoch ms, inclusive
  end: number; // epoch ms, exclusive
}

export interface AvailabilityProblem {
  index: number;
  field: "startTime" | "endTime" | "overrideDate" | "isUnavailable";
  message: string;
}

const TIME = /^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$|^24:00(?::00)?$/;

/** "9:00" is refused; "09:00" and "09:00:00" become "09:00:00"; "24:00" is allowed as an end. */
export function normalizeTime(value: string): string | null {
  const match = TIME.exec(value);
  if (!match) return null;
  if (value.startsWith("24")) return "24:00:00";
  return `${match[1]}:${match[2]}:${match[3] ?? "00"}`;
}

export function secondsOfDay(time: string): number {
  const [h, m, s] = time.split(":").map(Number) as [number, number, number];
  return h * 3600 + m * 60 + s;
}

const isOverride = (e: AvailabilityEntry): e is DateOverride => "overrideDate" in e && e.overrideDate !== undefined;

/**
 * Checks a whole availability list (times already normalised): ranges must not be inverted or
 * empty, must not overlap within one weekday or one override date, and a closed date carries no
 * ranges. Returns every problem, each naming its entry and field.
 */
export function findAvailabilityProblems(entries: readonly AvailabilityEntry[]): AvailabilityProblem[] {
  const problems: AvailabilityProblem[] = [];
  const groups = new Map<string, { index: number; start: number; end: number }[]>();
  const closedDates = new Map<string, number>();

  entries.forEach((entry, index) => {
    if (isOverride(entry) && entry.isUnavailable) {
      if (entry.startTime !== undefined || entry.endTime !== undefined) {
        problems.push({ index, field: "isUnavailable", message: "a closed date has no time range" });
      }
      if (closedDates.has(entry.overrideDate)) problems.push({ index, field: "overrideDate", message: "this date is already closed" });
      closedDates.set(entry.overrideDate, index);
      return;
    }
    if (entry.startTime === undefined || entry.endTime === undefined) {
      problems.push({ index, field: entry.startTime === undefined ? "startTime" : "endTime", message: "a range needs startTime and endTime" });
      return;
    }
    if (entry.startTime === "24:00:00") {
      problems.push({ index, field: "startTime", message: "24:00 can only end a range" });
      return;
    }
    const start = secondsOfDay(entry.startTime);
    const end = secondsOfDay(entry.endTime);
    if (end <= start) {
      problems.push({ index, field: "endTime", message: "must be after startTime" });
      return;
    }
    const key = isOverride(entry) ? `date:${entry.overrideDate}` : `day:${entry.dayOfWeek}`;
    const group = groups.get(key) ?? [];
    const clash = group.find((other) => start < other.end && other.start < end);
    if (clash) problems.push({ index, field: "startTime", message: `overlaps entry ${clash.index}` });
    group.push({ index, start, end });
    groups.set(key, group);
  });

  for (const [date, index] of closedDates) {
    if (groups.has(`date:${date}`)) problems.push({ index, field: "isUnavailable", message: "this date also has time ranges" });
  }
  return problems;
}

function localInstant(date: DateTime, time: string): DateTime {
  const seconds = secondsOfDay(time);
  // 24:00 is the start of the next day, whatever its length.
  if (seconds === 86_400) return date.plus({ days: 1 }).startOf("day");
  return date.set({ hour: Math.floor(seconds / 3600), minute: Math.floor((seconds % 3600) / 60), second: seconds % 60, millisecond: 0 });
}

/** The UTC intervals a calendar is open within [from, to), merged and sorted. */
export function openIntervals(entries: readonly AvailabilityEntry[], timezone: string, from: number, to: number): Interval[] {
  if (!IANAZone.isValidZone(timezone)) throw new RangeError(`unknown time zone ${timezone}`);
  const overrides = new Map<string, DateOverride[]>();
  const weekly = new Map<DayOfWeek, WeeklyRange[]>();
  for (const entry of entries) {
    if (isOverride(entry)) overrides.set(entry.overrideDate, [...(overrides.get(entry.overrideDate) ?? []), entry]);
    else weekly.set(entry.dayOfWeek, [...(weekly.get(entry.dayOfWeek) ?? []), entry]);
  }

  const intervals: Interval[] = [];
  // One local day before and after, so ranges crossing the window's edges are not lost.
  let day = DateTime.fromMillis(from, { zone: timezone }).startOf("day").minus({ days: 1 });
  const last = DateTime.fromMillis(to, { zone: timezone }).startOf("day").plus({ days: 1 });
  while (day <= last) {
    const iso = day.toISODate()!;
    const ranges: { startTime?: string; endTime?: string; isUnavailable?: boolean }[] = overrides.get(iso) ?? weekly.get(DAYS[day.weekday - 1]!) ?? [];
    for (const range of ranges) {
      if (range.isUnavailable || range.startTime === undefined || range.endTime === undefined) continue;
      const start = Math.max(localInstant(day, range.startTime).toMillis(), from);
      const end = Math.min(localInstant(day, range.endTime).toMillis(), to);
      if (end > start) intervals.push({ start, end });
    }
    day = day.plus({ days: 1 });
  }
  return mergeIntervals(intervals);
}

export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => a.start - b.start);
  const merged: Interval[] = [];
  for (const interval of sorted) {
    const lastMerged = merged.at(-1);
    if (lastMerged && interval.start <= lastMerged.end) lastMerged.end = Math.max(lastMerged.end, interval.end);
    else merged.push({ ...interval });
  }
  return merged;
}

/** `open` minus `busy`. */
export function subtractIntervals(open: readonly Interval[], busy: readonly Interval[]): Interval[] {
  const blockers = mergeIntervals(busy);
  const result: Interval[] = [];
  for (const interval of open) {
    let cursor = interval.start;
    for (const b of blockers) {
      if (b.end <= cursor || b.start >= interval.end) continue;
      if (b.start > cursor) result.push({ start: cursor, end: b.start });
      cursor = Math.max(cursor, b.end);
      if (cursor >= interval.end) break;
    }
    if (cursor < interval.end) result.push({ start: cursor, end: interval.end });
  }
  return result;
}

/** True when [start, end) lies entirely within one open interval. */
export function isWithin(open: readonly Interval[], start: number, end: number): boolean {
  return open.some((i) => i.start <= start && end <= i.end);
}

/**
 * Free slots of `durationMs`, starting every `stepMs` from the start of each free interval (so a
 * slot starts as soon as the calendar frees up), each entirely free.
 */
export function freeSlots(free: readonly Interval[], durationMs: number, stepMs: number, limit: number): Interval[] {
  const slots: Interval[] = [];
  for (const interval of free) {
    for (let start = interval.start; start + durationMs <= interval.end; start += stepMs) {
      slots.push({ start, end: start + durationMs });
      if (slots.length >= limit) return slots;
    }
  }
  return slots;
}
