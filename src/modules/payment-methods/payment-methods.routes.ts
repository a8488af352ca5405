import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { signedInPaymentMethodRoutes } from "./routes/signed-in.js";
import { userPaymentMethodRoutes } from "./routes/users.js";
import type { PaymentMethodsRoutesDeps } from "./routes/shared.js";

/**
 * The payment methods routes, one concern a file under routes/. They are added to this plugin's own
 * instance (not registered as child plugins), in this order: the order of the OpenAPI document's paths.
 */
export const paymentMethodsRoutes: FastifyPluginAsyncZod<PaymentMethodsRoutesDeps> = async (app, deps) => {
  signedInPaymentMethodRoutes(app, deps);
  userPaymentMethodRoutes(app, deps);
};
