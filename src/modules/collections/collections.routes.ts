import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { requireAuth } from "../../plugins/auth.js";
import type { FastifyReply } from "fastify";
import { pickFields, productListSchema, toProductResponse, type ProductsService } from "../products/index.js";
import {
  collectionListSchema,
  collectionParams,
  collectionProductsQuery,
  collectionSchema,
  createCollectionBody,
  listCollectionsQuery,
  retrieveCollectionQuery,
  updateCollectionBody,
} from "./collections.schemas.js";
import { type CollectionsService, toCollectionResponse } from "./collections.service.js";

const tags = ["Collections"];
/** Collections are the platform's merchandising: its key, an owner or an admin change them; anyone signed in reads them. */
const admin = { auth: { role: "admin" } } as const;
const signedIn = { auth: {} } as const;
const WRITERS = "The platform key, an owner or an admin.";
const SPARSE = "`fields=` answers each object with only those fields and its `id` (an unknown field: 400 naming it).";

/**
 * With `fields=`, an answer is cut down to those fields (and `id`): it no longer matches the full
 * schema, so it is serialized as it is rather than checked against it (as the products' lists do).
 */
function sparse<T>(reply: FastifyReply, fields: string[] | undefined, body: T): T {
  if (fields) reply.serializer(JSON.stringify);
  return body;
}

export const collectionsRoutes: FastifyPluginAsyncZod<{ collections: CollectionsService; products: Pick<ProductsService, "now"> }> = async (app, { collections, products }) => {
  app.get(
    "/collections",
    {
      schema: {
        operationId: "listCollections",
        tags,
        summary: "List the platform's collections",
        description: SPARSE,
        querystring: listCollectionsQuery,
        response: { 200: collectionListSchema, ...errors(400, 401) },
      },
      config: signedIn,
    },
    async (request, reply) => {
      const page = await collections.list(requireAuth(request), request.query);
      const fields = request.query.fields;
      return sparse(reply, fields, { data: page.data.map((c) => pickFields(toCollectionResponse(c), fields)), meta: page.meta });
    },
  );

  app.post(
    "/collections",
    {
      schema: {
        operationId: "createCollection",
        tags,
        summary: "Create a collection",
        description:
          `${WRITERS} \`type: curated\` (the default) holds \`product_ids\` in order (at most 500, each a product of the platform); ` +
          "`type: rules` holds `rules`, and its products are whatever the catalogue matches when it is read. The handle (made from the title when not sent) is unique on the platform: 409 `handle_taken`.",
        body: createCollectionBody,
        response: { 201: collectionSchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: admin,
    },
    async (request, reply) => reply.code(201).send(toCollectionResponse(await collections.create(requireAuth(request), request.body))),
  );

  app.get(
    "/collections/:id",
    {
      schema: {
        operationId: "retrieveCollection",
        tags,
        summary: "Retrieve a collection (by id or handle)",
        description: SPARSE,
        params: collectionParams,
        querystring: retrieveCollectionQuery,
        response: { 200: collectionSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request, reply) =>
      sparse(reply, request.query.fields, pickFields(toCollectionResponse(await collections.retrieve(requireAuth(request), request.params.id)), request.query.fields)),
  );

  for (const [method, operationId] of [
    ["PUT", "updateCollection"],
    ["PATCH", "patchCollection"],
  ] as const) {
    app.route({
      method,
      url: "/collections/:id",
      schema: {
        operationId,
        tags,
        summary: "Change a collection (only the fields sent)",
        description: `${WRITERS} \`product_ids\` replaces a curated collection's list; \`rules\` replaces a rule-based one's rules. Its type does not change.`,
        params: collectionParams,
        body: updateCollectionBody,
        response: { 200: collectionSchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: admin,
      handler: async (request) => toCollectionResponse(await collections.update(requireAuth(request), request.params.id, request.body)),
    });
  }

  app.delete(
    "/collections/:id",
    {
      schema: {
        operationId: "deleteCollection",
        tags,
        summary: "Delete a collection (its products stay)",
        description: `${WRITERS} Answers the collection as it was.`,
        params: collectionParams,
        body: noBody,
        response: { 200: collectionSchema, ...errors(400, 401, 403, 404) },
      },
      config: admin,
    },
    async (request) => toCollectionResponse(await collections.remove(requireAuth(request), request.params.id)),
  );

  app.get(
    "/collections/:id/products",
    {
      schema: {
        operationId: "listCollectionProducts",
        tags,
        summary: "List the products in a collection",
        description:
          "As `GET /products` shows them to the caller (archived listings left out, and unpublished ones other than the caller's own): a curated collection's in its order, a rule-based one's as the catalogue matches its rules now, sorted by `sort`. " +
          `A deleted product leaves every collection with it. ${SPARSE}`,
        params: collectionParams,
        querystring: collectionProductsQuery,
        response: { 200: productListSchema, ...errors(400, 401, 404) },
      },
      config: signedIn,
    },
    async (request, reply) => {
      const page = await collections.products(requireAuth(request), request.params.id, request.query);
      const at = request.query.at ?? products.now();
      const fields = request.query.fields;
      return sparse(reply, fields, { data: page.data.map((p) => pickFields(toProductResponse(p, at), fields)), meta: page.meta });
    },
  );
};
