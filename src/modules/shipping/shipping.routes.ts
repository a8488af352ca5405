import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { requireAuth } from "../../plugins/auth.js";
import { createShippingRateBody, listShippingRatesQuery, shippingRateListSchema, shippingRateParams, shippingRateSchema, updateShippingRateBody } from "./shipping.schemas.js";
import { toShippingRateResponse, type ShippingService } from "./shipping.service.js";

const tags = ["Shipping rates"];
/** Rates are prices buyers see: anyone signed in reads them; who writes one depends on whose it is (the service decides). */
const signedIn = { auth: {} } as const;
const WRITERS = "A platform rate: the key, an owner or an admin. A seller's rate: the seller, an editor or above (403 `not_shipping_rate_owner` otherwise).";

export const shippingRoutes: FastifyPluginAsyncZod<{ shipping: ShippingService }> = async (app, { shipping }) => {
  app.get(
    "/shipping_rates",
    {
      schema: {
        operationId: "listShippingRates",
        tags,
        summary: "List the platform's and its sellers' shipping rates",
        description: "Filters: `filter[user_id]` (sellers, or `platform` for the platform's own), `filter[kind]`, `filter[currency]`. Sort by created (default) or title.",
        querystring: listShippingRatesQuery,
        response: { 200: shippingRateListSchema, ...errors(400, 401) },
      },
      config: signedIn,
    },
    async (request) => {
      const page = await shipping.list(requireAuth(request), request.query);
      return { data: page.data.map(toShippingRateResponse), meta: page.meta };
    },
  );

  app.post(
    "/shipping_rates",
    {
      schema: {
        operationId: "createShippingRate",
        tags,
        summary: "Create a shipping rate",
        description:
          `${WRITERS} flat: \`price\` for the first unit and \`step_price\` for each further one; weight: \`bands\` of the items' weight in grams (items without a weight leave it out); ` +
          "price: `bands` of the items' subtotal in cents. Each seller's items in a cart ship at the cheapest of the seller's rates that applies, else the platform's. At most 50 per owner (422 `too_many_shipping_rates`).",
        body: createShippingRateBody,
        response: { 201: shippingRateSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: signedIn,
    },
    async (request, reply) => reply.code(201).send(toShippingRateResponse(await shipping.create(requireAuth(request), request.body))),
  );

  app.get(
    "/shipping_rates/:id",
    {
      schema: {
        operationId: "retrieveShippingRate",
        tags,
        summary: "Retrieve a shipping rate",
        params: shippingRateParams,
        response: { 200: shippingRateSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request) => toShippingRateResponse(await shipping.retrieve(requireAuth(request), request.params.id)),
  );

  for (const [method, operationId] of [
    ["PUT", "updateShippingRate"],
    ["PATCH", "patchShippingRate"],
  ] as const) {
    app.route({
      method,
      url: "/shipping_rates/:id",
      schema: {
        operationId,
        tags,
        summary: "Change a shipping rate's title, prices or bands",
        description: `${WRITERS} Its seller, kind and currency stay. Carts price with the change at once; contracts keep their shipping lines.`,
        params: shippingRateParams,
        body: updateShippingRateBody,
        response: { 200: shippingRateSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: signedIn,
      handler: async (request) => toShippingRateResponse(await shipping.update(requireAuth(request), request.params.id, request.body)),
    });
  }

  app.delete(
    "/shipping_rates/:id",
    {
      schema: {
        operationId: "deleteShippingRate",
        tags,
        summary: "Delete a shipping rate",
        description: `${WRITERS} Answers the rate as it was. Contracts keep the shipping lines priced with it.`,
        params: shippingRateParams,
        body: noBody,
        response: { 200: shippingRateSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
    },
    async (request) => toShippingRateResponse(await shipping.remove(requireAuth(request), request.params.id)),
  );
};
