import { errors } from "../../../lib/route.js";
import { noBody } from "../../../lib/schemas.js";
import { requireUser } from "../../../plugins/auth.js";
import { toUserResponse, userSchema } from "../../users/index.js";
import { attachPaymentMethodBody, selfPaymentMethodParams, userWithClientSecretSchema, userWithPaymentMethodSchema } from "../payment-methods.schemas.js";
import { tags, self, gatewayErrors, withAttached, attachDescription, clientSecretDescription, type PaymentMethodsApp, type PaymentMethodsRoutesDeps } from "./shared.js";

/** The signed-in user's payment methods. */
export function signedInPaymentMethodRoutes(app: PaymentMethodsApp, { paymentMethods }: PaymentMethodsRoutesDeps): void {
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
}
