/** The uploads module's public API: pre-signed uploads to disk storage. */
export { uploadsRoutes } from "./uploads.routes.js";
