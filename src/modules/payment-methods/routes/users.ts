import type { FastifyRequest } from "fastify";
import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireAuth } from "../../../plugins/auth.js";
import { toUserResponse, userParams, userSchema } from "../../users/index.js";
import { attachPaymentMethodBody, userPaymentMethodParams, userWithClientSecretSchema, userWithPaymentMethodSchema } from "../payment-methods.schemas.js";
import { tags, admin, gatewayErrors, withAttached, attachDescription, clientSecretDescription, type PaymentMethodsApp, type PaymentMethodsRoutesDeps } from "./shared.js";

/** A user's payment methods (API key or admin). */
export function userPaymentMethodRoutes(app: PaymentMethodsApp, { paymentMethods, users }: PaymentMethodsRoutesDeps): void {
  // Changing another user's cards needs the right to change that user (403 `user_role_protected`).
  const manages = { preHandler: async (request: FastifyRequest) => users.assertMayManage(requireAuth(request), (request.params as { id: string }).id) };
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
}
