import { errors } from "../../../lib/route.js";
import { requireAuth, requireUser } from "../../../plugins/auth.js";
import { contractListSchema, listContractsQuery, userParams } from "../contracts.schemas.js";
import { tags, signedIn, editor, self, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** Lists of contracts: the platform's, the signed-in user's, a user's as buyer or seller. */
export function listRoutes(app: ContractsApp, { contracts }: ContractsRoutesDeps): void {
  app.get(
    "/contracts",
    {
      schema: {
        operationId: "listContracts",
        tags,
        summary: "List the platform's contracts (editors and the key)",
        description:
          "Filters: `filter[status]`, `filter[buyer_user_id]`, `filter[seller_user_id]`, `filter[user_id]` (creator), `filter[currency]` (comma lists), `filter[due][gte]` / `filter[due][lte]`. Sort by created (default, newest first), updated, due, total.",
        querystring: listContractsQuery,
        response: { 200: contractListSchema, ...errors(400, 401, 403) },
      },
      config: editor,
    },
    async (request) => contracts.list(requireAuth(request), request.query),
  );

  app.get(
    "/contracts/auth",
    {
      schema: {
        operationId: "listSignedInUserContracts",
        tags,
        summary: "Contracts the signed-in user is on (created, buys or sells in)",
        querystring: listContractsQuery,
        response: { 200: contractListSchema, ...errors(400, 401) },
      },
      config: self,
    },
    async (request) => contracts.listForSignedIn(requireUser(request), request.query),
  );

  for (const side of ["buyer", "seller"] as const) {
    app.get(
      `/contracts/user/:user_id/${side}`,
      {
        schema: {
          operationId: side === "buyer" ? "listContractsWhereBuyer" : "listContractsWhereSeller",
          tags,
          summary: `Contracts where the user is a ${side}`,
          description: "Editors and the key for any user; a member for themself (403 otherwise). Same filters as the list.",
          params: userParams,
          querystring: listContractsQuery,
          response: { 200: contractListSchema, ...errors(400, 401, 403, 404) },
        },
        config: signedIn,
      },
      async (request) => contracts.listForUser(requireAuth(request), request.params.user_id, side, request.query),
    );
  }
}
