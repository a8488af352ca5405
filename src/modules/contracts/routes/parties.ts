import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireAuth } from "../../../plugins/auth.js";
import { buyerBody, buyerParams, contractParams, contractSchema, dueBody, owedBody, sellerBody, sellerParams } from "../contracts.schemas.js";
import { tags, signedIn, CHANGE, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** A contract's buyers and sellers, and their pinned amounts. */
export function partyRoutes(app: ContractsApp, { contracts }: ContractsRoutesDeps): void {
  // ── buyers ───────────────────────────────────────────────────────────────
  app.post(
    "/contracts/:id/buyer",
    {
      schema: {
        operationId: "addContractBuyer",
        tags,
        summary: "Add a buyer",
        description: `\`{ user_id, dueAmount? }\`; a user cannot be both a buyer and a seller (422 \`buyer_is_seller\`); 409 \`buyer_exists\`. ${CHANGE}`,
        params: contractParams,
        body: buyerBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.addBuyer(requireAuth(request), request.params.id, request.body),
  );

  app.put(
    "/contracts/:id/buyer/:buyer_id/due",
    {
      schema: {
        operationId: "modifyContractBuyerDue",
        tags,
        summary: "Pin (or unpin) what a buyer pays",
        description: `\`:buyer_id\` is the buyer's user id. \`{ dueAmount }\` in cents pins it; \`null\` unpins. The other buyers share the rest evenly. ${CHANGE}`,
        params: buyerParams,
        body: dueBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.setDue(requireAuth(request), request.params.id, request.params.buyer_id, request.body.dueAmount),
  );

  app.delete(
    "/contracts/:id/buyer/:buyer_id",
    {
      schema: {
        operationId: "removeContractBuyer",
        tags,
        summary: "Remove a buyer",
        description: `\`:buyer_id\` is the buyer's user id. ${CHANGE}`,
        params: buyerParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.removeBuyer(requireAuth(request), request.params.id, request.params.buyer_id),
  );

  // ── sellers ──────────────────────────────────────────────────────────────
  app.post(
    "/contracts/:id/seller",
    {
      schema: {
        operationId: "addContractSeller",
        tags,
        summary: "Add a seller",
        description: `\`{ user_id, owedAmount? }\`. Pinning what a seller is owed takes that seller, an editor or the key (403). ${CHANGE}`,
        params: contractParams,
        body: sellerBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.addSeller(requireAuth(request), request.params.id, request.body),
  );

  app.put(
    "/contracts/:id/seller/:seller_id/owed",
    {
      schema: {
        operationId: "modifyContractSellerOwed",
        tags,
        summary: "Pin (or unpin) what a seller is paid",
        description: `\`:seller_id\` is the seller's user id. \`{ owedAmount }\` in cents pins it; \`null\` unpins. The other sellers share the rest in proportion to their items. That seller, an editor or the key (403). ${CHANGE}`,
        params: sellerParams,
        body: owedBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.setOwed(requireAuth(request), request.params.id, request.params.seller_id, request.body.owedAmount),
  );

  app.delete(
    "/contracts/:id/seller/:seller_id",
    {
      schema: {
        operationId: "removeContractSeller",
        tags,
        summary: "Remove a seller",
        description: `\`:seller_id\` is the seller's user id; 409 \`seller_has_items\` while they sell items of the contract. ${CHANGE}`,
        params: sellerParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.removeSeller(requireAuth(request), request.params.id, request.params.seller_id),
  );
}
