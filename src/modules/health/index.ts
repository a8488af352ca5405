/** The health module's public API: liveness and readiness. */
export { healthRoutes, type HealthDeps } from "./health.routes.js";
