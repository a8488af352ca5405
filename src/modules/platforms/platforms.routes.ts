import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth } from "../../plugins/auth.js";
import { imageSource } from "../media/index.js";
import { communityMemberSchema, communityParams, domainParams, platformIdParams, platformImageBody, platformSchema, updatePlatformBody } from "./platforms.schemas.js";
import { toPlatformResponse, type PlatformsService } from "./platforms.service.js";

const tags = ["Platforms"];

export const platformsRoutes: FastifyPluginAsyncZod<{ platforms: PlatformsService }> = async (app, { platforms }) => {
  app.get(
    "/platforms",
    {
      schema: { operationId: "retrievePlatform", tags, summary: "Retrieve the platform of the API key (or user token)", response: { 200: platformSchema, ...errors(401) } },
      config: { auth: {} },
    },
    async (request) => toPlatformResponse(await platforms.retrieve(requireAuth(request))),
  );

  app.get(
    "/platforms/domains/:domain",
    {
      schema: {
        operationId: "retrievePlatformByDomain",
        tags,
        summary: "Get the platform served at a domain (public)",
        params: domainParams,
        response: { 200: platformSchema, ...errors(404) },
      },
      // A domain may belong to any platform (docs/tenancy.md).
      config: { auth: "public", tenant: "system" },
    },
    async (request) => toPlatformResponse(await platforms.retrieveByDomain(request.params.domain)),
  );

  app.put(
    "/platforms/:id",
    {
      schema: {
        operationId: "modifyPlatform",
        tags,
        summary: "Modify the platform (owner)",
        params: platformIdParams,
        body: updatePlatformBody,
        response: { 200: platformSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: { auth: { role: "owner" } },
    },
    async (request) => toPlatformResponse(await platforms.update(requireAuth(request), request.params.id, request.body)),
  );

  app.post(
    "/platforms/:id/image",
    {
      schema: {
        operationId: "addPlatformImage",
        tags,
        summary: "Set the platform's logo",
        description:
          "Send the image as multipart/form-data in the field `media` (JPEG, PNG or GIF, recognised by its bytes), or JSON `{ media_id }` naming an upload made through `POST /utils/media/upload`.",
        params: platformIdParams,
        body: platformImageBody,
        response: { 200: platformSchema, ...errors(400, 401, 403, 404, 413, 415) },
      },
      config: { auth: { role: "admin" } },
    },
    async (request) => toPlatformResponse(await platforms.setImage(requireAuth(request), request.params.id, await imageSource(request, request.body))),
  );

  app.get(
    "/platforms/community/user/:user_id",
    {
      schema: {
        operationId: "checkPlatformMembership",
        tags,
        summary: "Check that a user is in the platform's community",
        description: "Answers the platform with the user's `membership`; 404 when the user is not a member of this platform.",
        params: communityParams,
        response: { 200: communityMemberSchema, ...errors(401, 404) },
      },
      config: { auth: {} },
    },
    async (request) => {
      const { platform, membership } = await platforms.membership(requireAuth(request), request.params.user_id);
      return { ...toPlatformResponse(platform), membership };
    },
  );
};
