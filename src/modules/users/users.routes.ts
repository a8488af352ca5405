import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { signedInUserRoutes } from "./routes/signed-in.js";
import { platformUserRoutes } from "./routes/platform.js";
import type { UsersRoutesDeps } from "./routes/shared.js";

/**
 * The users routes, one concern a file under routes/. They are added to this plugin's own
 * instance (not registered as child plugins), in this order: the order of the OpenAPI document's paths.
 */
export const usersRoutes: FastifyPluginAsyncZod<UsersRoutesDeps> = async (app, deps) => {
  signedInUserRoutes(app, deps);
  platformUserRoutes(app, deps);
};
