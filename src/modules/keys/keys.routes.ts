import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth } from "../../plugins/auth.js";
import { assertOwnPlatform } from "../platforms/index.js";
import { apiKeySchema, createdApiKeySchema, createKeyBody, keyListSchema, keyParams, listKeysQuery, platformIdParams } from "./keys.schemas.js";
import { toApiKeyResponse, type KeysService } from "./keys.service.js";

const tags = ["API keys"];

/** The platform's API keys; owners only. */
export const keysRoutes: FastifyPluginAsyncZod<{ keys: KeysService }> = async (app, { keys }) => {
  app.get(
    "/platforms/:id/keys",
    {
      schema: {
        operationId: "listPlatformKeys",
        tags,
        summary: "List the platform's API keys (owner)",
        params: platformIdParams,
        querystring: listKeysQuery,
        response: { 200: keyListSchema, ...errors(400, 401, 403, 404) },
      },
      config: { auth: { role: "owner" } },
    },
    async (request) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      const { page, per_page } = request.query;
      const revoked = request.query["filter[revoked]"];
      const result = await keys.list(auth, { page, per_page, revoked: revoked === undefined ? undefined : revoked === "true" });
      return { data: result.data.map(toApiKeyResponse), meta: result.meta };
    },
  );

  app.post(
    "/platforms/:id/keys",
    {
      schema: {
        operationId: "createPlatformKey",
        tags,
        summary: "Create an API key (owner), unrestricted or restricted to scopes; its secret is shown only in this answer",
        params: platformIdParams,
        body: createKeyBody,
        response: { 201: createdApiKeySchema, ...errors(400, 401, 403, 404) },
      },
      config: { auth: { role: "owner" } },
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      const { key, secret } = await keys.create(auth, { name: request.body?.name, scopes: request.body?.scopes });
      return reply.code(201).send({ ...toApiKeyResponse(key), secret });
    },
  );

  app.delete(
    "/platforms/:id/keys/:key_id",
    {
      schema: {
        operationId: "revokePlatformKey",
        tags,
        summary: "Revoke an API key (owner); it stops working at once",
        params: keyParams,
        response: { 200: apiKeySchema, ...errors(401, 403, 404, 409) },
      },
      config: { auth: { role: "owner" } },
    },
    async (request) => {
      const auth = requireAuth(request);
      assertOwnPlatform(auth, request.params.id);
      return toApiKeyResponse(await keys.revoke(auth, request.params.key_id));
    },
  );
};
