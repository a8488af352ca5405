import { errors } from "../../../lib/route.js";
import { requireAuth, requireUser } from "../../../plugins/auth.js";
import {
  availabilityQuery,
  calendarAvailabilitySchema,
  calendarSchema,
  calendarWindowQuery,
  MAX_GOOGLE_CALENDARS,
  setAvailabilityBody,
  slotsQuery,
  slotsSchema,
  updateCalendarBody,
  userParams,
} from "../calendars.schemas.js";
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

  app.put(
    "/calendars/auth",
    {
      schema: {
        operationId: "modifySignedInUserCalendar",
        tags,
        summary: "Modify the signed-in user's calendar: name, description, Google calendars",
        description: `\`googleCalendarIds\` (at most ${MAX_GOOGLE_CALENDARS}, no repeats) name the Google calendars whose busy times are taken out of availability once Google Calendar is connected (\`POST /calendars/auth/google\`). Answers the calendar without its events.`,
        body: updateCalendarBody,
        response: { 200: calendarSchema, ...errors(400, 401) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toCalendarResponse(await calendars.updateCalendar(auth, auth.user.id, request.body));
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
          "Weekly ranges `{ dayOfWeek, startTime, endTime }` and date overrides `{ overrideDate, startTime, endTime }` or `{ overrideDate, isUnavailable: true }`, in the user's `timezone`. The list replaces the previous one. Overlapping or inverted ranges are a 400 naming the entry. Wrapped, the body may also set the calendar's `name`, `description` and `googleCalendarIds` (as `PUT /calendars/auth`).",
        body: setAvailabilityBody,
        response: { 200: calendarSchema, ...errors(400, 401) },
      },
      config: self,
      handler: async (request) => {
        const auth = requireUser(request);
        const { availability, ...details } = request.body;
        return toCalendarResponse(await calendars.setAvailability(auth, auth.user.id, availability, details));
      },
    });
  }

  app.get(
    "/calendars/user/:user_id/availability",
    {
      schema: {
        operationId: "retrieveUserAvailability",
        tags,
        summary: "A user's availability, and their openings (events stay private)",
        description:
          "`availability` is the weekly ranges and date overrides as set; `openings` the UTC intervals of [from, to) within them and clear of the user's events and of the busy times imported from their Google Calendar.",
        params: userParams,
        querystring: availabilityQuery,
        response: { 200: calendarAvailabilitySchema, ...errors(400, 401, 404) },
      },
      config: { auth: {} },
    },
    async (request) => {
      const { view, openings } = await calendars.availabilityOf(requireAuth(request), request.params.user_id, request.query);
      return { ...toCalendarResponse(view), openings };
    },
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
