import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { bookingRoutes } from "./routes/bookings.js";
import { checkoutRoutes } from "./routes/checkout.js";
import { contractRoutes } from "./routes/contract.js";
import { createRoutes } from "./routes/create.js";
import { feeRoutes } from "./routes/fees.js";
import { itemRoutes } from "./routes/items.js";
import { lifecycleRoutes } from "./routes/lifecycle.js";
import { listRoutes } from "./routes/list.js";
import { orderRoutes } from "./routes/orders.js";
import { partyRoutes } from "./routes/parties.js";
import type { ContractsRoutesDeps } from "./routes/shared.js";

/**
 * The contracts routes, one concern a file under routes/. They are added to this plugin's own
 * instance (not registered as child plugins), in this order: the order of the OpenAPI document's paths.
 */
export const contractsRoutes: FastifyPluginAsyncZod<ContractsRoutesDeps> = async (app, deps) => {
  createRoutes(app, deps);
  listRoutes(app, deps);
  contractRoutes(app, deps);
  itemRoutes(app, deps);
  bookingRoutes(app, deps);
  partyRoutes(app, deps);
  feeRoutes(app, deps);
  lifecycleRoutes(app, deps);
  checkoutRoutes(app, deps);
  orderRoutes(app, deps);
};
