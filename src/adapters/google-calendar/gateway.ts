/**
 * The Google Calendar port: what the calendars module needs of Google — a user's OAuth consent and
 * the free/busy times of the calendars they list in `googleCalendarIds`. Two implementations:
 * google.ts (Google's API through the official client, with GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET)
 * and offline.ts (the default: no network, busy times that tests and demos set).
 */

export interface BusyInterval {
  start: Date;
  end: Date;
}

export interface GoogleCalendarGateway {
  readonly kind: "google" | "offline";
  /** Where to send the user to consent; Google sends them back to the redirect URL with `code` and this `state`. */
  consentUrl(state: string): string;
  /** Trades the code Google sent back for a refresh token (and the account's email when Google says it). */
  exchangeCode(code: string): Promise<{ refreshToken: string; email: string | null }>;
  /** The busy intervals of each calendar in [from, to); a calendar Google refuses (unknown, not shared) is left out. */
  freeBusy(refreshToken: string, calendarIds: string[], from: Date, to: Date): Promise<Map<string, BusyInterval[]>>;
  /** Revokes the refresh token (best effort: a token already revoked is no error). */
  revoke(refreshToken: string): Promise<void>;
}

/**
 * `invalid_grant`: Google refuses the code or the refresh token (expired, revoked) — the user must
 * connect again. `unavailable`: Google could not be reached or failed.
 */
export class GoogleCalendarError extends Error {
  constructor(
    readonly reason: "invalid_grant" | "unavailable",
    message: string,
  ) {
    super(message);
    this.name = "GoogleCalendarError";
  }
}
