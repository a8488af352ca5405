import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth, requireUser } from "../../plugins/auth.js";
import {
  contractRefundRequestsParams,
  createRefundRequestBody,
  declineRefundRequestBody,
  emptyBody,
  listRefundRequestsQuery,
  refundRequestListSchema,
  refundRequestParams,
  refundRequestSchema,
} from "./refund-requests.schemas.js";
import type { RefundRequestsService } from "./refund-requests.service.js";

const tags = ["Refund requests"];
/** Any credentials; who may do what with a request is decided by the service (the buyer, the sellers concerned, admins and up). */
const signedIn = { auth: {} } as const;
const self = { auth: { user: true } } as const;

const DECIDERS =
  "A seller of the contract (for a request by item, a seller of those items), an admin, an owner or the key: 403 `refund_decider_required` for anyone else who may read the request (its buyer), 404 for those who may not. " +
  "409 `refund_request_not_pending` once it was decided or withdrawn.";

export const refundRequestsRoutes: FastifyPluginAsyncZod<{ refundRequests: RefundRequestsService }> = async (app, { refundRequests }) => {
  app.post(
    "/contracts/:id/refund_requests",
    {
      schema: {
        operationId: "createRefundRequest",
        tags,
        summary: "Ask for a refund of a paid contract",
        description:
          "The signed-in buyer asks to be given back part or all of what they paid: `amount` cents, or `items` (each of the contract's items and how many — the amount is their share of what the buyer paid, and only their sellers' transfers are reversed), or neither: everything not refunded yet. " +
          "`requested` until a seller or the platform approves (the refund is made) or declines it; the sellers concerned are emailed. " +
          "403 `not_contract_buyer` for a party who is not a buyer; 404 for anyone who may not read the contract. 409 `contract_not_refundable` unless the buyer's payment is settled and the contract neither being settled, void nor disputed; 409 `refund_request_open` while their previous request waits. " +
          "422 `amount_too_large` (more than is left of their payment), `charge_already_refunded`, `refund_quantity_too_large`; 404 for an item not on the contract.",
        params: contractRefundRequestsParams,
        body: createRefundRequestBody,
        response: { 201: refundRequestSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: self,
    },
    async (request, reply) => reply.code(201).send(await refundRequests.create(requireUser(request), request.params.id, request.body ?? {})),
  );

  app.get(
    "/contracts/:id/refund_requests",
    {
      schema: {
        operationId: "listContractRefundRequests",
        tags,
        summary: "List a contract's refund requests",
        description: "Newest first. The contract's sellers, editors and up see all of them; a buyer sees their own. 404 for anyone who may not read the contract.",
        params: contractRefundRequestsParams,
        querystring: listRefundRequestsQuery,
        response: { 200: refundRequestListSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request) => refundRequests.listForContract(requireAuth(request), request.params.id, request.query),
  );

  app.get(
    "/refund_requests/:id",
    {
      schema: {
        operationId: "retrieveRefundRequest",
        tags,
        summary: "Retrieve a refund request",
        description: "The buyer who asked, the contract's sellers, editors and up; 404 for anyone else.",
        params: refundRequestParams,
        response: { 200: refundRequestSchema, ...errors(401, 404) },
      },
      config: signedIn,
    },
    async (request) => refundRequests.retrieve(requireAuth(request), request.params.id),
  );

  app.post(
    "/refund_requests/:id/approve",
    {
      schema: {
        operationId: "approveRefundRequest",
        tags,
        summary: "Approve a refund request: refund the buyer",
        description:
          "Refunds the buyer's charge by the request's amount through the payment processor, reverses the sellers' transfers (for a request by item, those items' sellers' only) and gives back the fees in proportion, as `POST /transactions/:id/refund` does; the buyer is emailed once the money is back. " +
          "200 with `status: refunded` when done; 202 with `status: approved` when the payment processor holds the refund pending (its webhook ends it) or could not be reached (a job finishes it). " +
          `${DECIDERS} The refund's own refusals leave the request \`requested\`: 409 \`transaction_not_refundable\` (the charge is disputed meanwhile), 422 \`amount_too_large\` (refunded meanwhile by other means).`,
        params: refundRequestParams,
        body: emptyBody,
        response: { 200: refundRequestSchema, 202: refundRequestSchema, ...errors(400, 401, 402, 403, 404, 409, 422, 502, 504) },
      },
      config: signedIn,
    },
    async (request, reply) => {
      const outcome = await refundRequests.approve(requireAuth(request), request.params.id);
      if (outcome.pendingError) request.log.warn({ err: outcome.pendingError, refundRequest: request.params.id }, "refund left processing; the complete-refund job will finish it");
      return reply.code(outcome.complete ? 200 : 202).send(outcome.request);
    },
  );

  app.post(
    "/refund_requests/:id/decline",
    {
      schema: {
        operationId: "declineRefundRequest",
        tags,
        summary: "Decline a refund request",
        description: `Nothing is refunded; \`reason\` is kept as \`decline_reason\` and the buyer is emailed. ${DECIDERS}`,
        params: refundRequestParams,
        body: declineRefundRequestBody,
        response: { 200: refundRequestSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: signedIn,
    },
    async (request) => refundRequests.decline(requireAuth(request), request.params.id, request.body?.reason),
  );

  app.post(
    "/refund_requests/:id/cancel",
    {
      schema: {
        operationId: "cancelRefundRequest",
        tags,
        summary: "Withdraw a refund request",
        description:
          "The buyer who asked withdraws it (`canceled`). 403 `not_contract_buyer` for anyone else who may read it, 404 for those who may not; 409 `refund_request_not_pending` once it was decided.",
        params: refundRequestParams,
        body: emptyBody,
        response: { 200: refundRequestSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: self,
    },
    async (request) => refundRequests.cancel(requireAuth(request), request.params.id),
  );
};
