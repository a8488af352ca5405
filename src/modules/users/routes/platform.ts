import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { imageSource } from "../../media/index.js";
import {
  confirmEmailBody,
  createUserBody,
  imageBody,
  linkBody,
  listUsersQuery,
  noBody,
  updateUserBody,
  userLinkParams,
  userListSchema,
  userParams,
  userSchema,
} from "../users.schemas.js";
import { toUserResponse } from "../users.service.js";
import { tags, admin, type UsersApp, type UsersRoutesDeps } from "./shared.js";

/** Users of the platform (API key or admin): create, list, retrieve, modify, delete, suspend, their email, image and links. */
export function platformUserRoutes(app: UsersApp, { users }: UsersRoutesDeps): void {
  app.post(
    "/users",
    {
      schema: {
        operationId: "createUser",
        tags,
        summary: "Create a user",
        description: "A role other than `member` needs an owner (or the platform key).",
        body: createUserBody,
        response: { 201: userSchema, ...errors(400, 401, 403, 409) },
      },
      config: admin,
    },
    async (request, reply) => reply.code(201).send(toUserResponse(await users.create(requireAuth(request), request.body))),
  );

  app.get(
    "/users",
    {
      schema: { operationId: "listUsers", tags, summary: "List users", querystring: listUsersQuery, response: { 200: userListSchema, ...errors(400, 401, 403) } },
      config: admin,
    },
    async (request) => {
      const page = await users.list(requireAuth(request), request.query);
      return { data: page.data.map(toUserResponse), meta: page.meta };
    },
  );

  app.get(
    "/users/:id",
    { schema: { operationId: "retrieveUser", tags, summary: "Retrieve a user", params: userParams, response: { 200: userSchema, ...errors(401, 403, 404) } }, config: admin },
    async (request) => toUserResponse(await users.retrieve(requireAuth(request), request.params.id)),
  );

  app.put(
    "/users/:id",
    {
      schema: {
        operationId: "modifyUser",
        tags,
        summary: "Modify a user",
        description:
          "Changing `role` needs an owner (or the platform key). Nobody but the platform key and the user themself may change a user of an equal or higher role, except owners, who may change owners (403 `user_role_protected`). " +
          "A new `email` takes effect at once only from the platform key; from a user it becomes `pendingEmail` until the code emailed to it is given to `POST /users/:id/email/confirm`. The current address is told either way.",
        params: userParams,
        body: updateUserBody,
        response: { 200: userSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: admin,
    },
    async (request) => toUserResponse(await users.update(requireAuth(request), request.params.id, request.body)),
  );

  app.post(
    "/users/:id/email/confirm",
    {
      schema: {
        operationId: "confirmUserEmail",
        tags,
        summary: "Confirm a user's new email",
        description:
          "With the code emailed to the user's `pendingEmail`, makes it their `email` (422 `email_code_invalid` when wrong or expired; 429 after 5 wrong codes). The old address is told.",
        params: userParams,
        body: confirmEmailBody,
        response: { 200: userSchema, ...errors(400, 401, 403, 404, 409, 422, 429) },
      },
      config: admin,
    },
    async (request) => toUserResponse(await users.confirmEmail(requireAuth(request), request.params.id, request.body.token)),
  );

  app.delete(
    "/users/:id",
    {
      schema: {
        operationId: "scheduleUserDeletion",
        tags,
        summary: "Schedule a user for deletion in 30 days",
        description:
          "Nobody but the platform key and the user may schedule the deletion of a user of an equal or higher role, except owners, who may for owners (403 `user_role_protected`).",
        params: userParams,
        response: { 200: userSchema, ...errors(401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toUserResponse(await users.scheduleDeletion(requireAuth(request), request.params.id)),
  );

  app.put(
    "/users/:id/suspend",
    {
      schema: {
        operationId: "suspendUser",
        tags,
        summary: "Suspend a user",
        description:
          "While `suspended` is set the user cannot sign in (403 `user_suspended` on the code), their sessions are refused (403 `user_suspended`), and no settlement or renewal charges them or pays them (409 `buyer_suspended`, `seller_suspended`). Reversible: `PUT /users/:id/unsuspend`. " +
          "The platform key or a user of a strictly higher role (owners do not suspend owners, nobody themself: 403 `user_role_protected`); 409 `last_owner` for the last owner not suspended. Already suspended: answered as it is. Records `user.suspended`.",
        params: userParams,
        body: noBody,
        response: { 200: userSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: admin,
    },
    async (request) => toUserResponse(await users.suspend(requireAuth(request), request.params.id)),
  );

  app.put(
    "/users/:id/unsuspend",
    {
      schema: {
        operationId: "unsuspendUser",
        tags,
        summary: "Unsuspend a user",
        description:
          "`suspended` back to null: the user may sign in, and their sessions work again. Who: as for suspending (403 `user_role_protected`). Not suspended: answered as it is. Records `user.unsuspended`.",
        params: userParams,
        body: noBody,
        response: { 200: userSchema, ...errors(400, 401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toUserResponse(await users.unsuspend(requireAuth(request), request.params.id)),
  );

  app.post(
    "/users/:id/image",
    {
      schema: {
        operationId: "addUserImage",
        tags,
        summary: "Set a user's image",
        params: userParams,
        body: imageBody,
        response: { 200: userSchema, ...errors(400, 401, 403, 404, 413, 415) },
      },
      config: admin,
    },
    async (request) => toUserResponse(await users.setImage(requireAuth(request), request.params.id, await imageSource(request, request.body))),
  );

  app.post(
    "/users/:id/link",
    {
      schema: {
        operationId: "addUserLink",
        tags,
        summary: "Add a link to a user",
        params: userParams,
        body: linkBody,
        response: { 200: userSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: admin,
    },
    async (request) => toUserResponse(await users.addLink(requireAuth(request), request.params.id, request.body)),
  );

  app.delete(
    "/users/:id/link/:link_id",
    {
      schema: { operationId: "removeUserLink", tags, summary: "Remove a link of a user", params: userLinkParams, response: { 200: userSchema, ...errors(401, 403, 404) } },
      config: admin,
    },
    async (request) => toUserResponse(await users.removeLink(requireAuth(request), request.params.id, request.params.link_id)),
  );
}
