import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { requireAuth } from "../../plugins/auth.js";
import { assertOwnPlatform } from "../platforms/index.js";
import {
  appListSchema,
  appParams,
  appPlatformParams,
  createAppBody,
  createdOAuthAppSchema,
  deletedAppSchema,
  listAppsQuery,
  oauthAppSchema,
  updateAppBody,
} from "./apps.schemas.js";
import { toOAuthAppResponse, type AppsService } from "./apps.service.js";

const tags = ["OAuth apps"];
// Admins register apps; a client-credentials token then acts as an admin, never above its registrar.
const admin = { auth: { role: "admin" } } as const;

/** A platform's OAuth apps (docs/api/oauth.md): register, list, change, rotate the secret, delete. */
export const appsRoutes: FastifyPluginAsyncZod<{ apps: AppsService }> = async (app, { apps }) => {
  app.get(
    "/platforms/:id/apps",
    {
      schema: {
        operationId: "listOAuthApps",
        tags,
        summary: "List the platform's OAuth apps (admin)",
        params: appPlatformParams,
        querystring: listAppsQuery,
        response: { 200: appListSchema, ...errors(400, 401, 403, 404) },
      },
      config: admin,
    },
    async (request) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      const page = await apps.list(auth, request.query);
      return { data: page.data.map(toOAuthAppResponse), meta: page.meta };
    },
  );

  app.post(
    "/platforms/:id/apps",
    {
      schema: {
        operationId: "createOAuthApp",
        tags,
        summary: "Register an OAuth app (admin); its client secret is shown only in this answer",
        description:
          "A confidential app (default) gets a `client_secret`, answered only here. With `token_endpoint_auth_method: none` it is a public app — a single-page or mobile app that cannot keep a secret: " +
          "no secret (`client_secret: null`), the authorization code flow with PKCE only (client credentials are refused: `invalid_request`, the grant type is not allowed for this client), refresh tokens rotating at each use.",
        params: appPlatformParams,
        body: createAppBody,
        response: { 201: createdOAuthAppSchema, ...errors(400, 401, 403, 404) },
      },
      config: admin,
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      const { app: created, secret } = await apps.create(auth, request.body);
      return reply.code(201).send({ ...toOAuthAppResponse(created), client_secret: secret });
    },
  );

  app.get(
    "/platforms/:id/apps/:app_id",
    {
      schema: {
        operationId: "retrieveOAuthApp",
        tags,
        summary: "Retrieve an OAuth app (admin; never its secret)",
        params: appParams,
        response: { 200: oauthAppSchema, ...errors(401, 403, 404) },
      },
      config: admin,
    },
    async (request) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      return toOAuthAppResponse(await apps.retrieve(auth, request.params.app_id));
    },
  );

  app.put(
    "/platforms/:id/apps/:app_id",
    {
      schema: {
        operationId: "updateOAuthApp",
        tags,
        summary: "Change an OAuth app's name, logo, redirect URIs or scopes (admin)",
        description: "Tokens already issued keep the scopes they were granted until they expire or are revoked.",
        params: appParams,
        body: updateAppBody,
        response: { 200: oauthAppSchema, ...errors(400, 401, 403, 404) },
      },
      config: admin,
    },
    async (request) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      return toOAuthAppResponse(await apps.update(auth, request.params.app_id, request.body));
    },
  );

  app.post(
    "/platforms/:id/apps/:app_id/rotate_secret",
    {
      schema: {
        operationId: "rotateOAuthAppSecret",
        tags,
        summary: "Give an OAuth app a new client secret (admin); the old one stops working at once",
        description: "409 `oauth_app_public` for a public app, which has no secret.",
        params: appParams,
        body: noBody,
        response: { 200: createdOAuthAppSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: admin,
    },
    async (request) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      const { app: rotated, secret } = await apps.rotateSecret(auth, request.params.app_id);
      return { ...toOAuthAppResponse(rotated), client_secret: secret };
    },
  );

  app.delete(
    "/platforms/:id/apps/:app_id",
    {
      schema: {
        operationId: "deleteOAuthApp",
        tags,
        summary: "Delete an OAuth app (admin); every token it holds stops working at once",
        params: appParams,
        response: { 200: deletedAppSchema, ...errors(401, 403, 404) },
      },
      config: admin,
    },
    async (request) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      const removed = await apps.remove(auth, request.params.app_id);
      return { id: removed.id, deleted: true as const };
    },
  );
};
