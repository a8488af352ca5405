/** The oauth module's public API: OAuth apps, the OAuth server at /oauth, and access tokens for the API (docs/api/oauth.md). */
export { appsRoutes } from "./apps.routes.js";
export { createAppsService, type AppsService } from "./apps.service.js";
export { createAccessTokenAuthenticator } from "./access-tokens.js";
export { pruneExpiredOAuthRecords } from "./adapter.js";
export { oauthRoutes } from "./oauth.routes.js";
export { createOAuthServer } from "./provider.js";
