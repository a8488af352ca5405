/** The collections module's public API: curated and rule-based sets of listings. */
export { collectionsRoutes } from "./collections.routes.js";
export { createCollectionsService, type CollectionsService } from "./collections.service.js";
