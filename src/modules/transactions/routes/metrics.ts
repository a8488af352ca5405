import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { cartValueSchema, flowQuery, flowSchema, periodQuery, recurringQuery, recurringSchema, topQuery, topSchema, userFlowSchema, userParams } from "../transactions.schemas.js";
import { tags, admin, adminOrSelf, type TransactionsApp, type TransactionsRoutesDeps } from "./shared.js";

/** The analytics: volume, rankings, cart value, recurring revenue, a user's revenue and spend. */
export function metricRoutes(app: TransactionsApp, { analytics }: TransactionsRoutesDeps): void {
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
}
