import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { refundBody, refundResultSchema, transactionParams, transactionSchema } from "../transactions.schemas.js";
import { toTransactionResponse } from "../transactions.service.js";
import { tags, admin, type TransactionsApp, type TransactionsRoutesDeps } from "./shared.js";

/** One transaction, and its refund. */
export function transactionRoutes(app: TransactionsApp, { transactions }: TransactionsRoutesDeps): void {
  app.get(
    "/transactions/:id",
    {
      schema: {
        operationId: "retrieveTransaction",
        tags,
        summary: "Retrieve a transaction",
        params: transactionParams,
        response: { 200: transactionSchema, ...errors(401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toTransactionResponse(await transactions.retrieve(requireAuth(request), request.params.id)),
  );

  app.post(
    "/transactions/:id/refund",
    {
      schema: {
        operationId: "refundTransaction",
        tags,
        summary: "Refund a charge",
        description:
          "Refunds an `incoming` transaction — `amount` cents, or by default all of it not refunded yet — through Stripe, reverses the sellers' transfers and gives back the fees in proportion (largest remainder), and writes the `:refund` transactions. Stripe keeps its own fee: the platform absorbs that share (a `fee:platform:refund` whose `refund_of` is the `fee:stripe`). 201 when done; 202 when the payment processor could not be reached and a job finishes the refund. More than is left to refund → 422; not a succeeded `incoming` → 409.",
        params: transactionParams,
        body: refundBody,
        response: { 201: refundResultSchema, 202: refundResultSchema, ...errors(400, 401, 402, 403, 404, 409, 422, 502, 504) },
      },
      config: admin,
    },
    async (request, reply) => {
      const outcome = await transactions.refund(requireAuth(request), request.params.id, request.body ?? {});
      if (outcome.pendingError) request.log.warn({ err: outcome.pendingError, transaction: request.params.id }, "refund left processing; the complete-refund job will finish it");
      return reply.code(outcome.complete ? 201 : 202).send({ transaction: toTransactionResponse(outcome.transaction), refunds: outcome.refunds.map(toTransactionResponse) });
    },
  );
}
