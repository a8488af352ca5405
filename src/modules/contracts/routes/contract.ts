import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireAuth } from "../../../plugins/auth.js";
import { contractParams, contractSchema, type ContractResponse, modifyContractBody } from "../contracts.schemas.js";
import { tags, signedIn, CHANGE, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** One contract: retrieve, modify, delete or void. */
export function contractRoutes(app: ContractsApp, { contracts }: ContractsRoutesDeps): void {
  app.get(
    "/contracts/:id",
    {
      schema: {
        operationId: "retrieveContract",
        tags,
        summary: "Retrieve a contract",
        description: "Editors and the key; a member who created it or is one of its buyers or sellers (404 for anyone else).",
        params: contractParams,
        response: { 200: contractSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request, reply) => {
      const json = await contracts.retrieve(requireAuth(request), request.params.id);
      // JSON text built by PostgreSQL field by field (contracts.repo.ts): sent as it is, not parsed and re-serialized.
      return reply.type("application/json; charset=utf-8").send(json as unknown as ContractResponse);
    },
  );

  app.put(
    "/contracts/:id",
    {
      schema: {
        operationId: "modifyContract",
        tags,
        summary: "Modify a contract",
        description: `notes, due, currency, and the three include…Fees flags. ${CHANGE} Notes and due are not money: a creator outside the deal may change them. An editor may still change notes and due on a paid contract.`,
        params: contractParams,
        body: modifyContractBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.modify(requireAuth(request), request.params.id, request.body),
  );

  app.delete(
    "/contracts/:id",
    {
      schema: {
        operationId: "deleteContract",
        tags,
        summary: "Delete (draft) or void (open) a contract",
        description:
          "As with Stripe's invoices: a draft that was never sent is deleted and answered as it was; a sent (open) contract becomes `void` and is kept. Reserved stock goes back to its products. " +
          "Only while nothing is paid (409 `contract_locked`; 409 `contract_void` when already void). The creator, an editor or the key.",
        params: contractParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: signedIn,
    },
    async (request) => contracts.remove(requireAuth(request), request.params.id),
  );
}
