/** The refund requests module's public API: refunds buyers ask for, approved or declined by sellers or the platform. */
export { refundRequestsRoutes } from "./refund-requests.routes.js";
export { createRefundRequestsService, type RefundRequestsService } from "./refund-requests.service.js";
