import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { addSeasonalPriceBody, atQuery, noBody, productParams, productPricesSchema, productSchema, seasonalPriceParams, seasonalPriceUsageBody } from "../products.schemas.js";
import { toPricesResponse, toProductResponse, type ProductView } from "../products.service.js";
import { tags, signedIn, WRITERS, type ProductsApp, type ProductsRoutesDeps } from "./shared.js";

/** A product's seasonal prices. */
export function priceRoutes(app: ProductsApp, { products }: ProductsRoutesDeps): void {
  const respond = (p: ProductView, at?: Date) => toProductResponse(p, at ?? products.now());
  app.get(
    "/products/:id/prices",
    {
      schema: {
        operationId: "listProductPrices",
        tags,
        summary: "A product's prices: base price, seasonal prices and the price in force",
        params: productParams,
        querystring: atQuery,
        response: { 200: productPricesSchema, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request) => toPricesResponse(await products.retrieve(requireAuth(request), request.params.id), request.query.at ?? products.now()),
  );

  app.post(
    "/products/:id/prices",
    {
      schema: {
        operationId: "addSeasonalPrice",
        tags,
        summary: "Add a seasonal price",
        description: `${WRITERS} A season is the half-open range [seasonStart, seasonEnd) of UTC instants; seasons of one product may touch but never overlap (409 \`season_overlap\`). Answers the product.`,
        params: productParams,
        body: addSeasonalPriceBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request) => respond(await products.addSeasonalPrice(requireAuth(request), request.params.id, request.body)),
  );

  app.put(
    "/products/:id/prices/usage",
    {
      schema: {
        operationId: "setSeasonalPriceUsage",
        tags,
        summary: "Turn seasonal prices on or off",
        description: WRITERS,
        params: productParams,
        body: seasonalPriceUsageBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
    },
    async (request) => respond(await products.setSeasonalPriceUsage(requireAuth(request), request.params.id, request.body.useSeasonalPrices)),
  );

  app.delete(
    "/products/:id/prices/:price_id",
    {
      schema: {
        operationId: "removeSeasonalPrice",
        tags,
        summary: "Remove a seasonal price",
        description: `${WRITERS} Answers the product.`,
        params: seasonalPriceParams,
        body: noBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
    },
    async (request) => respond(await products.removeSeasonalPrice(requireAuth(request), request.params.id, request.params.price_id)),
  );
}
