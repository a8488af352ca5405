import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireAuth } from "../../../plugins/auth.js";
import { contractParams, contractSchema, itemBody, itemParams } from "../contracts.schemas.js";
import { tags, signedIn, CHANGE, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** A contract's items. */
export function itemRoutes(app: ContractsApp, { contracts }: ContractsRoutesDeps): void {
  app.post(
    "/contracts/:id/item",
    {
      schema: {
        operationId: "addContractItem",
        tags,
        summary: "Add an item",
        description: `A catalogue product (\`product_id\`: its seller, name and effective price at \`startDate\` or now; its stock is held — 409 when short, 422 \`stock_hold_limit\` when a member would hold more than their share — until the contract's hold expires), or a custom line (\`user_id\` of the seller and \`price\`). The seller joins the sellers. ${CHANGE}`,
        params: contractParams,
        body: itemBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.addItem(requireAuth(request), request.params.id, request.body),
  );

  app.delete(
    "/contracts/:id/item/:item_id",
    {
      schema: {
        operationId: "removeContractItem",
        tags,
        summary: "Remove an item",
        description: `Its reserved stock goes back to the product. ${CHANGE}`,
        params: itemParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.removeItem(requireAuth(request), request.params.id, request.params.item_id),
  );
}
