import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { toUserResponse, type UsersService, type UserView } from "../../users/index.js";
import type { PaymentMethodsService } from "../payment-methods.service.js";

/** The Fastify instance the payment methods plugin is given (zod type provider); each routes/ file adds its routes to it. */
export type PaymentMethodsApp = Parameters<FastifyPluginAsyncZod>[0];

export type PaymentMethodsRoutesDeps = { paymentMethods: PaymentMethodsService; users: Pick<UsersService, "assertMayManage"> };

export const tags = ["Payment methods"];
export const self = { auth: { user: true } } as const;
export const admin = { auth: { role: "admin" } } as const;

// Gateway failures: a decline (402), a refused request (400), Stripe unreachable (502), too slow (504), rate limited (503).
export const gatewayErrors = [400, 402, 502, 503, 504] as const;

export function withAttached(user: UserView, paymentMethodId: string) {
  const response = toUserResponse(user);
  return { ...response, paymentMethod: response.paymentMethods.find((pm) => pm.id === paymentMethodId)! };
}

export const attachDescription =
  "Attaches a PaymentMethod confirmed client-side by Stripe.js — or a Stripe test token such as `pm_card_visa` — to the user's Stripe customer, creating the customer on first use. " +
  "The user's first payment method becomes the default. Attaching a payment method the user already has changes nothing (nor does repeating a test token's attach within 24 h). " +
  "Answers the user, with `paymentMethod` the attached one.";

export const clientSecretDescription =
  "Creates a SetupIntent on the user's Stripe customer (created, and `stripeCustomerId` set, on first use) and answers its `clientSecret`, " +
  "for saving a card with Stripe.js; then attach the confirmed payment method with `POST …/payment_methods`.";
