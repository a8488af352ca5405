import { z } from "zod";
import { listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, httpUrl, idParam, modeSchema } from "../../lib/schemas.js";

/** A slug: lower-case letters and digits in groups joined by single hyphens (`garden-tools`). */
export const slugSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lower-case letters and digits, in groups joined by single hyphens (garden-tools)");

const categoryFields = {
  id: z.string(),
  platform_id: z.string(),
  mode: modeSchema,
  parent_id: z.string().nullable().describe("The parent category; null at the top of the tree"),
  slug: z.string().describe("Unique on the platform"),
  name: z.string(),
  description: z.string().nullable(),
  position: z.number().int().describe("Order among its siblings (then name)"),
  image: z.string().nullable(),
  created: apiDate,
  updated: apiDate,
};

export const categorySchema = z.object(categoryFields).meta({ id: "Category" });
export const categoryListSchema = listOf(categorySchema);

export interface CategoryNode extends z.infer<typeof categorySchema> {
  children: CategoryNode[];
}

export const categoryNodeSchema: z.ZodType<CategoryNode> = z
  .object({
    ...categoryFields,
    get children() {
      return z.array(categoryNodeSchema).describe("Its subcategories, in order");
    },
  })
  .meta({ id: "CategoryNode" });

export const categoryTreeSchema = z.object({ data: z.array(categoryNodeSchema).describe("The top-level categories, each with its subcategories") }).meta({ id: "CategoryTree" });

const writable = {
  name: z.string().trim().min(1).max(100),
  slug: slugSchema.optional().describe("Defaults to one made from the name"),
  description: z.string().max(5000).nullable().optional(),
  position: z.number().int("must be an integer").min(0).max(1_000_000).optional().describe("Order among its siblings; default 0"),
  image: httpUrl.nullable().optional(),
  parent_id: z.string().min(1).max(100).nullable().optional().describe("The parent category; null or absent for a top-level one"),
};

export const createCategoryBody = z.object(writable).strict();
export const updateCategoryBody = z.object({ ...writable, name: writable.name.optional() }).strict();
export type CreateCategoryInput = z.infer<typeof createCategoryBody>;
export type UpdateCategoryInput = z.infer<typeof updateCategoryBody>;

export const categoryParams = z.object({ id: idParam("category") }).strict();

export const listCategoriesQuery = z
  .object({
    ...pageParams,
    search: z.string().trim().min(1).max(100).optional().describe("Matches name or slug (case-insensitive, substring)"),
    sort: sortParam(["position", "name", "created"], "position"),
    "filter[parent_id]": z.string().min(1).max(100).optional().describe("Only the direct subcategories of this category; `null` for the top-level ones"),
    "filter[slug]": z.string().min(1).max(100).optional(),
  })
  .strict();
export type ListCategoriesQuery = z.infer<typeof listCategoriesQuery>;
