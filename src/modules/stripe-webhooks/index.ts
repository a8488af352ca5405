/** The stripe-webhooks module's public API: Stripe's webhooks, and who learns how a payment ended. */
export { stripeWebhooksRoutes } from "./stripe-webhooks.routes.js";
export { createStripeWebhooksService, type PaymentOutcomeHandler, type RefundOutcomeHandler, type DisputeHandler, type StripeWebhooksService } from "./stripe-webhooks.service.js";
