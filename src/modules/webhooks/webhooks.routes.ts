import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { endpointRoutes } from "./routes/endpoints.js";
import { deliveryRoutes } from "./routes/deliveries.js";
import type { WebhooksRoutesDeps } from "./routes/shared.js";

/**
 * The webhooks routes, one concern a file under routes/. They are added to this plugin's own
 * instance (not registered as child plugins), in this order: the order of the OpenAPI document's paths.
 */
export const webhooksRoutes: FastifyPluginAsyncZod<WebhooksRoutesDeps> = async (app, deps) => {
  endpointRoutes(app, deps);
  deliveryRoutes(app, deps);
};
