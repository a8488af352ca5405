/** The carts module's public API: one cart per user, and how a cart is rendered. */
export { cartsRoutes } from "./carts.routes.js";
export { createCartsService, toCartResponse, type CartsService, type CartView, type PurchaseGate, type ReleaseExpiredHolds } from "./carts.service.js";
export { eraseUserCart, removeProductsFromCarts } from "./carts.repo.js";
