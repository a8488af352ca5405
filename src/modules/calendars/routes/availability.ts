import { errors } from "../../../lib/route.js";
import { requireAuth, requireUser } from "../../../plugins/auth.js";
import { calendarSchema, calendarWindowQuery, setAvailabilityBody, slotsQuery, slotsSchema, userParams } from "../calendars.schemas.js";
import { toCalendarResponse } from "../calendars.service.js";
import { tags, self, type CalendarsApp, type CalendarsRoutesDeps } from "./shared.js";

/** Calendars, availability and free slots. */
export function availabilityRoutes(app: CalendarsApp, { calendars }: CalendarsRoutesDeps): void {
  app.get(
    "/calendars/auth",
    {
      schema: {
        operationId: "retrieveSignedInUserCalendar",
        tags,
        summary: "The signed-in user's calendar: availability and events",
        description: "Events in [from, to), by default from a week ago to 90 days ahead. The calendar is created on first use.",
        querystring: calendarWindowQuery,
        response: { 200: calendarSchema, ...errors(400, 401) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toCalendarResponse(await calendars.mine(auth, auth.user.id, request.query));
    },
  );

  for (const method of ["POST", "PUT"] as const) {
    app.route({
      method,
      url: "/calendars/auth/availability",
      schema: {
        operationId: method === "POST" ? "setSignedInUserAvailability" : "modifySignedInUserAvailability",
        tags,
        summary: `${method === "POST" ? "Set" : "Modify"} the signed-in user's availability (the whole list)`,
        description:
          "Weekly ranges `{ dayOfWeek, startTime, endTime }` and date overrides `{ overrideDate, startTime, endTime }` or `{ overrideDate, isUnavailable: true }`, in the user's `timezone`. The list replaces the previous one. Overlapping or inverted ranges are a 400 naming the entry.",
        body: setAvailabilityBody,
        response: { 200: calendarSchema, ...errors(400, 401) },
      },
      config: self,
      handler: async (request) => {
        const auth = requireUser(request);
        return toCalendarResponse(await calendars.setAvailability(auth, auth.user.id, request.body.availability));
      },
    });
  }

  app.get(
    "/calendars/user/:user_id/availability",
    {
      schema: {
        operationId: "retrieveUserAvailability",
        tags,
        summary: "A user's availability (events stay private)",
        params: userParams,
        response: { 200: calendarSchema, ...errors(401, 404) },
      },
      config: { auth: {} },
    },
    async (request) => toCalendarResponse(await calendars.availabilityOf(requireAuth(request), request.params.user_id)),
  );

  app.get(
    "/calendars/user/:user_id/slots",
    {
      schema: {
        operationId: "listUserFreeSlots",
        tags,
        summary: "A user's free slots of a given length, in a time zone",
        querystring: slotsQuery,
        params: userParams,
        response: { 200: slotsSchema, ...errors(400, 401, 404) },
      },
      config: { auth: {} },
    },
    async (request) => calendars.slots(requireAuth(request), request.params.user_id, request.query),
  );
}
