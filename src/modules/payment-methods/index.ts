/** The payment-methods module's public API: a user's saved cards and bank debits. */
export { paymentMethodsRoutes } from "./payment-methods.routes.js";
export { createPaymentMethodsService, type PaymentMethodsService } from "./payment-methods.service.js";
export { defaultPaymentMethodsOf, eraseUserPaymentMethods, paymentMethodsOf } from "./payment-methods.repo.js";
