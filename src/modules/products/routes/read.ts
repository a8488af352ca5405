import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import type { FastifyReply } from "fastify";
import type { PageMeta } from "../../../lib/pagination.js";
import {
  categoriesSchema,
  createProductBody,
  listProductsFieldsQuery,
  productListSchema,
  productParams,
  productSchema,
  productSlugParams,
  retrieveProductQuery,
  userProductsParams,
} from "../products.schemas.js";
import { toProductResponse, type ProductView } from "../products.service.js";
import { pickFields } from "../products.view.js";
import { SEARCH_WINDOW } from "../search-words.js";
import { tags, signedIn, type ProductsApp, type ProductsRoutesDeps } from "./shared.js";

const SPARSE = "`fields=name,price` answers each product with only those fields and its `id` (an unknown field: 400 naming it).";

/** Creating and reading products: create, the catalogue, a seller's products, the categories, one product. */
export function readRoutes(app: ProductsApp, { products }: ProductsRoutesDeps): void {
  const respond = (p: ProductView, at?: Date) => toProductResponse(p, at ?? products.now());
  /**
   * With `fields=`, the answer is the product cut down to those fields (and `id`): it no longer
   * matches the full Product schema, so it is serialized as it is rather than checked against it.
   */
  const sparse = <T>(reply: FastifyReply, fields: string[] | undefined, body: T): T => {
    if (fields) reply.serializer(JSON.stringify);
    return body;
  };
  const page = (result: { data: ProductView[]; meta: PageMeta }, query: { at?: Date; fields?: string[] }) => {
    const at = query.at ?? products.now();
    return { data: result.data.map((p) => pickFields(respond(p, at), query.fields)), meta: result.meta };
  };
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
          "A suspended seller lists nothing new: 409 `seller_suspended`. " +
          "The listing is `published` at once, unless the platform requires review (`requireListingReview`: then `pending`, with `product.submitted`) or `draft` is sent.",
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
          "Top-level products (each with its variants); `filter[parent_product_id]` lists one product's variants instead. Archived products are left out unless `filter[archived]=true` (only them) or `all` (both). " +
          "Published listings and the caller's own in any review state, unless `filter[adminStatus]` names states: then the key, owners and admins see every listing in them, anyone else only their own (and published ones). " +
          "The price range and `sort=price` use the base `price`. Members-only products are left out for callers who may not read them (docs/api/subscriptions.md, Access). " +
          "`search` is full-text with typo correction, sorted by relevance; `filter[near]` and `filter[radius_km]` keep the listings within a radius (`sort=distance`: nearest first); " +
          "`facets` adds counts of all the matching listings to `meta.facets` (docs/api/search.md). " +
          `A search considers the newest ${SEARCH_WINDOW} matching listings: when more match, \`meta.total_is_lower_bound\` is true and the total, pages and facets are theirs (docs/api/search.md, Limits). ` +
          "For members, listings whose `publishAt` is to come are left out, and `visibility` decides where one shows: lists without `search` show `both` and `catalog`, lists with it `both` and `search` (their own listings always; editors and up see every one). " +
          SPARSE,
        querystring: listProductsFieldsQuery,
        response: { 200: productListSchema, ...errors(400, 401) },
      },
      config: signedIn,
    },
    async (request, reply) => sparse(reply, request.query.fields, page(await products.list(requireAuth(request), request.query), request.query)),
  );

  app.get(
    "/products/user/:user_id",
    {
      schema: {
        operationId: "listUserProducts",
        tags,
        summary: "List the products a user sells",
        description: `Takes the same query as \`GET /products\`. ${SPARSE}`,
        params: userProductsParams,
        querystring: listProductsFieldsQuery,
        response: { 200: productListSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request, reply) => sparse(reply, request.query.fields, page(await products.listForSeller(requireAuth(request), request.params.user_id, request.query), request.query)),
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
        description:
          "A listing that is not published (`adminStatus`) is seen only by its seller, the key, owners and admins: 404 for anyone else. " +
          "402 `subscription_required` for a members-only product (or a variant of one) the caller may not read (docs/api/subscriptions.md, Access). " +
          "Before its `publishAt` only its seller and editors and up see it (404 for others); its `visibility` does not matter here. " +
          SPARSE,
        params: productParams,
        querystring: retrieveProductQuery,
        response: { 200: productSchema, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request, reply) =>
      sparse(reply, request.query.fields, pickFields(respond(await products.retrieve(requireAuth(request), request.params.id), request.query.at), request.query.fields)),
  );

  app.get(
    "/products/slug/:slug",
    {
      schema: {
        operationId: "retrieveProductBySlug",
        tags,
        summary: "Retrieve a product by its slug",
        description: `As \`GET /products/:id\` (who sees what, \`fields\`, \`at\`), by the product's \`slug\`. ${SPARSE}`,
        params: productSlugParams,
        querystring: retrieveProductQuery,
        response: { 200: productSchema, ...errors(400, 401, 402, 404) },
      },
      config: signedIn,
    },
    async (request, reply) =>
      sparse(reply, request.query.fields, pickFields(respond(await products.retrieveBySlug(requireAuth(request), request.params.slug), request.query.at), request.query.fields)),
  );
}
