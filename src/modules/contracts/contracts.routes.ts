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
import { tags, signedIn, type ContractsRoutesDeps } from "./routes/shared.js";
import { metafieldRoutes } from "../metafields/index.js";

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
  metafieldRoutes(app, {
    owner: "contract",
    resource: "contracts",
    aliases: ["orders"],
    tags,
    config: signedIn,
    readers: "Whoever may read the contract: editors and the key, or a member who created it or is one of its buyers or sellers (404 for anyone else).",
    writers:
      "Whoever may change the contract: the creator (once it is sent, only a creator who is also a buyer or seller), an editor or the platform key — in any status: metafields are not its money, so they neither rebalance it nor void an acceptance.",
    read: (auth, id) => deps.contracts.metafields(auth, id),
    change: (auth, id, apply) => deps.contracts.changeMetafields(auth, id, apply),
  });
  orderRoutes(app, deps);
};
