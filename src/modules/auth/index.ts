/** The auth module's public API: sign-in (codes, sessions, tokens) and resolving a request's credentials. */
export { authRoutes } from "./auth.routes.js";
export { createCredentialsService, type CredentialsService } from "./credentials.service.js";
export { KeyCache } from "./key-cache.js";
export { SessionCache } from "./session-cache.js";
export { createOtpService } from "./otp.service.js";
export { createSessionsService } from "./sessions.service.js";
export { createTokenService, type TokenService } from "./tokens.js";
export { eraseUserSessions } from "./auth.repo.js";
