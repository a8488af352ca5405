/** The API's date format: UTC ISO 8601 without fractional seconds, e.g. 2023-06-21T10:00:00Z. */
export function toApiDate(date: Date): string;
export function toApiDate(date: Date | null | undefined): string | null;
export function toApiDate(date: Date | null | undefined): string | null {
  if (!date) return null;
  return `${date.toISOString().slice(0, 19)}Z`;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
