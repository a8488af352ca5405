import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { availabilityRoutes } from "./routes/availability.js";
import { eventRoutes } from "./routes/events.js";
import { feedRoutes } from "./routes/feed.js";
import { googleRoutes } from "./routes/google.js";
import { localtimeRoutes } from "./routes/localtime.js";
import type { CalendarsRoutesDeps } from "./routes/shared.js";

/**
 * The calendars routes, one concern a file under routes/. They are added to this plugin's own
 * instance (not registered as child plugins), in this order: the order of the OpenAPI document's paths.
 */
export const calendarsRoutes: FastifyPluginAsyncZod<CalendarsRoutesDeps> = async (app, deps) => {
  availabilityRoutes(app, deps);
  eventRoutes(app, deps);
  localtimeRoutes(app, deps);
  feedRoutes(app, deps);
  googleRoutes(app, deps);
};
