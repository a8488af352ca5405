/** The webhooks module's public API: a platform's webhook endpoints and the deliveries to them. */
export { webhooksRoutes } from "./webhooks.routes.js";
export { createWebhooksService, type WebhooksService } from "./webhooks.service.js";
export { createDeliveryService, type DeliveryService } from "./delivery.service.js";
