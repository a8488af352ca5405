/** The shipping module's public API: shipping rates, and the quote carts and checkout price shipping with. */
export { shippingRoutes } from "./shipping.routes.js";
export { createShippingService, toShippingRateResponse, type ShippingService } from "./shipping.service.js";
export { groupBySeller, quoteLines, quoteLinesWith, quoteShipping, rateAmount, ratesJsonSql, type Rate, type ShipmentGroup, type ShippingQuote } from "./shipping.quote.js";
export { shippingLineFields } from "./shipping.schemas.js";
