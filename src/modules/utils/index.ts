/** The utils module's public API: fee estimates, username suggestions, uploads of images. */
export { utilsRoutes } from "./utils.routes.js";
export { createUtilsService, type UtilsService } from "./utils.service.js";
