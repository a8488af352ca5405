import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../lib/route.js";
import { requireAuth } from "../../plugins/auth.js";
import { userParams } from "../users/index.js";
import {
  balanceSchema,
  listPayoutsQuery,
  payoutListSchema,
  payoutParams,
  payoutSchema,
  payoutSettingsBody,
  payoutSettingsSchema,
  statementQuery,
  statementSchema,
} from "./payouts.schemas.js";
import { type PayoutsService, toPayoutResponse } from "./payouts.service.js";
import { statementCsv } from "./payouts.statement.js";

const tags = ["Payouts"];
const signedIn = { auth: {} } as const;
const WHO = "The platform key, an owner or an admin (any seller), or the seller themself; anyone else: 404.";
// Gateway failures: a refused request (400), Stripe unreachable (502), too slow (504), rate limited (503).
const gatewayErrors = [400, 502, 503, 504] as const;

export const payoutsRoutes: FastifyPluginAsyncZod<{ payouts: PayoutsService }> = async (app, { payouts }) => {
  app.get(
    "/payouts",
    {
      schema: {
        operationId: "listPayouts",
        tags,
        summary: "List payouts to sellers' banks",
        description:
          "The platform key, owners and admins see every seller's payouts; anyone else, their own. Recorded from Stripe's `payout.*` webhooks of the sellers' Connect accounts.",
        querystring: listPayoutsQuery,
        response: { 200: payoutListSchema, ...errors(400, 401) },
      },
      config: signedIn,
    },
    async (request) => {
      const page = await payouts.list(requireAuth(request), request.query);
      return { data: page.data.map(toPayoutResponse), meta: page.meta, ...(page.metadata ? { metadata: page.metadata } : {}) };
    },
  );

  app.get(
    "/payouts/:id",
    {
      schema: {
        operationId: "retrievePayout",
        tags,
        summary: "Retrieve a payout",
        description: WHO,
        params: payoutParams,
        response: { 200: payoutSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request) => toPayoutResponse(await payouts.retrieve(requireAuth(request), request.params.id)),
  );

  app.get(
    "/users/:id/payout_settings",
    {
      schema: {
        operationId: "retrievePayoutSettings",
        tags,
        summary: "A seller's payout settings",
        description: `${WHO} Before any were set: Stripe's default (daily, funds 2 days old), no threshold. 409 \`bank_account_missing\` before the seller has a Connect account.`,
        params: userParams,
        response: { 200: payoutSettingsSchema, ...errors(400, 401, 404, 409) },
      },
      config: signedIn,
    },
    async (request) => payouts.settings(requireAuth(request), request.params.id),
  );

  app.put(
    "/users/:id/payout_settings",
    {
      schema: {
        operationId: "updatePayoutSettings",
        tags,
        summary: "Set a seller's payout schedule and threshold",
        description:
          "The platform key, an owner or an admin (not over a user of equal or higher role: 403 `user_role_protected`), or the seller themself. " +
          "Sets the seller's Connect account's payout schedule (`stripe_schedule` says to what); with a `threshold`, the schedule is manual and the seller is paid out, hourly, " +
          "once their available balance reaches it. A frequency that does not fit the measurement: 400 naming `frequency`. Records `payout_settings.updated`.",
        params: userParams,
        body: payoutSettingsBody,
        response: { 200: payoutSettingsSchema, ...errors(400, 401, 403, 404, 409, ...gatewayErrors) },
      },
      config: signedIn,
    },
    async (request) => payouts.updateSettings(requireAuth(request), request.params.id, request.body),
  );

  app.get(
    "/users/:id/payout_balance",
    {
      schema: {
        operationId: "retrievePayoutBalance",
        tags,
        summary: "A seller's payout balance: what their Connect account holds, available and pending, per currency",
        description: `${WHO} Read from the seller's Connect account at Stripe.`,
        params: userParams,
        response: { 200: balanceSchema, ...errors(400, 401, 404, 409, ...gatewayErrors) },
      },
      config: signedIn,
    },
    async (request) => payouts.balance(requireAuth(request), request.params.id),
  );

  app.get(
    "/users/:id/statement",
    {
      schema: {
        operationId: "retrieveSellerStatement",
        tags,
        summary: "A seller's statement for a period (JSON or CSV)",
        description:
          `${WHO} Every sale's share transferred to the seller, every transfer reversal (refunds, disputes), every payout to the bank (and a failed or cancelled one coming back), ` +
          "oldest first, with totals per currency. `format=csv` answers a `text/csv` file (one line per movement, amounts in cents). At most 366 days.",
        params: userParams,
        querystring: statementQuery,
        response: { 200: statementSchema.or(z.string().describe("The CSV file, with `format=csv`")), ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request, reply) => {
      const statement = await payouts.statement(requireAuth(request), request.params.id, request.query);
      if (request.query.format !== "csv") return statement;
      return reply
        .type("text/csv; charset=utf-8")
        .header("content-disposition", `attachment; filename="statement-${statement.user_id}-${statement.from}-${statement.to}.csv"`)
        .send(statementCsv(statement));
    },
  );
};
