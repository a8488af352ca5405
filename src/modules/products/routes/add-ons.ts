import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { metafieldRoutes } from "../../metafields/index.js";
import { addOnCountSchema, addOnListSchema, addOnParams, addOnSchema, createAddOnBody, noBody, productAddOnParams, productParams, updateAddOnBody } from "../products.schemas.js";
import { tags, signedIn, WRITERS, type ProductsApp, type ProductsRoutesDeps } from "./shared.js";

const READERS = "Whoever may read the listing (`GET /products/:id`): 404 for one not published that is not theirs, 402 for a members-only one they may not read.";

/**
 * A listing's add-ons (the seed's six endpoints: list, create, count, delete under the listing;
 * retrieve and update by the add-on's id) and its metafields — under `/products` and the seed's
 * `/listings`.
 */
export function addOnRoutes(app: ProductsApp, { products }: ProductsRoutesDeps): void {
  for (const resource of ["products", "listings"] as const) {
    const alias = resource === "listings";
    const suffix = alias ? "ViaListings" : "";
    const note = alias ? " The same as under `/products`, by the seed's name of a product." : "";
    app.get(
      `/${resource}/:id/add_ons`,
      {
        schema: {
          operationId: `listProductAddOns${suffix}`,
          tags,
          summary: "List a listing's add-ons",
          description: `${READERS}${note}`,
          params: productParams,
          response: { 200: addOnListSchema, ...errors(400, 401, 402, 404) },
        },
        config: signedIn,
      },
      async (request) => products.addOns(requireAuth(request), request.params.id),
    );

    app.post(
      `/${resource}/:id/add_ons`,
      {
        schema: {
          operationId: `createProductAddOn${suffix}`,
          tags,
          summary: "Add an add-on to a listing",
          description: `${WRITERS} A listing offers at most 50 (422 \`too_many_add_ons\`). Records \`product.updated\`.${note}`,
          params: productParams,
          body: createAddOnBody,
          response: { 201: addOnSchema, ...errors(400, 401, 403, 404, 422) },
        },
        config: signedIn,
      },
      async (request, reply) => reply.code(201).send(await products.createAddOn(requireAuth(request), request.params.id, request.body)),
    );

    app.get(
      `/${resource}/:id/add_ons/count`,
      {
        schema: {
          operationId: `countProductAddOns${suffix}`,
          tags,
          summary: "Count a listing's add-ons",
          description: `${READERS}${note}`,
          params: productParams,
          response: { 200: addOnCountSchema, ...errors(400, 401, 402, 404) },
        },
        config: signedIn,
      },
      async (request) => ({ count: await products.countAddOns(requireAuth(request), request.params.id) }),
    );

    app.delete(
      `/${resource}/:id/add_ons/:addon_id`,
      {
        schema: {
          operationId: `deleteProductAddOn${suffix}`,
          tags,
          summary: "Delete one of a listing's add-ons",
          description: `${WRITERS} Carts holding it drop it (their lines stay); contracts keep the add-ons they were priced with. Answers the add-on as it was; records \`product.updated\`.${note}`,
          params: productAddOnParams,
          body: noBody,
          response: { 200: addOnSchema, ...errors(400, 401, 403, 404) },
        },
        config: signedIn,
      },
      async (request) => products.removeAddOn(requireAuth(request), request.params.id, request.params.addon_id),
    );
  }

  app.get(
    "/add_ons/:id",
    {
      schema: {
        operationId: "retrieveAddOn",
        tags,
        summary: "Retrieve an add-on",
        description: READERS.replace("the listing", "its listing"),
        params: addOnParams,
        response: { 200: addOnSchema, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request) => products.addOn(requireAuth(request), request.params.id),
  );

  for (const [method, operationId] of [
    ["PUT", "modifyAddOn"],
    ["PATCH", "patchAddOn"],
  ] as const) {
    app.route({
      method,
      url: "/add_ons/:id",
      schema: {
        operationId,
        tags,
        summary: "Modify an add-on (only the fields sent)",
        description: `${WRITERS.replace("the product", "its listing")} Contracts keep the price they were made with; carts price it anew. Records \`product.updated\`.`,
        params: addOnParams,
        body: updateAddOnBody,
        response: { 200: addOnSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
      handler: async (request) => products.modifyAddOn(requireAuth(request), request.params.id, request.body),
    });
  }

  metafieldRoutes(app, {
    owner: "product",
    resource: "products",
    aliases: ["listings"],
    tags,
    config: signedIn,
    readers: READERS,
    writers: WRITERS,
    read: (auth, id) => products.metafields(auth, id),
    change: (auth, id, apply) => products.changeMetafields(auth, id, apply),
  });
}
