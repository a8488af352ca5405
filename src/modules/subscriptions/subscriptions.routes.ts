import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { requireAuth, requireUser } from "../../plugins/auth.js";
import {
  contractParams,
  listAllSubscriptionsQuery,
  listSubscriptionsQuery,
  noBody,
  pauseBody,
  subscribeBody,
  subscriptionListSchema,
  subscriptionParams,
  subscriptionSchema,
  userParams,
} from "./subscriptions.schemas.js";
import type { SubscriptionsService } from "./subscriptions.service.js";

const tags = ["Subscriptions"];
const signedIn = { auth: {} } as const;
const admin = { auth: { role: "admin" } } as const;
const self = { auth: { user: true } } as const;

export const subscriptionsRoutes: FastifyPluginAsyncZod<{ subscriptions: SubscriptionsService }> = async (app, { subscriptions }) => {
  app.post(
    "/subscriptions/auth/contract/:contract_id",
    {
      schema: {
        operationId: "subscribeToContract",
        tags,
        summary: "Subscribe to a contract",
        description:
          "The signed-in user, a buyer of the contract (else 403; a contract they cannot see: 404), subscribes: `price` is their `amountDue`, `service_id` the contract's first product, `cycle` the body's, else that product's, else monthly. " +
          "The first cycle is charged at once, like a settlement: their default payment method for `price`, the sellers paid their shares. A decline answers 402 with Stripe's codes and leaves no subscription. " +
          "409 `contract_not_subscribable` (processing, paid, void, or something paid), `already_subscribed`, `no_payment_method`, `seller_not_ready`; 422 `contract_incomplete`, `amount_too_small`. " +
          "402 `subscription_required` when the platform sells to subscribed members only and this contract is not its plan. `platform_id` (the host platform only): the platform this subscription pays for, which the subscriber owns (its `activeSubscription` follows it).",
        params: contractParams,
        body: subscribeBody,
        response: { 201: subscriptionSchema, 202: subscriptionSchema, ...errors(400, 401, 402, 403, 404, 409, 422, 502, 504) },
      },
      config: self,
    },
    async (request, reply) => {
      const result = await subscriptions.subscribe(requireUser(request), request.params.contract_id, request.body ?? {});
      return reply.code(result.complete ? 201 : 202).send(result.subscription);
    },
  );

  app.get(
    "/subscriptions",
    {
      schema: {
        operationId: "listSubscriptions",
        tags,
        summary: "List the platform's subscriptions",
        description:
          "Every subscription of the platform, newest first: the platform key or an admin (else 403). " +
          "`filter[status]` is what each one is now: `ended`, else `past_due`, else `paused`, else `active`.",
        querystring: listAllSubscriptionsQuery,
        response: { 200: subscriptionListSchema, ...errors(400, 401, 403) },
      },
      config: admin,
    },
    async (request) => subscriptions.list(requireAuth(request), request.query),
  );

  app.get(
    "/subscriptions/user/:user_id",
    {
      schema: {
        operationId: "listUserSubscriptions",
        tags,
        summary: "List a user's subscriptions",
        description: "Newest first. The platform key or an admin for anyone; a user for themself (else 403).",
        params: userParams,
        querystring: listSubscriptionsQuery,
        response: { 200: subscriptionListSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
    },
    async (request) => subscriptions.listForUser(requireAuth(request), request.params.user_id, request.query),
  );

  app.get(
    "/subscriptions/:id",
    {
      schema: {
        operationId: "retrieveSubscription",
        tags,
        summary: "Retrieve a subscription",
        description: "The platform key, an admin, the subscriber or a seller of its contract; anyone else: 404.",
        params: subscriptionParams,
        response: { 200: subscriptionSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request) => subscriptions.retrieve(requireAuth(request), request.params.id),
  );

  app.put(
    "/subscriptions/:id/pause",
    {
      schema: {
        operationId: "pauseSubscription",
        tags,
        summary: "Pause a subscription",
        description:
          "Cycles that fall due while it is paused are not charged (the period moves on). With `pausedUntil` (in the future) it resumes by itself then. The platform key or an admin. 409 `subscription_paused`, `subscription_ended`.",
        params: subscriptionParams,
        body: pauseBody,
        response: { 200: subscriptionSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: admin,
    },
    async (request) => subscriptions.pause(requireAuth(request), request.params.id, request.body ?? {}),
  );

  app.put(
    "/subscriptions/auth/:id/pause",
    {
      schema: {
        operationId: "pauseOwnSubscription",
        tags,
        summary: "Pause your subscription",
        description:
          "The subscriber (another user who may see it: 403; one who may not: 404) pauses their own subscription, as `PUT /subscriptions/:id/pause` does for the platform: cycles that fall due while it is paused are not charged, and with `pausedUntil` (in the future) it resumes by itself then (`pauseReason` `subscriber`). " +
          "A paused subscription does not count for the platform's plan (docs/api/subscriptions.md, Access). 409 `subscription_paused`, `subscription_ended`.",
        params: subscriptionParams,
        body: pauseBody,
        response: { 200: subscriptionSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: self,
    },
    async (request) => subscriptions.pauseOwn(requireUser(request), request.params.id, request.body ?? {}),
  );

  app.put(
    "/subscriptions/auth/:id/resume",
    {
      schema: {
        operationId: "resumeSubscription",
        tags,
        summary: "Resume a subscription",
        description:
          "The subscriber (another user who may see it: 403). A paused subscription resumes: its next cycle is charged when due. A past-due one is charged now for the period it is in (periods that passed meanwhile are not charged): 402 on a decline, and it stays past due. " +
          "409 `subscription_not_paused` (active), `subscription_ended`.",
        params: subscriptionParams,
        body: noBody,
        response: { 200: subscriptionSchema, ...errors(400, 401, 402, 403, 404, 409, 422, 502, 504) },
      },
      config: self,
    },
    async (request) => subscriptions.resume(requireUser(request), request.params.id),
  );

  app.delete(
    "/subscriptions/auth/:id",
    {
      schema: {
        operationId: "endSubscription",
        tags,
        summary: "End a subscription",
        description: "The subscriber (another user who may see it: 403): `ended` is set, `isActive` false, and nothing is charged after. 409 `subscription_ended`.",
        params: subscriptionParams,
        response: { 200: subscriptionSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: self,
    },
    async (request) => subscriptions.end(requireUser(request), request.params.id),
  );
};
