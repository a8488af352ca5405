import { errors } from "../../../lib/route.js";
import { requireUser } from "../../../plugins/auth.js";
import { calendarEventSchema, createEventBody, eventParams, updateEventBody } from "../calendars.schemas.js";
import { toEventResponse } from "../calendars.service.js";
import { tags, self, type CalendarsApp, type CalendarsRoutesDeps } from "./shared.js";

/** The signed-in user's events. */
export function eventRoutes(app: CalendarsApp, { calendars }: CalendarsRoutesDeps): void {
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
}
