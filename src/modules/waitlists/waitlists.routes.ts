import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { roleAtLeast } from "../../lib/roles.js";
import { noBody } from "../../lib/schemas.js";
import { requireAuth } from "../../plugins/auth.js";
import type { PlatformsService } from "../platforms/index.js";
import {
  joinWaitlistBody,
  listWaitlistQuery,
  waitlistCountSchema,
  waitlistEntrySchema,
  waitlistJoinReceiptSchema,
  waitlistListSchema,
  waitlistParams,
} from "./waitlists.schemas.js";
import { toWaitlistEntryResponse, type WaitlistsService } from "./waitlists.service.js";

const tags = ["Waitlists"];
const admin = { auth: { role: "admin" } } as const;

export const waitlistsRoutes: FastifyPluginAsyncZod<{ waitlists: WaitlistsService; platforms: Pick<PlatformsService, "resolvePublic"> }> = async (
  app,
  { waitlists, platforms },
) => {
  app.post(
    "/waitlists",
    {
      schema: {
        operationId: "joinWaitlist",
        tags,
        summary: "Join the platform's waitlist (public)",
        description:
          "Idempotent per email. With the platform's key (or an admin's token): the entry, new (201) or the existing one (200). " +
          "Anyone else (no credentials, or a member's token) gets the same 202 receipt whether or not the email was already on the list, " +
          "so the form cannot be used to learn who is waiting, under which name, at which place, or who was let in.",
        body: joinWaitlistBody,
        response: { 200: waitlistEntrySchema, 201: waitlistEntrySchema, 202: waitlistJoinReceiptSchema, ...errors(400, 404, 429) },
      },
      config: { auth: "public" },
    },
    async (request, reply) => {
      const platform = await platforms.resolvePublic(request.auth, request.body.platform_id);
      const { entry, created } = await waitlists.join(platform, request.body, request.id);
      // Only a caller who may list the waitlist learns about an entry it did not just create.
      if (!request.auth || !roleAtLeast(request.auth.role, "admin")) {
        return reply.code(202).send({ joined: true as const, platform_id: platform.id, email: request.body.email });
      }
      return reply.code(created ? 201 : 200).send(toWaitlistEntryResponse(entry));
    },
  );

  app.get(
    "/waitlists",
    {
      schema: { operationId: "listWaitlist", tags, summary: "List the waitlist", querystring: listWaitlistQuery, response: { 200: waitlistListSchema, ...errors(400, 401, 403) } },
      config: admin,
    },
    async (request) => {
      const page = await waitlists.list(requireAuth(request), request.query);
      return { data: page.data.map(toWaitlistEntryResponse), meta: page.meta };
    },
  );

  app.get(
    "/waitlists/count",
    { schema: { operationId: "countWaitlist", tags, summary: "Count everyone on the waitlist", response: { 200: waitlistCountSchema, ...errors(401, 403) } }, config: admin },
    async (request) => waitlists.count(requireAuth(request)),
  );

  app.post(
    "/waitlists/:id/grant",
    {
      schema: {
        operationId: "grantWaitlistEntry",
        tags,
        summary: "Grant access to a waitlist entry (emails the person)",
        params: waitlistParams,
        body: noBody,
        response: { 200: waitlistEntrySchema, ...errors(400, 401, 403, 404) },
      },
      config: admin,
    },
    async (request) => {
      const auth = requireAuth(request);
      return toWaitlistEntryResponse(await waitlists.grant(auth.platform, request.params.id, auth.requestId));
    },
  );

  app.delete(
    "/waitlists/:id/remove",
    {
      schema: {
        operationId: "removeWaitlistEntry",
        tags,
        summary: "Remove someone from the waitlist",
        params: waitlistParams,
        response: { 200: waitlistEntrySchema, ...errors(401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toWaitlistEntryResponse(await waitlists.remove(requireAuth(request), request.params.id)),
  );
};
