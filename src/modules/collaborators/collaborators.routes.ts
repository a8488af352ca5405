import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth, requireUser } from "../../plugins/auth.js";
import { collaboratorListSchema, collaboratorParams, collaboratorSchema, createCollaboratorBody, listCollaboratorsQuery, updateCollaboratorBody } from "./collaborators.schemas.js";
import { toCollaboratorResponse, type CollaboratorsService } from "./collaborators.service.js";

const tags = ["Collaborators"];
// Key, owners and admins; an admin changes or deletes only what an admin made (the service checks `managed_by`).
const admin = { auth: { role: "admin" } } as const;

export const collaboratorsRoutes: FastifyPluginAsyncZod<{ collaborators: CollaboratorsService }> = async (app, { collaborators }) => {
  app.post(
    "/collaborators",
    {
      schema: {
        operationId: "createCollaborator",
        tags,
        summary: "Create a collaborator (invites its user by email unless managed)",
        description:
          "A collaborator reads the platform's catalogue and orders, never writes, and sees only what its twelve `see_*` permissions allow (all false unless sent). " +
          "Unless `is_managed`, a user of the `collaborator` role is made for `email` and sent an invite with a sign-in link.",
        body: createCollaboratorBody,
        response: { 201: collaboratorSchema, ...errors(400, 401, 403, 409) },
      },
      config: admin,
    },
    async (request, reply) => reply.code(201).send(toCollaboratorResponse(await collaborators.create(requireAuth(request), request.body))),
  );

  app.get(
    "/collaborators",
    {
      schema: {
        operationId: "listCollaborators",
        tags,
        summary: "List collaborators",
        querystring: listCollaboratorsQuery,
        response: { 200: collaboratorListSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => {
      const page = await collaborators.list(requireAuth(request), request.query);
      return { data: page.data.map(toCollaboratorResponse), meta: page.meta };
    },
  );

  app.get(
    "/collaborators/auth",
    {
      schema: {
        operationId: "retrieveOwnCollaborator",
        tags,
        summary: "The signed-in collaborator: its permissions (what it may see)",
        response: { 200: collaboratorSchema, ...errors(401, 403, 404) },
      },
      config: { auth: { user: true } },
    },
    async (request) => {
      const auth = requireUser(request);
      return toCollaboratorResponse(await collaborators.ofUser(auth, auth.user.id));
    },
  );

  app.get(
    "/collaborators/:id",
    {
      schema: {
        operationId: "retrieveCollaborator",
        tags,
        summary: "Retrieve a collaborator",
        params: collaboratorParams,
        response: { 200: collaboratorSchema, ...errors(401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toCollaboratorResponse(await collaborators.retrieve(requireAuth(request), request.params.id)),
  );

  for (const method of ["put", "patch"] as const) {
    app[method](
      "/collaborators/:id",
      {
        schema: {
          operationId: method === "put" ? "updateCollaborator" : "patchCollaborator",
          tags,
          summary: "Update a collaborator's permissions, payout settings or managed account",
          description: "Only the fields sent change. An admin changes only a collaborator an admin made (403 `collaborator_managed_above`).",
          params: collaboratorParams,
          body: updateCollaboratorBody,
          response: { 200: collaboratorSchema, ...errors(400, 401, 403, 404, 422) },
        },
        config: admin,
      },
      async (request) => toCollaboratorResponse(await collaborators.update(requireAuth(request), request.params.id, request.body)),
    );
  }

  app.delete(
    "/collaborators/:id",
    {
      schema: {
        operationId: "deleteCollaborator",
        tags,
        summary: "Delete a collaborator (its user can no longer sign in)",
        params: collaboratorParams,
        response: { 200: collaboratorSchema, ...errors(401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toCollaboratorResponse(await collaborators.remove(requireAuth(request), request.params.id)),
  );
};
