/** The waitlists module's public API: a platform's waitlist. */
export { waitlistsRoutes } from "./waitlists.routes.js";
export { createWaitlistsService, type WaitlistsService } from "./waitlists.service.js";
export { eraseUserWaitlistEntries, isWaitlistGranted } from "./waitlists.repo.js";
