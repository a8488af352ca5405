import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth, requireUser } from "../../plugins/auth.js";
import { toUserResponse, userParams, type UsersService, type UserView } from "../users/index.js";
import { noBody } from "../../lib/schemas.js";
import { connectBankAccountBody, updateBankAccountBody, userWithAccountLinkSchema, userWithBankAccountSchema } from "./bank-accounts.schemas.js";
import { toBankAccountResponse, type BankAccountsService } from "./bank-accounts.service.js";

const tags = ["Bank accounts"];
const self = { auth: { user: true } } as const;
const admin = { auth: { role: "admin" } } as const;

// Gateway failures: a refused request (400), Stripe unreachable (502), too slow (504), rate limited (503).
const gatewayErrors = [400, 502, 503, 504] as const;

const connectDescription =
  "Creates the user's Stripe Connect Express account on first use (`stripeConnectId`), then answers the user with a fresh onboarding link (`url`, `expiresAt`): " +
  "send the user there; Stripe sends them back to `return_url` when done. With the offline simulator the link is a page of this server that completes onboarding at once.";

const statusDescription =
  "Re-reads the Connect account from Stripe and answers the user with `bankAccount` (`chargesEnabled`, `detailsSubmitted`, payout schedule, last 4 of the bank account); " +
  "the user's own `chargesEnabled` and `detailsSubmitted` follow. 409 `bank_account_missing` before the account was created.";

const updateDescription =
  "Sets the Connect account's payout schedule at Stripe (`weekly` with `weeklyAnchor`, `monthly` with `monthlyAnchor`, `manual`: only when asked) and answers the user with `bankAccount` as Stripe has it then; records `bank_account.updated` when it changed. " +
  "It goes through the user's payout settings (`PUT /v1/users/:id/payout_settings`), which it sets to the same schedule (clearing a threshold) and which record `payout_settings.updated`. " +
  "409 `bank_account_missing` before the account was created.";

const deleteDescription =
  "Deletes the user's Connect account at Stripe (their payouts are disconnected) and answers the user with no `stripeConnectId`; records `bank_account.deleted` with the account as it was. " +
  "409 `bank_account_money_pending` while money is still coming to it or at stake: a contract they sell on that is open, being settled, disputed, or paid but not yet transferred to them; a transfer on its way; a live subscription that pays them. " +
  "409 `bank_account_missing` when there is none. Connecting again (`POST`) creates a new account.";

function withBankAccount(user: UserView) {
  return { ...toUserResponse(user), bankAccount: toBankAccountResponse(user) };
}

export const bankAccountsRoutes: FastifyPluginAsyncZod<{ bankAccounts: BankAccountsService; users: Pick<UsersService, "assertMayManage"> }> = async (
  app,
  { bankAccounts, users },
) => {
  app.post(
    "/users/auth/bank_account",
    {
      schema: {
        operationId: "connectSignedInUserBankAccount",
        tags,
        summary: "Connect the signed-in user's bank account (Stripe Connect onboarding)",
        description: connectDescription,
        body: connectBankAccountBody,
        response: { 200: userWithAccountLinkSchema, ...errors(401, 409, ...gatewayErrors) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      const { user, link } = await bankAccounts.connect({
        tenant: auth,
        platformUrl: auth.platform.url,
        userId: auth.user.id,
        returnUrl: request.body?.return_url,
        refreshUrl: request.body?.refresh_url,
        country: request.body?.country,
      });
      return { ...withBankAccount(user), ...link };
    },
  );

  app.get(
    "/users/auth/bank_account",
    {
      schema: {
        operationId: "retrieveSignedInUserBankAccount",
        tags,
        summary: "The signed-in user's bank account",
        description: statusDescription,
        response: { 200: userWithBankAccountSchema, ...errors(401, 409, ...gatewayErrors) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return withBankAccount(await bankAccounts.status({ tenant: auth, userId: auth.user.id, self: true }));
    },
  );

  app.put(
    "/users/auth/bank_account",
    {
      schema: {
        operationId: "updateSignedInUserBankAccount",
        tags,
        summary: "Update the signed-in user's bank account (payout schedule)",
        description: updateDescription,
        body: updateBankAccountBody,
        response: { 200: userWithBankAccountSchema, ...errors(400, 401, 409, ...gatewayErrors) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return withBankAccount(await bankAccounts.update({ auth, userId: auth.user.id, self: true, changes: request.body }));
    },
  );

  app.delete(
    "/users/auth/bank_account",
    {
      schema: {
        operationId: "deleteSignedInUserBankAccount",
        tags,
        summary: "Delete the signed-in user's bank account (disconnect their payouts)",
        description: deleteDescription,
        body: noBody,
        response: { 200: userWithBankAccountSchema, ...errors(400, 401, 409, ...gatewayErrors) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return withBankAccount(await bankAccounts.remove({ tenant: auth, userId: auth.user.id, self: true }));
    },
  );

  app.post(
    "/users/:id/bank_account",
    {
      schema: {
        operationId: "connectUserBankAccount",
        tags,
        summary: "Connect a user's bank account (Stripe Connect onboarding)",
        description: connectDescription,
        params: userParams,
        body: connectBankAccountBody,
        response: { 200: userWithAccountLinkSchema, ...errors(401, 403, 404, 409, ...gatewayErrors) },
      },
      config: admin,
      // Onboarding another user's payouts needs the right to change that user (403 `user_role_protected`).
      preHandler: async (request: FastifyRequest) => users.assertMayManage(requireAuth(request), (request.params as { id: string }).id),
    },
    async (request) => {
      const auth = requireAuth(request);
      const { user, link } = await bankAccounts.connect({
        tenant: auth,
        platformUrl: auth.platform.url,
        userId: request.params.id,
        returnUrl: request.body?.return_url,
        refreshUrl: request.body?.refresh_url,
        country: request.body?.country,
      });
      return { ...withBankAccount(user), ...link };
    },
  );

  app.get(
    "/users/:id/bank_account",
    {
      schema: {
        operationId: "retrieveUserBankAccount",
        tags,
        summary: "A user's bank account",
        description: statusDescription,
        params: userParams,
        response: { 200: userWithBankAccountSchema, ...errors(401, 403, 404, 409, ...gatewayErrors) },
      },
      config: admin,
    },
    async (request) => withBankAccount(await bankAccounts.status({ tenant: requireAuth(request), userId: request.params.id, self: false })),
  );

  app.put(
    "/users/:id/bank_account",
    {
      schema: {
        operationId: "updateUserBankAccount",
        tags,
        summary: "Update a user's bank account (payout schedule)",
        description: updateDescription,
        params: userParams,
        body: updateBankAccountBody,
        response: { 200: userWithBankAccountSchema, ...errors(400, 401, 403, 404, 409, ...gatewayErrors) },
      },
      config: admin,
      // Another user's payouts: only by those who may change that user (403 `user_role_protected`).
      preHandler: async (request: FastifyRequest) => users.assertMayManage(requireAuth(request), (request.params as { id: string }).id),
    },
    async (request) => withBankAccount(await bankAccounts.update({ auth: requireAuth(request), userId: request.params.id, self: false, changes: request.body })),
  );

  app.delete(
    "/users/:id/bank_account",
    {
      schema: {
        operationId: "deleteUserBankAccount",
        tags,
        summary: "Delete a user's bank account (disconnect their payouts)",
        description: deleteDescription,
        params: userParams,
        body: noBody,
        response: { 200: userWithBankAccountSchema, ...errors(400, 401, 403, 404, 409, ...gatewayErrors) },
      },
      config: admin,
      preHandler: async (request: FastifyRequest) => users.assertMayManage(requireAuth(request), (request.params as { id: string }).id),
    },
    async (request) => withBankAccount(await bankAccounts.remove({ tenant: requireAuth(request), userId: request.params.id, self: false })),
  );
};
