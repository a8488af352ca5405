/** The offline-connect module's public API: the offline simulator's Connect onboarding pages. */
export { offlineConnectRoutes } from "./offline-connect.routes.js";
export { offlineAuthenticationRoutes } from "./offline-authentication.routes.js";
