/** The keys module's public API: a platform's API keys. */
export { keysRoutes } from "./keys.routes.js";
export { createKeysService, type KeysService } from "./keys.service.js";
export { findKeyByHash, markKeyUsed } from "./keys.repo.js";
