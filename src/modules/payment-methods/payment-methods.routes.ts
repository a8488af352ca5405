import type { FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { requireAuth, requireUser } from "../../plugins/auth.js";
import { toUserResponse, userParams, userSchema, type UsersService, type UserView } from "../users/index.js";
import { attachPaymentMethodBody, selfPaymentMethodParams, userPaymentMethodParams, userWithClientSecretSchema, userWithPaymentMethodSchema } from "./payment-methods.schemas.js";
import type { PaymentMethodsService } from "./payment-methods.service.js";

const tags = ["Payment methods"];
const self = { auth: { user: true } } as const;
const admin = { auth: { role: "admin" } } as const;

// Gateway failures: a decline (402), a refused request (400), Stripe unreachable (502), too slow (504), rate limited (503).
const gatewayErrors = [400, 402, 502, 503, 504] as const;

function withAttached(user: UserView, paymentMethodId: string) {
  const response = toUserResponse(user);
  return { ...response, paymentMethod: response.paymentMethods.find((pm) => pm.id === paymentMethodId)! };
}

const attachDescription =
  "Attaches a PaymentMethod confirmed client-side by Stripe.js — or a Stripe test token such as `pm_card_visa` — to the user's Stripe customer, creating the customer on first use. " +
  "The user's first payment method becomes the default. Attaching a payment method the user already has changes nothing (nor does repeating a test token's attach within 24 h). " +
  "Answers the user, with `paymentMethod` the attached one.";

const clientSecretDescription =
  "Creates a SetupIntent on the user's Stripe customer (created, and `stripeCustomerId` set, on first use) and answers its `clientSecret`, " +
  "for saving a card with Stripe.js; then attach the confirmed payment method with `POST …/payment_methods`.";

export const paymentMethodsRoutes: FastifyPluginAsyncZod<{ paymentMethods: PaymentMethodsService; users: Pick<UsersService, "assertMayManage"> }> = async (
  app,
  { paymentMethods, users },
) => {
  // Changing another user's cards needs the right to change that user (403 `user_role_protected`).
  const manages = { preHandler: async (request: FastifyRequest) => users.assertMayManage(requireAuth(request), (request.params as { id: string }).id) };

  // ── the signed-in user ──────────────────────────────────────────────────
  app.post(
    "/users/auth/client_secret",
    {
      schema: {
        operationId: "createSignedInUserClientSecret",
        tags,
        summary: "A SetupIntent client secret for the signed-in user",
        description: clientSecretDescription,
        body: noBody,
        response: { 200: userWithClientSecretSchema, ...errors(400, 401, 409, ...gatewayErrors) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      const { user, clientSecret, setupIntentId } = await paymentMethods.createClientSecret({ tenant: auth, userId: auth.user.id });
      return { ...toUserResponse(user), clientSecret, setupIntentId };
    },
  );

  app.get(
    "/users/auth/payment_methods",
    {
      schema: {
        operationId: "listSignedInUserPaymentMethods",
        tags,
        summary: "The signed-in user's payment methods",
        description: "Answers the user object; its `paymentMethods` are the list.",
        response: { 200: userSchema, ...errors(401) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await paymentMethods.list({ tenant: auth, userId: auth.user.id }));
    },
  );

  app.post(
    "/users/auth/payment_methods",
    {
      schema: {
        operationId: "attachSignedInUserPaymentMethod",
        tags,
        summary: "Attach a payment method to the signed-in user",
        description: attachDescription,
        body: attachPaymentMethodBody,
        response: { 200: userWithPaymentMethodSchema, ...errors(401, 409, ...gatewayErrors) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      const { user, paymentMethodId } = await paymentMethods.attach({ tenant: auth, userId: auth.user.id, paymentMethod: request.body.payment_method });
      return withAttached(user, paymentMethodId);
    },
  );

  app.delete(
    "/users/auth/payment_methods/:payment_method_id",
    {
      schema: {
        operationId: "removeSignedInUserPaymentMethod",
        tags,
        summary: "Remove a payment method of the signed-in user",
        description: "Detaches it from the Stripe customer too. When it was the default, the most recently added other one becomes the default.",
        params: selfPaymentMethodParams,
        body: noBody,
        response: { 200: userSchema, ...errors(400, 401, 404, ...gatewayErrors) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await paymentMethods.remove({ tenant: auth, userId: auth.user.id, paymentMethodRef: request.params.payment_method_id }));
    },
  );

  app.put(
    "/users/auth/payment_methods/:payment_method_id/default",
    {
      schema: {
        operationId: "setSignedInUserDefaultPaymentMethod",
        tags,
        summary: "Make a payment method the signed-in user's default",
        description: "Exactly one payment method of a user is the default; the Stripe customer's default follows.",
        params: selfPaymentMethodParams,
        body: noBody,
        response: { 200: userSchema, ...errors(400, 401, 404, ...gatewayErrors) },
      },
      config: self,
    },
    async (request) => {
      const auth = requireUser(request);
      return toUserResponse(await paymentMethods.setDefault({ tenant: auth, userId: auth.user.id, paymentMethodRef: request.params.payment_method_id }));
    },
  );

  // ── users of the platform (API key or admin) ─────────────────────────────
  app.post(
    "/users/:id/client_secret",
    {
      schema: {
        operationId: "createUserClientSecret",
        tags,
        summary: "A SetupIntent client secret for a user",
        description: clientSecretDescription,
        params: userParams,
        body: noBody,
        response: { 200: userWithClientSecretSchema, ...errors(400, 401, 403, 404, 409, ...gatewayErrors) },
      },
      config: admin,
      ...manages,
    },
    async (request) => {
      const { user, clientSecret, setupIntentId } = await paymentMethods.createClientSecret({ tenant: requireAuth(request), userId: request.params.id });
      return { ...toUserResponse(user), clientSecret, setupIntentId };
    },
  );

  app.get(
    "/users/:id/payment_methods",
    {
      schema: {
        operationId: "listUserPaymentMethods",
        tags,
        summary: "A user's payment methods",
        description: "Answers the user object; its `paymentMethods` are the list.",
        params: userParams,
        response: { 200: userSchema, ...errors(401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toUserResponse(await paymentMethods.list({ tenant: requireAuth(request), userId: request.params.id })),
  );

  app.post(
    "/users/:id/payment_methods",
    {
      schema: {
        operationId: "attachUserPaymentMethod",
        tags,
        summary: "Attach a payment method to a user",
        description: attachDescription,
        params: userParams,
        body: attachPaymentMethodBody,
        response: { 200: userWithPaymentMethodSchema, ...errors(401, 403, 404, 409, ...gatewayErrors) },
      },
      config: admin,
      ...manages,
    },
    async (request) => {
      const { user, paymentMethodId } = await paymentMethods.attach({ tenant: requireAuth(request), userId: request.params.id, paymentMethod: request.body.payment_method });
      return withAttached(user, paymentMethodId);
    },
  );

  app.delete(
    "/users/:id/payment_methods/:payment_method_id",
    {
      schema: {
        operationId: "removeUserPaymentMethod",
        tags,
        summary: "Remove a payment method of a user",
        description: "Detaches it from the Stripe customer too. When it was the default, the most recently added other one becomes the default.",
        params: userPaymentMethodParams,
        body: noBody,
        response: { 200: userSchema, ...errors(400, 401, 403, 404, ...gatewayErrors) },
      },
      config: admin,
      ...manages,
    },
    async (request) => toUserResponse(await paymentMethods.remove({ tenant: requireAuth(request), userId: request.params.id, paymentMethodRef: request.params.payment_method_id })),
  );

  app.put(
    "/users/:id/payment_methods/:payment_method_id/default",
    {
      schema: {
        operationId: "setUserDefaultPaymentMethod",
        tags,
        summary: "Make a payment method a user's default",
        description: "Exactly one payment method of a user is the default; the Stripe customer's default follows.",
        params: userPaymentMethodParams,
        body: noBody,
        response: { 200: userSchema, ...errors(400, 401, 403, 404, ...gatewayErrors) },
      },
      config: admin,
      ...manages,
    },
    async (request) =>
      toUserResponse(await paymentMethods.setDefault({ tenant: requireAuth(request), userId: request.params.id, paymentMethodRef: request.params.payment_method_id })),
  );
};
