import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { toApiDate } from "../../lib/time.js";
import { requireAuth } from "../../plugins/auth.js";
import type { ProductImagesService } from "./product-images.service.js";
import {
  addSeasonalPriceBody,
  atQuery,
  categoriesSchema,
  confirmImageBody,
  createProductBody,
  imageUploadBody,
  imageUploadSchema,
  listProductsQuery,
  noBody,
  productListSchema,
  productParams,
  productPricesSchema,
  productSchema,
  seasonalPriceParams,
  seasonalPriceUsageBody,
  updateProductBody,
  userProductsParams,
} from "./products.schemas.js";
import { toPricesResponse, toProductResponse, type ProductsService, type ProductView } from "./products.service.js";

const tags = ["Products"];
/** Anyone signed in on the platform (key or user); who may change what is decided per product. */
const signedIn = { auth: {} } as const;
const WRITERS = "A platform key, an editor (or above), or the member who sells the product.";

export const productsRoutes: FastifyPluginAsyncZod<{ products: ProductsService; images: ProductImagesService }> = async (app, { products, images }) => {
  const respond = (p: ProductView, at?: Date) => toProductResponse(p, at ?? products.now());

  app.post(
    "/products",
    {
      schema: {
        operationId: "createProduct",
        tags,
        summary: "Create a product",
        description:
          "The seller is `user_id`: required with a platform key alone; an editor may name anyone and defaults to themself; a member sells as themself. " +
          "With `parent_product_id` the product is a variant of that parent (one level), sold by the parent's seller, and inherits its category, subcategory, type, currency and cycle unless given. " +
          "A suspended seller lists nothing new: 409 `seller_suspended`.",
        body: createProductBody,
        response: { 201: productSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: signedIn,
    },
    async (request, reply) => reply.code(201).send(respond(await products.create(requireAuth(request), request.body))),
  );

  app.get(
    "/products",
    {
      schema: {
        operationId: "listProducts",
        tags,
        summary: "List the platform's products",
        description:
          "Top-level products (each with its variants); `filter[parent_product_id]` lists one product's variants instead. Archived products are left out unless `filter[archived]=true`. " +
          "The price range and `sort=price` use the base `price`.",
        querystring: listProductsQuery,
        response: { 200: productListSchema, ...errors(400, 401) },
      },
      config: signedIn,
    },
    async (request) => {
      const page = await products.list(requireAuth(request), request.query);
      const at = request.query.at ?? products.now();
      return { data: page.data.map((p) => respond(p, at)), meta: page.meta };
    },
  );

  app.get(
    "/products/user/:user_id",
    {
      schema: {
        operationId: "listUserProducts",
        tags,
        summary: "List the products a user sells",
        description: "Takes the same query as `GET /products`.",
        params: userProductsParams,
        querystring: listProductsQuery,
        response: { 200: productListSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request) => {
      const page = await products.listForSeller(requireAuth(request), request.params.user_id, request.query);
      const at = request.query.at ?? products.now();
      return { data: page.data.map((p) => respond(p, at)), meta: page.meta };
    },
  );

  app.get(
    "/products/categories",
    {
      schema: {
        operationId: "listProductCategories",
        tags,
        summary: "List the catalogue's categories, with their subcategories and product counts",
        description: "Counts listed products: top-level and not archived.",
        response: { 200: categoriesSchema, ...errors(401) },
      },
      config: signedIn,
    },
    async (request) => products.categories(requireAuth(request)),
  );

  app.get(
    "/products/:id",
    {
      schema: {
        operationId: "retrieveProduct",
        tags,
        summary: "Retrieve a product",
        params: productParams,
        querystring: atQuery,
        response: { 200: productSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request) => respond(await products.retrieve(requireAuth(request), request.params.id), request.query.at),
  );

  for (const [method, operationId] of [
    ["PUT", "modifyProduct"],
    ["PATCH", "patchProduct"],
  ] as const) {
    app.route({
      method,
      url: "/products/:id",
      schema: {
        operationId,
        tags,
        summary: "Modify a product (only the fields sent)",
        description: `${WRITERS} Changing the seller (\`user_id\`) needs an editor or the key; a parent's variants follow it.`,
        params: productParams,
        body: updateProductBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 422) },
      },
      config: signedIn,
      handler: async (request) => respond(await products.update(requireAuth(request), request.params.id, request.body)),
    });
  }

  app.delete(
    "/products/:id",
    {
      schema: {
        operationId: "deleteProduct",
        tags,
        summary: "Delete a product",
        description: `${WRITERS} Deletes its variants and seasonal prices too. 409 while a sent contract not yet paid (open, processing) names it or one of its variants: archive it instead. Buyers' carts (their lines of it go) and drafts do not stop it. Answers the product as it was.`,
        params: productParams,
        body: noBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: signedIn,
    },
    async (request) => respond(await products.remove(requireAuth(request), request.params.id)),
  );

  for (const [url, operationId, summary, isEnabled] of [
    ["/products/:id/enable", "enableProduct", "Enable a product", true],
    ["/products/:id/disable", "disableProduct", "Disable a product (it stays listed but cannot be bought)", false],
  ] as const) {
    app.put(
      url,
      {
        schema: { operationId, tags, summary, description: WRITERS, params: productParams, body: noBody, response: { 200: productSchema, ...errors(400, 401, 403, 404) } },
        config: signedIn,
      },
      async (request) => respond(await products.setEnabled(requireAuth(request), request.params.id, isEnabled)),
    );
  }

  for (const [url, operationId, summary, archived] of [
    ["/products/:id/archive", "archiveProduct", "Archive a product: hidden from lists, cannot be bought, kept for the contracts that name it", true],
    ["/products/:id/unarchive", "unarchiveProduct", "Unarchive a product", false],
  ] as const) {
    app.post(
      url,
      {
        schema: { operationId, tags, summary, description: WRITERS, params: productParams, body: noBody, response: { 200: productSchema, ...errors(400, 401, 403, 404) } },
        config: signedIn,
      },
      async (request) => respond(await products.setArchived(requireAuth(request), request.params.id, archived)),
    );
  }

  // ── prices ──────────────────────────────────────────────────────────────
  app.get(
    "/products/:id/prices",
    {
      schema: {
        operationId: "listProductPrices",
        tags,
        summary: "A product's prices: base price, seasonal prices and the price in force",
        params: productParams,
        querystring: atQuery,
        response: { 200: productPricesSchema, ...errors(400, 401, 404) },
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

  // ── images ──────────────────────────────────────────────────────────────
  app.put(
    "/products/:id/images",
    {
      schema: {
        operationId: "createProductImageUpload",
        tags,
        summary: "Get a pre-signed URL to upload the product's image (valid 60 s)",
        description:
          `${WRITERS} PUT the image's bytes to \`url\` with \`headers\` before \`expiresAt\`. With S3 storage, then call \`confirm\`: the image is set once the object is there. ` +
          "With local storage the upload itself sets the image (confirm is harmless).",
        params: productParams,
        body: imageUploadBody,
        response: { 200: imageUploadSchema, ...errors(400, 401, 403, 404) },
      },
      config: signedIn,
    },
    async (request) => {
      const upload = await images.requestUpload(requireAuth(request), request.params.id, request.body.contentType);
      return { ...upload, expiresAt: toApiDate(upload.expiresAt) };
    },
  );

  app.post(
    "/products/:id/images/confirm",
    {
      schema: {
        operationId: "confirmProductImageUpload",
        tags,
        summary: "Set the product's image from a finished upload",
        description: `${WRITERS} 409 while nothing is at \`key\` yet; 413 or 415 (and the object is deleted) when it is too large or not the image type it was signed for.`,
        params: productParams,
        body: confirmImageBody,
        response: { 200: productSchema, ...errors(400, 401, 403, 404, 409, 413, 415) },
      },
      config: signedIn,
    },
    async (request) => respond(await images.confirm(requireAuth(request), request.params.id, request.body.key)),
  );
};
