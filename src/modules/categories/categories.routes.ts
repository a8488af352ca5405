import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errors } from "../../lib/route.js";
import { noBody } from "../../lib/schemas.js";
import { requireAuth } from "../../plugins/auth.js";
import { categoryListSchema, categoryParams, categorySchema, categoryTreeSchema, createCategoryBody, listCategoriesQuery, updateCategoryBody } from "./categories.schemas.js";
import { type CategoriesService, toCategoryResponse } from "./categories.service.js";

const tags = ["Categories"];
/** The tree is the platform's: its key, an owner or an admin change it; anyone signed in reads it. */
const admin = { auth: { role: "admin" } } as const;
const signedIn = { auth: {} } as const;
const WRITERS = "The platform key, an owner or an admin.";

export const categoriesRoutes: FastifyPluginAsyncZod<{ categories: CategoriesService }> = async (app, { categories }) => {
  app.get(
    "/categories",
    {
      schema: {
        operationId: "listCategories",
        tags,
        summary: "List the platform's categories (flat, paged)",
        description: "Every category of the tree; `filter[parent_id]` lists one category's direct subcategories (`null`: the top-level ones).",
        querystring: listCategoriesQuery,
        response: { 200: categoryListSchema, ...errors(400, 401) },
      },
      config: signedIn,
    },
    async (request) => {
      const page = await categories.list(requireAuth(request), request.query);
      return { data: page.data.map(toCategoryResponse), meta: page.meta };
    },
  );

  app.get(
    "/categories/tree",
    {
      schema: {
        operationId: "categoryTree",
        tags,
        summary: "The whole category tree, nested",
        description: "Top-level categories, each with its `children`, every level ordered by `position`, then name.",
        response: { 200: categoryTreeSchema, ...errors(401) },
      },
      config: signedIn,
    },
    async (request) => ({ data: await categories.tree(requireAuth(request)) }),
  );

  app.post(
    "/categories",
    {
      schema: {
        operationId: "createCategory",
        tags,
        summary: "Create a category",
        description: `${WRITERS} Under \`parent_id\` when given. The slug (made from the name when not sent) is unique on the platform: 409 \`slug_taken\`.`,
        body: createCategoryBody,
        response: { 201: categorySchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: admin,
    },
    async (request, reply) => reply.code(201).send(toCategoryResponse(await categories.create(requireAuth(request), request.body))),
  );

  app.get(
    "/categories/:id",
    {
      schema: { operationId: "retrieveCategory", tags, summary: "Retrieve a category", params: categoryParams, response: { 200: categorySchema, ...errors(400, 401, 404) } },
      config: signedIn,
    },
    async (request) => toCategoryResponse(await categories.retrieve(requireAuth(request), request.params.id)),
  );

  for (const [method, operationId] of [
    ["PUT", "updateCategory"],
    ["PATCH", "patchCategory"],
  ] as const) {
    app.route({
      method,
      url: "/categories/:id",
      schema: {
        operationId,
        tags,
        summary: "Change a category, or move it (only the fields sent)",
        description:
          `${WRITERS} A new \`parent_id\` moves the category with its subcategories (\`null\`: to the top). ` +
          "Under itself or one of its own subcategories: 422 `category_cycle`; deeper than 10 levels: 422 `category_too_deep`. " +
          "A new name also becomes the `category` text of its products.",
        params: categoryParams,
        body: updateCategoryBody,
        response: { 200: categorySchema, ...errors(400, 401, 403, 404, 409, 422) },
      },
      config: admin,
      handler: async (request) => toCategoryResponse(await categories.update(requireAuth(request), request.params.id, request.body)),
    });
  }

  app.delete(
    "/categories/:id",
    {
      schema: {
        operationId: "deleteCategory",
        tags,
        summary: "Delete a category",
        description: `${WRITERS} Refused while it has subcategories (409 \`category_has_children\`) or products (409 \`category_in_use\`): move those first. Answers the category as it was.`,
        params: categoryParams,
        body: noBody,
        response: { 200: categorySchema, ...errors(400, 401, 403, 404, 409) },
      },
      config: admin,
    },
    async (request) => toCategoryResponse(await categories.remove(requireAuth(request), request.params.id)),
  );
};
