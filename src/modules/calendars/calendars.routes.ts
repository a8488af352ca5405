import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ValidationError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";
import { requireAuth, requireUser } from "../../plugins/auth.js";
import type { UsersService } from "../users/index.js";
import {
  calendarEventSchema,
  calendarSchema,
  calendarWindowQuery,
  createEventBody,
  eventParams,
  localtimeQuery,
  localtimeSchema,
  setAvailabilityBody,
  slotsQuery,
  slotsSchema,
  updateEventBody,
  userParams,
} from "./calendars.schemas.js";
import { localTime, toCalendarResponse, toEventResponse, type CalendarsService } from "./calendars.service.js";

const tags = ["Calendars"];
const self = { auth: { user: true } } as const;

export const calendarsRoutes: FastifyPluginAsyncZod<{ calendars: CalendarsService; users: Pick<UsersService, "retrieve"> }> = async (app, { calendars, users }) => {
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

  app.post(
    "/calendars/auth/event",
    {
      schema: {
        operationId: "createSignedInUserEvent",
        tags,
        summary: "Add an event to the signed-in user's calendar",
        description:
          "409 `outside_availability` when it is not within the user's availability (unless `isUnavailable`, which blocks time off), 409 `slot_taken` when it overlaps another event that is not cancelled.",
        body: createEventBody,
        response: { 201: calendarEventSchema, ...errors(400, 401, 404, 409) },
      },
      config: self,
    },
    async (request, reply) => {
      const auth = requireUser(request);
      return reply.code(201).send(toEventResponse(await calendars.createEvent(auth, auth.user.id, request.body)));
    },
  );

  app.get(
    "/calendars/auth/event/:event_id",
    {
      schema: {
        operationId: "retrieveSignedInUserEvent",
        tags,
        summary: "An event of the signed-in user's calendar",
        params: eventParams,
        response: { 200: calendarEventSchema, ...errors(401, 404) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toEventResponse(await calendars.retrieveEvent(auth, auth.user.id, request.params.event_id));
    },
  );

  app.put(
    "/calendars/auth/event/:event_id",
    {
      schema: {
        operationId: "modifySignedInUserEvent",
        tags,
        summary: "Modify an event of the signed-in user's calendar",
        description: "Moving it is checked like a new event; `cancelled: true` frees its time.",
        params: eventParams,
        body: updateEventBody,
        response: { 200: calendarEventSchema, ...errors(400, 401, 404, 409) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toEventResponse(await calendars.updateEvent(auth, auth.user.id, request.params.event_id, request.body));
    },
  );

  app.delete(
    "/calendars/auth/event/:event_id",
    {
      schema: {
        operationId: "removeSignedInUserEvent",
        tags,
        summary: "Remove an event of the signed-in user's calendar",
        description: "Events created by a subscription cannot be removed here (409 `subscription_event`).",
        params: eventParams,
        response: { 200: calendarEventSchema, ...errors(401, 404, 409) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toEventResponse(await calendars.deleteEvent(auth, auth.user.id, request.params.event_id));
    },
  );

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
};
