import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { metafieldRoutes } from "../../metafields/index.js";
import type { AddOnView } from "../products.repo.js";
import {
  addOnCountSchema,
  addOnListSchema,
  addOnParams,
  addOnSchema,
  createAddOnBody,
  listingAddOnCountSchema,
  listingAddOnDoneSchema,
  listingAddOnEnvelope,
  listingAddOnsEnvelope,
  noBody,
  productAddOnParams,
  productParams,
  updateAddOnBody,
} from "../products.schemas.js";
import { tags, signedIn, WRITERS, type ProductsApp, type ProductsRoutesDeps } from "./shared.js";

const READERS = "Whoever may read the listing (`GET /products/:id`): 404 for one not published that is not theirs, 402 for a members-only one they may not read.";

/**
 * A listing's add-ons (the seed's six endpoints: list, create, count, delete under the listing;
 * retrieve and update by the add-on's id) and its metafields — under `/products` in our shapes, and
 * under the seed's `/listings` in its shapes.
 */
export function addOnRoutes(app: ProductsApp, { products }: ProductsRoutesDeps): void {
  app.get(
    "/products/:id/add_ons",
    {
      schema: {
        operationId: "listProductAddOns",
        tags,
        summary: "List a listing's add-ons",
        description: READERS,
        params: productParams,
        response: { 200: addOnListSchema, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request) => products.addOns(requireAuth(request), request.params.id),
  );

  app.post(
    "/products/:id/add_ons",
    {
      schema: {
        operationId: "createProductAddOn",
        tags,
        summary: "Add an add-on to a listing",
        description: `${WRITERS} A listing offers at most 50 (422 \`too_many_add_ons\`). Records \`product.updated\`.`,
        params: productParams,
        body: createAddOnBody,
        response: { 201: addOnSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: signedIn,
    },
    async (request, reply) => reply.code(201).send(await products.createAddOn(requireAuth(request), request.params.id, request.body)),
  );

  app.get(
    "/products/:id/add_ons/count",
    {
      schema: {
        operationId: "countProductAddOns",
        tags,
        summary: "Count a listing's add-ons",
        description: READERS,
        params: productParams,
        response: { 200: addOnCountSchema, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request) => ({ count: await products.countAddOns(requireAuth(request), request.params.id) }),
  );

  app.delete(
    "/products/:id/add_ons/:addon_id",
    {
      schema: {
        operationId: "deleteProductAddOn",
        tags,
        summary: "Delete one of a listing's add-ons",
        description: `${WRITERS} Carts holding it drop it (their lines stay); contracts keep the add-ons they were priced with. Answers the add-on as it was; records \`product.updated\`.`,
        params: productAddOnParams,
        body: noBody,
        response: { 200: addOnSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
    },
    async (request) => products.removeAddOn(requireAuth(request), request.params.id, request.params.addon_id),
  );

  listingAddOnRoutes(app, products);

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

/** An add-on in the seed's shape: its listing is `listing_id`. */
const asListingAddOn = ({ product_id, ...addOn }: AddOnView) => ({ ...addOn, listing_id: product_id });

/**
 * The seed's add-on endpoints under its name of a product, `/listings`, answering in its shapes
 * (docs/api/add-ons.md, "Under /listings"): the same rights, checks and events as the routes above.
 */
function listingAddOnRoutes(app: ProductsApp, products: ProductsRoutesDeps["products"]): void {
  const seed = " Answers in the seed's shape (docs/api/add-ons.md); the same as under `/products` otherwise.";
  app.get(
    "/listings/:id/add_ons",
    {
      schema: {
        operationId: "listListingAddOns",
        tags,
        summary: "List a listing's add-ons (the seed's shape)",
        description: `${READERS}${seed}`,
        params: productParams,
        response: { 200: listingAddOnsEnvelope, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request) => ({ add_ons: (await products.addOns(requireAuth(request), request.params.id)).map(asListingAddOn) }),
  );

  app.post(
    "/listings/:id/add_ons",
    {
      schema: {
        operationId: "createListingAddOn",
        tags,
        summary: "Add an add-on to a listing (the seed's shape)",
        description: `${WRITERS} A listing offers at most 50 (422 \`too_many_add_ons\`). Records \`product.updated\`.${seed}`,
        params: productParams,
        body: createAddOnBody,
        response: { 201: listingAddOnEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
      config: signedIn,
    },
    async (request, reply) => reply.code(201).send({ add_on: asListingAddOn(await products.createAddOn(requireAuth(request), request.params.id, request.body)) }),
  );

  app.get(
    "/listings/:id/add_ons/count",
    {
      schema: {
        operationId: "countListingAddOns",
        tags,
        summary: "Count a listing's add-ons (the seed's shape: a string)",
        description: `${READERS}${seed}`,
        params: productParams,
        response: { 200: listingAddOnCountSchema, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request) => ({ count: String(await products.countAddOns(requireAuth(request), request.params.id)) }),
  );

  app.delete(
    "/listings/:id/add_ons/:addon_id",
    {
      schema: {
        operationId: "deleteListingAddOn",
        tags,
        summary: "Delete one of a listing's add-ons (the seed's shape)",
        description: `${WRITERS} Carts holding it drop it; contracts keep the add-ons they were priced with. Records \`product.updated\`.${seed}`,
        params: productAddOnParams,
        body: noBody,
        response: { 200: listingAddOnDoneSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
    },
    async (request) => {
      await products.removeAddOn(requireAuth(request), request.params.id, request.params.addon_id);
      return { success: true as const, message: "Add-on deleted" };
    },
  );

  app.get(
    "/listings/add_ons/:id",
    {
      schema: {
        operationId: "retrieveListingAddOn",
        tags,
        summary: "Retrieve an add-on (the seed's shape)",
        description: `${READERS.replace("the listing", "its listing")}${seed.replace("`/products`", "`/add_ons/:id`")}`,
        params: addOnParams,
        response: { 200: listingAddOnEnvelope, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request) => ({ add_on: asListingAddOn(await products.addOn(requireAuth(request), request.params.id)) }),
  );

  for (const [method, operationId] of [
    ["PUT", "modifyListingAddOn"],
    ["PATCH", "patchListingAddOn"],
  ] as const) {
    app.route({
      method,
      url: "/listings/add_ons/:id",
      schema: {
        operationId,
        tags,
        summary: "Modify an add-on, only the fields sent (the seed's shape)",
        description: `${WRITERS.replace("the product", "its listing")} Records \`product.updated\`.${seed.replace("`/products`", "`/add_ons/:id`")}`,
        params: addOnParams,
        body: updateAddOnBody,
        response: { 200: listingAddOnDoneSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
      handler: async (request) => {
        await products.modifyAddOn(requireAuth(request), request.params.id, request.body);
        return { success: true as const, message: "Add-on has been updated" };
      },
    });
  }
}
