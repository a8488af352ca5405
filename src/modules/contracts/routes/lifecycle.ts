import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireAuth, requireUser } from "../../../plugins/auth.js";
import { contractParams, contractSchema } from "../contracts.schemas.js";
import { tags, signedIn, self, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** Rebalance, send, accept, settle: a contract on its way to being paid. */
export function lifecycleRoutes(app: ContractsApp, { contracts, settlement }: ContractsRoutesDeps): void {
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
          "Accepting again unchanged changes nothing. 403 `not_contract_buyer` for anyone but a buyer; 409 `contract_not_acceptable` once something is paid, or for a processing, paid or void contract. " +
          "402 `subscription_required` when the platform sells its items to subscribed members only (docs/api/subscriptions.md, Access).",
        params: contractParams,
        body: noBody,
        response: { 200: contractSchema, ...errors(400, 401, 402, 403, 404, 409) },
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
          "else 409 `buyer_consent_required` with `buyers` naming those still to accept, and nobody is charged; the key, an owner or an admin answer for the platform and need no acceptance. " +
          "A buyer who still owes and settles themself gets 402 `subscription_required` when the platform sells its items to subscribed members only (docs/api/subscriptions.md, Access).",
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
}
