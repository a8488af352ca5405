import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { readRoutes } from "./routes/read.js";
import { productRoutes } from "./routes/product.js";
import { priceRoutes } from "./routes/prices.js";
import { moderationRoutes } from "./routes/moderation.js";
import { imageRoutes } from "./routes/images.js";
import { addOnRoutes } from "./routes/add-ons.js";
import type { ProductsRoutesDeps } from "./routes/shared.js";

/**
 * The products routes, one concern a file under routes/. They are added to this plugin's own
 * instance (not registered as child plugins), in this order: the order of the OpenAPI document's paths.
 */
export const productsRoutes: FastifyPluginAsyncZod<ProductsRoutesDeps> = async (app, deps) => {
  readRoutes(app, deps);
  productRoutes(app, deps);
  moderationRoutes(app, deps);
  priceRoutes(app, deps);
  imageRoutes(app, deps);
  addOnRoutes(app, deps);
};
