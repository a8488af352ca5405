import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth } from "../../plugins/auth.js";
import type { AnalyticsService } from "./analytics.service.js";
import {
  cartValueSchema,
  flowQuery,
  flowSchema,
  listTransactionsQuery,
  periodQuery,
  recurringQuery,
  recurringSchema,
  refundBody,
  refundResultSchema,
  topQuery,
  topSchema,
  transactionListSchema,
  transactionParams,
  transactionSchema,
  userFlowSchema,
  userParams,
} from "./transactions.schemas.js";
import { toTransactionResponse, type TransactionsService } from "./transactions.service.js";

const tags = ["Transactions"];
const admin = { auth: { role: "admin" } } as const;
/** Admins and keys for anyone; any signed-in user for themself (checked in the handler). */
const adminOrSelf = { auth: {} } as const;

export const transactionsRoutes: FastifyPluginAsyncZod<{ transactions: TransactionsService; analytics: AnalyticsService }> = async (app, { transactions, analytics }) => {
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
      return { data: page.data.map(toTransactionResponse), meta: page.meta };
    },
  );

  // ── metrics (static paths win over `/transactions/:id`) ──────────────────
  app.get(
    "/transactions/volume",
    {
      schema: {
        operationId: "retrieveTransactionVolume",
        tags,
        summary: "Platform volume",
        description:
          "What buyers paid (`incoming`) less what was refunded to them (`incoming:refund`), per currency, with a zero-filled series. Succeeded transactions only; periods `[from, to)`; buckets in UTC.",
        querystring: flowQuery,
        response: { 200: flowSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => analytics.volume(requireAuth(request), request.query),
  );

  app.get(
    "/transactions/top/spenders",
    {
      schema: {
        operationId: "listTopSpenders",
        tags,
        summary: "Top spenders",
        description: "Buyers by what they paid less refunds, in one currency (default: the platform's), in the period. Only positive amounts are ranked; ties by user id.",
        querystring: topQuery,
        response: { 200: topSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => {
      const auth = requireAuth(request);
      return analytics.top({ ...auth, currency: auth.platform.currency }, "spend", request.query);
    },
  );

  app.get(
    "/transactions/top/earners",
    {
      schema: {
        operationId: "listTopEarners",
        tags,
        summary: "Top earners",
        description: "Sellers by what they received (`outgoing`) less reversals (`outgoing:refund`), in one currency (default: the platform's), in the period.",
        querystring: topQuery,
        response: { 200: topSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => {
      const auth = requireAuth(request);
      return analytics.top({ ...auth, currency: auth.platform.currency }, "revenue", request.query);
    },
  );

  app.get(
    "/transactions/cart_value",
    {
      schema: {
        operationId: "retrieveCartValue",
        tags,
        summary: "Average and median contract value",
        description: "Over contracts paid in the period (by `paid`), per currency: count, sum, average and median of `total`, in whole cents rounded half up.",
        querystring: periodQuery,
        response: { 200: cartValueSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => analytics.cartValue(requireAuth(request), request.query),
  );

  app.get(
    "/transactions/recurring",
    {
      schema: {
        operationId: "retrieveRecurringRevenue",
        tags,
        summary: "MRR and ARR",
        description:
          "From the subscriptions that are active and not paused, per currency. Each price is made monthly with a 365.25-day year (hourly × 730.5, daily × 30.4375, weekly × 30.4375/7, biweekly × 30.4375/14, monthly × 1, yearly ÷ 12), summed exactly and rounded once, half up, to cents; ARR = 12 × MRR.",
        querystring: recurringQuery,
        response: { 200: recurringSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => analytics.recurring(requireAuth(request)),
  );

  app.get(
    "/transactions/user/:user_id/revenue",
    {
      schema: {
        operationId: "retrieveUserRevenue",
        tags,
        summary: "A user's revenue as a seller",
        description:
          "What the user received (`outgoing`) less reversals (`outgoing:refund`), per currency, with a zero-filled series. Admins and keys for any user; a signed-in user for themself.",
        params: userParams,
        querystring: flowQuery,
        response: { 200: userFlowSchema, ...errors(400, 401, 403, 404) },
      },
      config: adminOrSelf,
    },
    async (request) => analytics.userFlow(requireAuth(request), "revenue", request.params.user_id, request.query),
  );

  app.get(
    "/transactions/user/:user_id/spend",
    {
      schema: {
        operationId: "retrieveUserSpend",
        tags,
        summary: "A user's spend as a buyer",
        description:
          "What the user paid (`incoming`) less refunds (`incoming:refund`), per currency, with a zero-filled series. Admins and keys for any user; a signed-in user for themself.",
        params: userParams,
        querystring: flowQuery,
        response: { 200: userFlowSchema, ...errors(400, 401, 403, 404) },
      },
      config: adminOrSelf,
    },
    async (request) => analytics.userFlow(requireAuth(request), "spend", request.params.user_id, request.query),
  );

  // ── one transaction ─────────────────────────────────────────────────────
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
};
