import { errors } from "../../../lib/route.js";
import { requireUser } from "../../../plugins/auth.js";
import { imageSource } from "../../media/index.js";
import { confirmEmailBody, imageBody, linkBody, selfLinkParams, updateSelfBody, userSchema } from "../users.schemas.js";
import { toUserResponse } from "../users.service.js";
import { tags, self, type UsersApp, type UsersRoutesDeps } from "./shared.js";

/** The signed-in user: themself, their email, image and links. */
export function signedInUserRoutes(app: UsersApp, { users }: UsersRoutesDeps): void {
  app.get(
    "/users/auth",
    { schema: { operationId: "retrieveSignedInUser", tags, summary: "The signed-in user", response: { 200: userSchema, ...errors(401) } }, config: self },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await users.retrieve(auth, auth.user.id));
    },
  );

  app.put(
    "/users/auth",
    {
      schema: {
        operationId: "modifySignedInUser",
        tags,
        summary: "Modify the signed-in user",
        description:
          "A new `email` does not take effect yet: it becomes `pendingEmail`, a 6-digit code is emailed to it, and `POST /users/auth/email/confirm` with the code applies it. The current address is told. `role` is given by an owner, so it cannot be changed here.",
        body: updateSelfBody,
        response: { 200: userSchema, ...errors(400, 401, 409) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await users.update(auth, auth.user.id, request.body));
    },
  );

  app.post(
    "/users/auth/email/confirm",
    {
      schema: {
        operationId: "confirmSignedInUserEmail",
        tags,
        summary: "Confirm the signed-in user's new email",
        description:
          "With the code emailed to `pendingEmail`, makes it the user's `email` (422 `email_code_invalid` when wrong or expired; 429 after 5 wrong codes). The old address is told.",
        body: confirmEmailBody,
        response: { 200: userSchema, ...errors(400, 401, 409, 422, 429) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await users.confirmEmail(auth, auth.user.id, request.body.token));
    },
  );

  app.delete(
    "/users/auth",
    {
      schema: {
        operationId: "scheduleSignedInUserDeletion",
        tags,
        summary: "Schedule the signed-in user for deletion in 30 days",
        description: "Signing in again before `scheduledDeletion` cancels it. Then personal data is erased; money records are kept.",
        response: { 200: userSchema, ...errors(401) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await users.scheduleDeletion(auth, auth.user.id));
    },
  );

  app.post(
    "/users/auth/image",
    {
      schema: {
        operationId: "addSignedInUserImage",
        tags,
        summary: "Set the signed-in user's image",
        description: "JSON `{ media_id }` of an upload, or the image itself as multipart field `media`.",
        body: imageBody,
        response: { 200: userSchema, ...errors(400, 401, 404, 413, 415) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await users.setImage(auth, auth.user.id, await imageSource(request, request.body)));
    },
  );

  app.post(
    "/users/auth/link",
    {
      schema: { operationId: "addSignedInUserLink", tags, summary: "Add a link to the signed-in user", body: linkBody, response: { 200: userSchema, ...errors(400, 401, 422) } },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await users.addLink(auth, auth.user.id, request.body));
    },
  );

  app.delete(
    "/users/auth/link/:link_id",
    {
      schema: {
        operationId: "removeSignedInUserLink",
        tags,
        summary: "Remove a link of the signed-in user",
        params: selfLinkParams,
        response: { 200: userSchema, ...errors(401, 404) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await users.removeLink(auth, auth.user.id, request.params.link_id));
    },
  );
}
