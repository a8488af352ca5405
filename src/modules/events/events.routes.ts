import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../lib/route.js";
import { requireAuth } from "../../plugins/auth.js";
import { ValidationError } from "../../lib/errors.js";
import { eventCursorPageSchema, eventListSchema, eventParams, eventSchema, listEventsQuery, wantsCursor } from "./events.schemas.js";
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
        description:
          "Every state change records an event with the object as it was after the change. Two ways to page: `page` / `per_page` (answered with `meta`), or " +
          "Stripe's cursors — `limit`, `starting_after`, `ending_before` (answered with `has_more`) — which never skip nor repeat an event: poll with " +
          "`ending_before=<the newest event id seen>`.",
        querystring: listEventsQuery,
        response: { 200: z.union([eventListSchema, eventCursorPageSchema]), ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => {
      if (wantsCursor(request.query)) {
        if (new URLSearchParams(request.url.split("?")[1] ?? "").has("page")) {
          throw new ValidationError("cursor_conflict", "`page` pages by offset, `limit` and the cursors by event: send one or the other.", "page");
        }
        const page = await events.page(requireAuth(request), request.query);
        return { data: page.data.map(toEventResponse), has_more: page.has_more };
      }
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
