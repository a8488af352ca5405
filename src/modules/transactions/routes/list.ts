import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { listTransactionsQuery, transactionListSchema } from "../transactions.schemas.js";
import { toTransactionResponse } from "../transactions.service.js";
import { tags, admin, type TransactionsApp, type TransactionsRoutesDeps } from "./shared.js";

/** The platform's transactions. */
export function listRoutes(app: TransactionsApp, { transactions }: TransactionsRoutesDeps): void {
  app.get(
    "/transactions",
    {
      schema: {
        operationId: "listTransactions",
        tags,
        summary: "List transactions",
        description: "Newest first by default. `from` (inclusive) and `to` (exclusive) bound `created`.",
        querystring: listTransactionsQuery,
        response: { 200: transactionListSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => {
      const page = await transactions.list(requireAuth(request), request.query);
      return { data: page.data.map(toTransactionResponse), meta: page.meta, ...(page.metadata ? { metadata: page.metadata } : {}) };
    },
  );
}
