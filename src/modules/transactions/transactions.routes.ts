import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { listRoutes } from "./routes/list.js";
import { metricRoutes } from "./routes/metrics.js";
import { transactionRoutes } from "./routes/transaction.js";
import type { TransactionsRoutesDeps } from "./routes/shared.js";

/**
 * The transactions routes, one concern a file under routes/. They are added to this plugin's own
 * instance (not registered as child plugins), in this order: the order of the OpenAPI document's paths.
 */
export const transactionsRoutes: FastifyPluginAsyncZod<TransactionsRoutesDeps> = async (app, deps) => {
  listRoutes(app, deps);
  metricRoutes(app, deps);
  transactionRoutes(app, deps);
};
