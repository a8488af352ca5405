import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth, requireUser } from "../../plugins/auth.js";
import { noBody } from "../../lib/schemas.js";
import {
  buyerBody,
  buyerParams,
  cartParams,
  contractListSchema,
  contractParams,
  contractSchema,
  createContractBody,
  type ContractResponse,
  customFeeBody,
  dueBody,
  feeInclusionBody,
  feeParams,
  fromCartBody,
  itemBody,
  itemParams,
  listContractsQuery,
  modifyContractBody,
  modifyFeeBody,
  owedBody,
  sellerBody,
  sellerParams,
  userParams,
} from "./contracts.schemas.js";
import type { ContractsService } from "./contracts.service.js";
import type { ContractSettlement } from "./contracts.settlement.js";

const tags = ["Contracts"];
/** Any credentials; who may do what with a given contract is decided by the service (creator, parties, editors). */
const signedIn = { auth: {} } as const;
const editor = { auth: { role: "editor" } } as const;
const self = { auth: { user: true } } as const;

const CHANGE =
  "Answers the contract with its figures rebalanced, and voids every buyer's acceptance (they accept the changed contract again). " +
  "The contract's creator (once it is sent, only a creator who is also a buyer or seller), an editor or the platform key; only while nothing is paid (409 `contract_locked`). " +
  "422 when pinned amounts could no longer add up (`gap_cents` says by how much), and nothing changes.";

export const contractsRoutes: FastifyPluginAsyncZod<{ contracts: ContractsService; settlement: ContractSettlement }> = async (app, { contracts, settlement }) => {
  // ── create and list ──────────────────────────────────────────────────────
  app.post(
    "/contracts",
    {
      schema: {
        operationId: "createContract",
        tags,
        summary: "Create a contract",
        description:
          "Optionally with items (catalogue products by `product_id`, or custom lines with `user_id` and `price`), buyers, sellers (each with an optional pinned amount), custom fees, currency, due date, notes and fee inclusion. " +
          "An item's seller joins the sellers. The creator is the signed-in user (a key or an editor may name another with `user_id`). Status `draft`.",
        body: createContractBody,
        response: { 201: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
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
          "The items' stock is reserved in the same transaction: 409 naming the product when there is not enough left (of two buyers racing for the last unit, one gets it), or when it is archived or disabled; 422 `stock_hold_limit` when a member would hold more than their share of a product (STOCK_HOLD_MAX_SHARE). The hold expires after STOCK_HOLD_MINUTES. " +
          "A member turns their own cart into a contract, which is their acceptance of it (`accepted`, `acceptedAmount`); an editor or the key any cart (not accepted). 422 for an empty cart.",
        params: cartParams,
        body: fromCartBody,
        response: { 201: contractSchema, ...errors(400, 401, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request, reply) => reply.code(201).send(await contracts.fromCart(requireAuth(request), request.params.cart_id, request.body ?? {})),
  );

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

  // ── one contract ─────────────────────────────────────────────────────────
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
        description: `notes, due, currency, and the three include…Fees flags. ${CHANGE} An editor may still change notes and due on a paid contract.`,
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

  // ── items ────────────────────────────────────────────────────────────────
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

  // ── fees ─────────────────────────────────────────────────────────────────
  app.post(
    "/contracts/:id/fee",
    {
      schema: {
        operationId: "addContractFee",
        tags,
        summary: "Add a custom fee",
        description: `\`{ amount, description?, payer? }\`: the platform keeps it; \`payer: "buyers"\` (default) adds it on top, \`"sellers"\` deducts it from them (an editor or the key only). ${CHANGE}`,
        params: contractParams,
        body: customFeeBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.addFee(requireAuth(request), request.params.id, request.body),
  );

  app.put(
    "/contracts/:id/fee/:fee_id",
    {
      schema: {
        operationId: "modifyContractFee",
        tags,
        summary: "Modify a custom fee",
        description: `Computed fees (\`stripe:cc\`, \`candle:base\`, \`platform:base\`) follow the rates and cannot be changed (422 \`fee_not_custom\`). ${CHANGE}`,
        params: feeParams,
        body: modifyFeeBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.modifyFee(requireAuth(request), request.params.id, request.params.fee_id, request.body),
  );

  app.delete(
    "/contracts/:id/fee/:fee_id",
    {
      schema: {
        operationId: "removeContractFee",
        tags,
        summary: "Remove a custom fee",
        description: `Computed fees cannot be removed (422 \`fee_not_custom\`). ${CHANGE}`,
        params: feeParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.removeFee(requireAuth(request), request.params.id, request.params.fee_id),
  );

  app.put(
    "/contracts/:id/fee_inclusion",
    {
      schema: {
        operationId: "setContractFeeInclusion",
        tags,
        summary: "Choose who bears the fees",
        description: `\`{ feeInclusion }\` (the SDK's switch: true puts the Stripe, Candle and platform fees on the buyers, false on the sellers) and/or the three include…Fees flags, which win over it. ${CHANGE}`,
        params: contractParams,
        body: feeInclusionBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.setFeeInclusion(requireAuth(request), request.params.id, request.body),
  );

  // ── rebalance, send, settle ──────────────────────────────────────────────
  for (const method of ["GET", "PUT"] as const) {
    app.route({
      method,
      url: "/contracts/:id/sync",
      schema: {
        operationId: method === "GET" ? "syncContract" : "syncContractPut",
        tags,
        summary: "Rebalance a contract",
        description:
          "Recomputes the figures with the current fee rates and answers the contract (GET as documented, PUT as the SDK calls it). Anyone who may read the contract; a contract with something paid keeps its figures. 422 if pins no longer add up.",
        params: contractParams,
        ...(method === "PUT" ? { body: noBody } : {}),
        response: { 200: contractSchema, ...errors(400, 401, 404, 422) },
      },
      config: signedIn,
      handler: async (request) => contracts.sync(requireAuth(request), (request.params as { id: string }).id),
    });
  }

  app.post(
    "/contracts/:id/send",
    {
      schema: {
        operationId: "sendContract",
        tags,
        summary: "Send a contract to its buyers",
        description:
          "Emails every buyer the contract (items, their amount due, the due date); `draft` → `open`; `sent` is set the first time, `lastSent` every time. " +
          "422 `contract_incomplete` without a buyer, a seller or a positive total (`param` says which); 409 for a contract that is processing, paid or void. " +
          "The creator when they are also a buyer or seller (403 `not_contract_party` otherwise), an editor or the key.",
        params: contractParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => contracts.send(requireAuth(request), request.params.id),
  );

  app.post(
    "/contracts/:id/accept",
    {
      schema: {
        operationId: "acceptContract",
        tags,
        summary: "Accept a contract: consent to be charged what one owes",
        description:
          "The signed-in buyer accepts the contract as it is now: `accepted` and `acceptedAmount` (their `amountDue`, at the current rates) are set on their buyer entry and `contract.accepted` is recorded. " +
          "Settling by a member or an editor charges a buyer only for exactly the amount they accepted; any change to the contract's items, parties, amounts, fees, fee inclusion or currency voids every acceptance. " +
          "Accepting again unchanged changes nothing. 403 `not_contract_buyer` for anyone but a buyer; 409 `contract_not_acceptable` once something is paid, or for a processing, paid or void contract.",
        params: contractParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: self,
    },
    async (request) => contracts.accept(requireUser(request), request.params.id),
  );

  app.put(
    "/contracts/:id/settle",
    {
      schema: {
        operationId: "settleContract",
        tags,
        summary: "Settle a contract: charge the buyers, pay the sellers",
        description:
          "Charges each buyer's default payment method for what they owe, then transfers each seller what they are owed to their Connect account, and writes one transaction per movement; answers the contract `paid`. " +
          "Checked before anyone is charged: 409 `seller_not_ready` (no Connect account able to receive transfers), 409 `no_payment_method`, 422 `contract_incomplete`, 409 `already_paid`. " +
          "A decline answers 402 with Stripe's `code` and `decline_code`: the contract is `open` again with `lastPaymentAttempt` set, buyers charged before stay paid, and settling again charges nobody twice. " +
          "One settlement at a time: 409 `settlement_in_progress`. 202 with the contract `processing` when a payment is still pending at Stripe (a bank debit): its webhook finishes the settlement. " +
          "A buyer or seller of the contract, an editor or the key. A user's card is charged only with their consent: a member or an editor settling charges only themself and the buyers who accepted exactly what they owe now (`POST /contracts/:id/accept`), " +
          "else 409 `buyer_consent_required` with `buyers` naming those still to accept, and nobody is charged; the key, an owner or an admin answer for the platform and need no acceptance.",
        params: contractParams,
        body: noBody,
        response: { 200: contractSchema, 202: contractSchema, ...errors(400, 401, 402, 403, 404, 409, 422, 502, 504) },
      },
      config: signedIn,
    },
    async (request, reply) => {
      const result = await settlement.settle(requireAuth(request), request.params.id);
      return reply.code(result.complete ? 200 : 202).send(result.contract);
    },
  );
};
