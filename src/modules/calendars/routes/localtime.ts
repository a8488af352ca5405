import { ValidationError } from "../../../lib/errors.js";
import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { localtimeQuery, localtimeSchema } from "../calendars.schemas.js";
import { localTime } from "../calendars.service.js";
import { tags, type CalendarsApp, type CalendarsRoutesDeps } from "./shared.js";

/** A user's local time. */
export function localtimeRoutes(app: CalendarsApp, { users }: CalendarsRoutesDeps): void {
  // Documented as /calendar/localtime; /calendars/localtime matches the resource's other paths.
  for (const [url, operationId] of [
    ["/calendar/localtime", "convertToLocalTime"],
    ["/calendars/localtime", "convertToLocalTimeCalendars"],
  ] as const) {
    app.get(
      url,
      {
        schema: {
          operationId,
          tags,
          summary: "Convert a UTC date to local time",
          description: "In `timezone`, or the signed-in user's time zone when none is given.",
          querystring: localtimeQuery,
          response: { 200: localtimeSchema, ...errors(400, 401) },
        },
        config: { auth: {} },
      },
      async (request) => {
        const auth = requireAuth(request);
        let zone = request.query.timezone;
        if (!zone) {
          if (!auth.user) throw new ValidationError("parameter_missing", "Send `timezone`, or a user token to use the user's time zone.", "timezone");
          zone = (await users.retrieve(auth, auth.user.id)).timezone;
        }
        return localTime(request.query.date, zone);
      },
    );
  }
}
