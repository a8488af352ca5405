import { z } from "zod";
import { errors } from "../../../lib/route.js";
import { httpUrl, idParam, noBody, optionalBody } from "../../../lib/schemas.js";
import { requireAuth } from "../../../plugins/auth.js";
import { contractParams, contractSchema } from "../contracts.schemas.js";
import { tags, signedIn, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** The order after its buyers were charged or authorised (docs/api/contracts.md, Orders), and a seller's balance. */

const STATE = "In any other state: 409 `order_state`, with `status` and `orderStatus` naming where the order is.";
const WHO = "Anyone else who may read the contract: 403; who may not: 404.";

const trackingBody = optionalBody(
  z
    .object({
      carrier: z.string().trim().min(1).max(100).nullable().optional().describe("The shipping company"),
      number: z.string().trim().min(1).max(200).nullable().optional().describe("The tracking number"),
      url: httpUrl.nullable().optional().describe("Where the buyer follows the shipment"),
    })
    .strict(),
);

export const balanceSchema = z
  .object({
    object: z.literal("balance"),
    user_id: z.string(),
    available: z.array(z.object({ currency: z.string(), amount: z.number().int() })).describe("Paid to the seller's Connect account: transfers less reversals, per currency"),
    pending: z.array(z.object({ currency: z.string(), amount: z.number().int() })).describe("Charged from buyers and held until the order completes (or the holding delay ends)"),
    awaitingAcceptance: z.array(z.object({ currency: z.string(), amount: z.number().int() })).describe("Authorised on buyers' cards for orders the seller has yet to accept"),
  })
  .meta({ id: "SellerBalance" });

export function orderRoutes(app: ContractsApp, { contracts, settlement }: ContractsRoutesDeps): void {
  const route = (path: string, operationId: string, summary: string, description: string, codes: readonly (400 | 401 | 402 | 403 | 404 | 409 | 422 | 502 | 504)[]) => ({
    path,
    schema: { operationId, tags, summary, description, params: contractParams, body: noBody, response: { 200: contractSchema, ...errors(...codes) } },
  });

  const accept = route(
    "/contracts/:id/accept_order",
    "acceptOrder",
    "Accept an order (the seller)",
    "Captures every buyer's authorisation and pays the sellers — or holds their funds until completion when the platform does (`orders.holdFunds`); `orderStatus` `accepted`, status `paid`, `contract.order_accepted` then `contract.paid`. " +
      `Only from \`authorized\` / \`awaiting_acceptance\`. ${STATE} A seller of the contract, or the platform (its key, an owner or an admin). ${WHO} 502/504 when Stripe cannot be reached: the capture is finished by a job.`,
    [400, 401, 403, 404, 409, 502, 504],
  );
  app.post(accept.path, { schema: accept.schema, config: signedIn }, async (request) => settlement.acceptOrder(requireAuth(request), request.params.id));

  const decline = route(
    "/contracts/:id/decline",
    "declineOrder",
    "Decline an order (the seller)",
    "Releases every buyer's authorisation and gives the stock back; status `void`, `orderStatus` `declined`, `contract.declined`. " +
      `Only from \`authorized\` / \`awaiting_acceptance\` (nobody accepting by \`acceptBy\` does the same: \`expired\`). ${STATE} A seller of the contract, or the platform. ${WHO}`,
    [400, 401, 403, 404, 409],
  );
  app.post(decline.path, { schema: decline.schema, config: signedIn }, async (request) => settlement.declineOrder(requireAuth(request), request.params.id));

  app.post(
    "/contracts/:id/fulfil",
    {
      schema: {
        operationId: "fulfilOrder",
        tags,
        summary: "Mark an order fulfilled (the seller), with its tracking",
        description:
          "`orderStatus` `accepted` → `fulfilled`, with the shipment's `carrier`, `number` and `url` when given (`tracking`); `contract.fulfilled`. The order completes by itself `orders.autoCompleteDays` later unless the buyer completes it first. " +
          `Only from a \`paid\` contract whose order is \`accepted\`. ${STATE} A seller of the contract, or the platform. ${WHO}`,
        params: contractParams,
        body: trackingBody,
        response: { 200: contractSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: signedIn,
    },
    async (request) => settlement.fulfilOrder(requireAuth(request), request.params.id, request.body ?? {}),
  );

  const complete = route(
    "/contracts/:id/complete",
    "completeOrder",
    "Complete an order (the buyer)",
    "`orderStatus` `fulfilled` → `completed`, `contract.completed`; when the platform holds funds, the sellers are paid now (`contract.funds_released`; a job finishes it should a transfer fail). " +
      `Only from \`fulfilled\`. ${STATE} A buyer of the contract, or the platform. ${WHO}`,
    [400, 401, 403, 404, 409],
  );
  app.post(complete.path, { schema: complete.schema, config: signedIn }, async (request) => settlement.completeOrder(requireAuth(request), request.params.id));

  const cancel = route(
    "/contracts/:id/cancel",
    "cancelOrder",
    "Cancel an order",
    "Ends the order: authorisations released, captured charges refunded whole (`incoming:refund`), stock back; status `void`, `orderStatus` `canceled`, `contract.canceled`. " +
      "Allowed while awaiting acceptance (a buyer of the contract, or the platform); partly paid — some buyers charged or authorised, another declined — or paid with its funds still held and not completed (the platform alone). " +
      `Once a seller was paid: refund the charges instead (POST /v1/transactions/:id/refund). ${STATE} ${WHO}`,
    [400, 401, 403, 404, 409],
  );
  app.post(cancel.path, { schema: cancel.schema, config: signedIn }, async (request) => settlement.cancelOrder(requireAuth(request), request.params.id));

  const writeOff = route(
    "/contracts/:id/uncollectible",
    "markContractUncollectible",
    "Write off a partly paid contract",
    "A contract some buyers paid and another never will (`open` after a decline): what is unpaid is no longer collected — authorisations released — and what was paid stays recorded with the platform; the stock stays sold. Status `uncollectible`, `contract.uncollectible`. " +
      `Only while \`open\` with a buyer paid and no payment under way. ${STATE} The platform (its key, an owner or an admin). ${WHO}`,
    [400, 401, 403, 404, 409],
  );
  app.post(writeOff.path, { schema: writeOff.schema, config: signedIn }, async (request) => settlement.writeOff(requireAuth(request), request.params.id));

  app.get(
    "/users/:id/balance",
    {
      schema: {
        operationId: "retrieveSellerBalance",
        tags,
        summary: "A seller's balance: available, pending, awaiting acceptance",
        description:
          "Per currency: `available` — transferred to the seller's Connect account (the ledger's transfers less reversals); `pending` — charged from buyers, held until the order completes or the platform's holding delay ends; " +
          "`awaitingAcceptance` — authorised on buyers' cards for orders the seller has not accepted yet. The user themself, an editor or the key; anyone else: 404.",
        params: z.object({ id: idParam("user") }).strict(),
        response: { 200: balanceSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request) => contracts.balance(requireAuth(request), request.params.id),
  );
}
