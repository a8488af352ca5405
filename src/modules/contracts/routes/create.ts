import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { cartParams, contractSchema, createContractBody, fromCartBody } from "../contracts.schemas.js";
import { tags, signedIn, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** Creating a contract: from scratch or from a cart. */
export function createRoutes(app: ContractsApp, { contracts }: ContractsRoutesDeps): void {
  app.post(
    "/contracts",
    {
      schema: {
        operationId: "createContract",
        tags,
        summary: "Create a contract",
        description:
          "Optionally with items (catalogue products by `product_id`, or custom lines with `user_id` and `price`), buyers, sellers (each with an optional pinned amount), custom fees, currency, due date, notes and fee inclusion. " +
          "An item's seller joins the sellers. The creator is the signed-in user (a key or an editor may name another with `user_id`). Status `draft`. " +
          "A member creating it with items, buyers, sellers or fees must be one of its buyers or sellers (themself in `buyers` or `sellers`, or an item of their own product), else 403 `not_contract_party` and nothing is created; an empty draft is anyone's. " +
          "402 `subscription_required` when the caller is one of its buyers and the platform sells those items to subscribed members only (docs/api/subscriptions.md, Access).",
        body: createContractBody,
        response: { 201: contractSchema, ...errors(400, 401, 402, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request, reply) => reply.code(201).send(await contracts.create(requireAuth(request), request.body ?? {})),
  );

  app.post(
    "/contracts/cart/:cart_id",
    {
      schema: {
        operationId: "createContractFromCart",
        tags,
        summary: "Create a contract from a cart",
        description:
          "One contract with the cart's items at their effective prices, their sellers as sellers and the cart's owner as buyer and creator; the cart is emptied. " +
          "The items' stock is reserved in the same transaction: 409 naming the product when there is not enough left (of two buyers racing for the last unit, one gets it), or when it is archived or disabled, " +
          "no longer published (`product_not_published`), not on sale yet because its `publishAt` moved into the future (`product_not_published`), or its seller was suspended (`seller_suspended`); 422 `stock_hold_limit` when a member would hold more than their share of a product (STOCK_HOLD_MAX_SHARE). The hold expires after STOCK_HOLD_MINUTES. " +
          "A member turns their own cart into a contract, which is their acceptance of it (`accepted`, `acceptedAmount`); an editor or the key any cart (not accepted). 422 for an empty cart. " +
          "402 `subscription_required` when a member checks out what the platform sells to subscribed members only.",
        params: cartParams,
        body: fromCartBody,
        response: { 201: contractSchema, ...errors(400, 401, 402, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request, reply) => reply.code(201).send(await contracts.fromCart(requireAuth(request), request.params.cart_id, request.body ?? {})),
  );
}
