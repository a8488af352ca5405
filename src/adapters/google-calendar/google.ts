import { auth, calendar } from "@googleapis/calendar";
import { type BusyInterval, GoogleCalendarError, type GoogleCalendarGateway } from "./gateway.js";

/** Read-only free/busy, and the account's email to show which Google account is connected. */
const SCOPES = ["https://www.googleapis.com/auth/calendar.freebusy", "openid", "email"];
/** Google answers at most 50 calendars per free/busy query. */
const MAX_ITEMS = 50;

/** Google Calendar through the official client (`@googleapis/calendar`), with an OAuth client of the operator's. */
export function createGoogleCalendar(input: { clientId: string; clientSecret: string; redirectUrl: string; timeoutMs?: number }): GoogleCalendarGateway {
  const client = () => new auth.OAuth2(input.clientId, input.clientSecret, input.redirectUrl);
  const timeout = input.timeoutMs ?? 10_000;
  const fail = (err: unknown): never => {
    const e = err as { response?: { status?: number; data?: { error?: string } }; message?: string };
    if (e.response?.data?.error === "invalid_grant" || e.response?.status === 401)
      throw new GoogleCalendarError("invalid_grant", "Google refused the grant: connect Google Calendar again.");
    throw new GoogleCalendarError("unavailable", `Google Calendar failed: ${e.message ?? "unknown error"}`);
  };
  return {
    kind: "google",
    consentUrl(state) {
      // offline + consent: Google returns a refresh token every time, not only on the first consent.
      return client().generateAuthUrl({ access_type: "offline", prompt: "consent", scope: SCOPES, state, include_granted_scopes: true });
    },
    async exchangeCode(code) {
      const { tokens } = await client()
        .getToken(code)
        .catch((err) => fail(err));
      if (!tokens.refresh_token) throw new GoogleCalendarError("invalid_grant", "Google sent no refresh token: connect again.");
      let email: string | null = null;
      if (tokens.id_token) {
        const payload = JSON.parse(Buffer.from(tokens.id_token.split(".")[1] ?? "", "base64url").toString("utf8")) as { email?: unknown };
        email = typeof payload.email === "string" ? payload.email : null;
      }
      return { refreshToken: tokens.refresh_token, email };
    },
    async freeBusy(refreshToken, calendarIds, from, to) {
      const oauth = client();
      oauth.setCredentials({ refresh_token: refreshToken });
      const api = calendar({ version: "v3", auth: oauth });
      const answer = new Map<string, BusyInterval[]>();
      for (let i = 0; i < calendarIds.length; i += MAX_ITEMS) {
        const items = calendarIds.slice(i, i + MAX_ITEMS).map((id) => ({ id }));
        const { data } = await api.freebusy.query({ requestBody: { timeMin: from.toISOString(), timeMax: to.toISOString(), items } }, { timeout }).catch((err) => fail(err));
        for (const [id, cal] of Object.entries(data.calendars ?? {})) {
          if (cal.errors?.length) continue;
          answer.set(
            id,
            (cal.busy ?? []).flatMap((b) => (b.start && b.end ? [{ start: new Date(b.start), end: new Date(b.end) }] : [])),
          );
        }
      }
      return answer;
    },
    async revoke(refreshToken) {
      await client()
        .revokeToken(refreshToken)
        .catch(() => undefined);
    },
  };
}
