import { z } from "zod";
import { listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, instant, MAX_INT4, modeSchema } from "../../lib/schemas.js";
import { productFieldsParam, sparseFieldsParam } from "../products/index.js";

export const MAX_COLLECTION_PRODUCTS = 500;
const MAX_METADATA_BYTES = 8192;

const handleSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lower-case letters and digits, in groups joined by single hyphens (spring-sale)");

const cents = z.number().int("must be an integer number of cents").min(0).max(MAX_INT4);

/** What a product must match to be in a rule-based collection: every rule given (and, within `tags`, any tag). */
export const collectionRulesSchema = z
  .object({
    category_id: z.string().min(1).max(100).optional().describe("In this category of the tree or one under it"),
    tags: z.array(z.string().trim().min(1).max(50)).min(1).max(50).optional().describe("With any of these tags"),
    price_gte: cents.optional().describe("Base price at least this many cents"),
    price_lte: cents.optional().describe("Base price at most this many cents"),
    type: z.enum(["product", "service"]).optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (Object.values(r).every((v) => v === undefined)) ctx.addIssue({ code: "custom", message: "must hold at least one rule" });
    if (typeof r.price_gte === "number" && typeof r.price_lte === "number" && r.price_gte > r.price_lte) {
      ctx.addIssue({ code: "custom", path: ["price_lte"], message: "must not be below price_gte" });
    }
  })
  .meta({ id: "CollectionRules" });
export type CollectionRules = z.infer<typeof collectionRulesSchema>;

const metadataSchema = z
  .record(z.string().max(100), z.unknown())
  .refine((m) => JSON.stringify(m).length <= MAX_METADATA_BYTES, `must be at most ${MAX_METADATA_BYTES} bytes of JSON`)
  .describe("Your own data, kept as sent");

export const collectionSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    handle: z.string().describe("Unique on the platform; every `/collections/:id` route also takes it in place of the id"),
    title: z.string(),
    description: z.string().nullable(),
    type: z.enum(["curated", "rules"]),
    product_ids: z.array(z.string()).describe("A curated collection's products, in order (empty for a rule-based one)"),
    rules: collectionRulesSchema.nullable().describe("A rule-based collection's rules (null for a curated one)"),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Collection" });
export const collectionListSchema = listOf(collectionSchema);

/** `fields=` of collections: every field of the collection object. */
const collectionFields = sparseFieldsParam(Object.keys(collectionSchema.shape), "collection", "handle,title");
export const retrieveCollectionQuery = z.object({ fields: collectionFields }).strict();

const productIds = z
  .array(z.string().min(1).max(100))
  .max(MAX_COLLECTION_PRODUCTS)
  .refine((ids) => new Set(ids).size === ids.length, "must not repeat a product")
  .describe("A curated collection's products, in order (replaces the list)");

export const createCollectionBody = z
  .object({
    handle: handleSchema.optional().describe("Defaults to one made from the title"),
    title: z.string().trim().min(1).max(200),
    description: z.string().max(5000).nullable().optional(),
    type: z.enum(["curated", "rules"]).default("curated"),
    product_ids: productIds.optional(),
    rules: collectionRulesSchema.optional(),
    metadata: metadataSchema.nullable().optional(),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.type === "rules" && b.rules === undefined) ctx.addIssue({ code: "custom", path: ["rules"], message: "is required for a rule-based collection" });
    if (b.type === "rules" && b.product_ids !== undefined) ctx.addIssue({ code: "custom", path: ["product_ids"], message: "is for curated collections only" });
    if (b.type === "curated" && b.rules !== undefined) ctx.addIssue({ code: "custom", path: ["rules"], message: "is for rule-based collections only" });
  });

export const updateCollectionBody = z
  .object({
    handle: handleSchema.optional(),
    title: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5000).nullable().optional(),
    product_ids: productIds.optional().describe("Curated collections: the new list, in order"),
    rules: collectionRulesSchema.optional().describe("Rule-based collections: the new rules"),
    metadata: metadataSchema.nullable().optional(),
  })
  .strict();

export type CreateCollectionInput = z.infer<typeof createCollectionBody>;
export type UpdateCollectionInput = z.infer<typeof updateCollectionBody>;

export const collectionParams = z.object({ id: z.string().min(1).max(100).describe("The collection's id or handle") }).strict();

export const listCollectionsQuery = z
  .object({
    ...pageParams,
    sort: sortParam(["created", "title"], "-created"),
    "filter[type]": z.enum(["curated", "rules"]).optional(),
    fields: collectionFields,
  })
  .strict();
export type ListCollectionsQuery = z.infer<typeof listCollectionsQuery>;

export const collectionProductsQuery = z
  .object({
    ...pageParams,
    sort: sortParam(["price", "created", "name"], "-created").describe("Rule-based collections only; a curated collection keeps its own order"),
    at: instant.optional().describe("Compute `effectivePrice` at this instant instead of now"),
    fields: productFieldsParam,
  })
  .strict();
