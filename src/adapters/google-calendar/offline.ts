import { randomBase62 } from "../../lib/crypto.js";
import { type BusyInterval, GoogleCalendarError, type GoogleCalendarGateway } from "./gateway.js";

/**
 * The offline Google Calendar: the consent "page" is the callback itself (opening the consent URL
 * completes the connection at once, as the offline Stripe onboarding does), and each Google
 * calendar id's busy times are what `setBusy` gave it, kept in this process (none by default).
 */
export interface OfflineGoogleCalendar extends GoogleCalendarGateway {
  readonly kind: "offline";
  setBusy(googleCalendarId: string, intervals: BusyInterval[]): void;
  /** How many free/busy queries were answered (the job's refresh is seen in tests through it). */
  readonly queries: number;
}

const CODE_PREFIX = "offline_code_";
const TOKEN_PREFIX = "offline_refresh_";

export function createOfflineGoogleCalendar(input: { redirectUrl: string }): OfflineGoogleCalendar {
  const busy = new Map<string, BusyInterval[]>();
  const revoked = new Set<string>();
  let queries = 0;
  return {
    kind: "offline",
    get queries() {
      return queries;
    },
    consentUrl(state) {
      const url = new URL(input.redirectUrl);
      url.searchParams.set("state", state);
      url.searchParams.set("code", `${CODE_PREFIX}${randomBase62(24)}`);
      return url.toString();
    },
    async exchangeCode(code) {
      if (!code.startsWith(CODE_PREFIX)) throw new GoogleCalendarError("invalid_grant", "The authorization code is not one the offline Google Calendar issued.");
      return { refreshToken: `${TOKEN_PREFIX}${randomBase62(32)}`, email: null };
    },
    async freeBusy(refreshToken, calendarIds, from, to) {
      if (!refreshToken.startsWith(TOKEN_PREFIX) || revoked.has(refreshToken)) throw new GoogleCalendarError("invalid_grant", "The refresh token is revoked or unknown.");
      queries += 1;
      const answer = new Map<string, BusyInterval[]>();
      for (const id of calendarIds) {
        answer.set(
          id,
          (busy.get(id) ?? [])
            .filter((b) => b.end > from && b.start < to)
            .map((b) => ({ start: new Date(Math.max(b.start.getTime(), from.getTime())), end: new Date(Math.min(b.end.getTime(), to.getTime())) })),
        );
      }
      return answer;
    },
    async revoke(refreshToken) {
      revoked.add(refreshToken);
    },
    setBusy(googleCalendarId, intervals) {
      busy.set(googleCalendarId, intervals);
    },
  };
}
