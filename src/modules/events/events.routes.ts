import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth } from "../../plugins/auth.js";
import { eventListSchema, eventParams, eventSchema, listEventsQuery } from "./events.schemas.js";
import { toEventResponse, type EventsService } from "./events.service.js";

const tags = ["Events"];
const admin = { auth: { role: "admin" } } as const;

/** The platform's events feed: the platform key, or an admin. */
export const eventsRoutes: FastifyPluginAsyncZod<{ events: EventsService }> = async (app, { events }) => {
  app.get(
    "/events",
    {
      schema: {
        operationId: "listEvents",
        tags,
        summary: "List events, newest first",
        description: "Every state change records an event with the object as it was after the change.",
        querystring: listEventsQuery,
        response: { 200: eventListSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => {
      const page = await events.list(requireAuth(request), request.query);
      return { data: page.data.map(toEventResponse), meta: page.meta };
    },
  );

  app.get(
    "/events/:id",
    {
      schema: { operationId: "retrieveEvent", tags, summary: "Retrieve an event", params: eventParams, response: { 200: eventSchema, ...errors(401, 403, 404) } },
      config: admin,
    },
    async (request) => toEventResponse(await events.retrieve(requireAuth(request), request.params.id)),
  );
};
