/** The console module's public API: the operator console's page and files, under /console. */
export { CONSOLE_CSP, CONSOLE_FILES, consoleRoutes } from "./console.routes.js";
