import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { signedInUserRoutes } from "./routes/signed-in.js";
import { platformUserRoutes } from "./routes/platform.js";
import { admin, tags, type UsersRoutesDeps } from "./routes/shared.js";
import { metafieldRoutes } from "../metafields/index.js";

/**
 * The users routes, one concern a file under routes/. They are added to this plugin's own
 * instance (not registered as child plugins), in this order: the order of the OpenAPI document's paths.
 */
export const usersRoutes: FastifyPluginAsyncZod<UsersRoutesDeps> = async (app, deps) => {
  signedInUserRoutes(app, deps);
  platformUserRoutes(app, deps);
  metafieldRoutes(app, {
    owner: "user",
    resource: "users",
    tags,
    config: admin,
    readers: "The platform key, owners and admins (as `GET /users/:id`); the signed-in user reads their own on `GET /users/auth`.",
    writers:
      "The platform key, or an admin or owner who may change the user (ranked above them; owners on owners). Not the user themself: a platform's metafields on a person (a verification, a score) are its own notes.",
    read: (auth, id) => deps.users.metafields(auth, id),
    change: (auth, id, apply) => deps.users.changeMetafields(auth, id, apply),
  });
};
