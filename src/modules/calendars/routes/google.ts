import { ValidationError } from "../../../lib/errors.js";
import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireUser } from "../../../plugins/auth.js";
import { googleCallbackQuery, googleConnectionSchema, googleConnectSchema } from "../calendars.schemas.js";
import { self, tags, type CalendarsApp, type CalendarsRoutesDeps } from "./shared.js";

/** The signed-in user's Google Calendar connection (OAuth), whose busy times come out of availability. */
export function googleRoutes(app: CalendarsApp, { calendars, platforms }: CalendarsRoutesDeps): void {
  app.get(
    "/calendars/auth/google",
    {
      schema: {
        operationId: "retrieveSignedInUserGoogleCalendar",
        tags,
        summary: "The signed-in user's Google Calendar connection",
        response: { 200: googleConnectionSchema, ...errors(401) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return calendars.googleStatus(auth, auth.user.id);
    },
  );

  app.post(
    "/calendars/auth/google",
    {
      schema: {
        operationId: "connectSignedInUserGoogleCalendar",
        tags,
        summary: "Start connecting Google Calendar: answers Google's consent page",
        body: noBody,
        description:
          "Send the user to `url`; Google sends them back to `/v1/calendars/google/callback`, which keeps the grant (read-only free/busy) and imports the busy times of the calendar's `googleCalendarIds`. The link is good for 15 minutes. With the offline Google Calendar (no `GOOGLE_CLIENT_ID`), opening it completes the connection at once.",
        response: { 200: googleConnectSchema, ...errors(401) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return calendars.startGoogleConnect(auth, auth.user.id);
    },
  );

  app.delete(
    "/calendars/auth/google",
    {
      schema: {
        operationId: "disconnectSignedInUserGoogleCalendar",
        tags,
        summary: "Disconnect Google Calendar: the grant is revoked and the imported busy times removed",
        response: { 200: googleConnectionSchema, ...errors(401, 409) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return calendars.disconnectGoogle(auth, auth.user.id);
    },
  );

  app.get(
    "/calendars/google/callback",
    {
      schema: {
        operationId: "finishGoogleCalendarConnection",
        tags,
        summary: "Where Google sends the user back after consent (the redirect URL of the OAuth client)",
        description: "The signed `state` names the user who started; a missing, tampered or expired one is a 400, as is a refusal (`error`).",
        querystring: googleCallbackQuery,
        response: { 200: googleConnectionSchema, ...errors(400, 404, 502) },
      },
      // Google redirects the user's browser here, without our credentials: the state is the credential.
      config: { auth: "public" },
    },
    async (request) => {
      const { state, code, error } = request.query;
      const who = calendars.readGoogleState(state);
      if (!who) throw new ValidationError("parameter_invalid", "The `state` is not one this server issued, or it expired: start connecting again.", "state");
      if (error || !code) throw new ValidationError("parameter_invalid", `Google did not grant access (${error ?? "no code"}).`, error ? "error" : "code");
      const platform = await platforms.resolvePublic(request.auth, who.platformId);
      if (platform.mode !== who.mode) throw new ValidationError("parameter_invalid", "The `state` does not match its platform.", "state");
      return calendars.finishGoogleConnect({ platformId: platform.id, mode: platform.mode, requestId: request.id }, who.userId, code);
    },
  );
}
