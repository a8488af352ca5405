import { z } from "zod";
import { csv, listOf, pageParams } from "../../lib/pagination.js";
import { metafieldListSchema, metafieldsInput, withMetafieldFilters, METAFIELD_FILTER_DOC } from "../metafields/index.js";
import { apiDate, currencyCode, httpUrl, idParam, instant, MAX_INT4, modeSchema, money } from "../../lib/schemas.js";
import { SEARCH_LANGUAGES, SEARCH_WINDOW } from "./search-words.js";

export { SEARCH_LANGUAGES };

export const CYCLES = ["hourly", "daily", "weekly", "biweekly", "monthly", "yearly"] as const;
export const PRODUCT_TYPES = ["product", "service"] as const;
export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/gif"] as const;
export const ADMIN_STATUSES = ["draft", "pending", "published", "rejected"] as const;
/**
 * What `facets=` may ask for by name (docs/api/search.md): the catalogue's own, then the listing
 * attributes, named as the product object names them; and any `metafields.<namespace>.<key>`.
 */
export const FACETS = [
  "category",
  "tags",
  "type",
  "price",
  "user_id",
  "currency",
  "language",
  "membersOnly",
  "adminStatus",
  "visibility",
  "onHomepage",
  "minQuantity",
  "weight",
] as const;
export type NamedFacet = (typeof FACETS)[number];
/** `facets=metafields.<namespace>.<key>`: counts of a metafield's values. */
export const METAFIELD_FACET = /^metafields\.([A-Za-z0-9_-]{1,64})\.([A-Za-z0-9_-]{1,64})$/;
/** Metafield facets one list asks for at most: each is a join of the matches with the metafields. */
export const MAX_METAFIELD_FACETS = 5;
/** Values a value facet (tags, sellers, a metafield's…) lists at most, the most frequent. */
export const FACET_VALUES = 50;
/** Price bands of the `price` facet when `price_bands` is not sent, in cents: under $10, $10–50, $50–100, $100–500, $500 and up. */
export const DEFAULT_PRICE_BANDS = [1000, 5000, 10000, 50000] as const;
/** Weight bands of the `weight` facet when `weight_bands` is not sent, in grams: under 500 g, 0.5–1 kg, 1–5 kg, 5–20 kg, 20 kg and up. */
export const DEFAULT_WEIGHT_BANDS = [500, 1000, 5000, 20000] as const;
export const VISIBILITIES = ["both", "catalog", "search", "none"] as const;
/** Images one product's gallery holds at most. */
export const MAX_GALLERY = 20;

const cycleSchema = z.enum(CYCLES);
const productTypeSchema = z.enum(PRODUCT_TYPES);
/** A slug: lower-case words of letters and digits joined by single hyphens. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** Unit price in cents, stored in a PostgreSQL integer. */
const unitPrice = money.max(MAX_INT4);

export const seasonalPriceSchema = z
  .object({
    id: z.string(),
    seasonStart: apiDate.describe("First instant of the season (inclusive), UTC"),
    seasonEnd: apiDate.describe("End of the season (exclusive), UTC"),
    price: z.number().int().describe("Unit price in cents during the season"),
  })
  .meta({ id: "SeasonalPrice" });

export const galleryImageSchema = z.object({ id: z.string().describe("The media id"), url: z.string() }).meta({ id: "GalleryImage" });

const productFields = {
  id: z.string(),
  platform_id: z.string(),
  mode: modeSchema,
  user_id: z.string().describe("The seller"),
  parent_product_id: z.string().nullable().describe("Set on a variant: its parent product"),
  type: productTypeSchema,
  name: z.string(),
  description: z.string().nullable(),
  image: z.string().nullable(),
  quantity: z.number().int().nullable().describe("Units in stock; null means unlimited"),
  isAvailableInStock: z.boolean().describe("Enabled, not archived, and quantity null or above 0"),
  isEnabled: z.boolean(),
  archived: apiDate.nullable().describe("When the product was archived; archived products are hidden from lists and cannot be bought"),
  category: z.string().nullable(),
  subcategory: z.string().nullable(),
  category_id: z.string().nullable().describe("The category of the platform's tree (`/categories`); `category` then holds its name"),
  tags: z.array(z.string()),
  price: z.number().int().describe("Unit price in cents"),
  currency: z.string(),
  cycle: cycleSchema.nullable().describe("Billing cycle of a recurring product"),
  useSeasonalPrices: z.boolean(),
  membersOnly: z.boolean().describe("Read and bought only by members with a live subscription to the platform's plan (and its seller, editors and up)"),
  language: z.enum(SEARCH_LANGUAGES).describe("Text search configuration the listing's words are stemmed with; `simple` stems none"),
  latitude: z.number().nullable().describe("Where the listing is: WGS 84 latitude in degrees (null: nowhere in particular)"),
  longitude: z.number().nullable().describe("WGS 84 longitude in degrees; set together with `latitude`"),
  effectivePrice: z.number().int().describe("The unit price in force now (or at `at`): the seasonal price when seasonal prices are used and one applies, else `price`"),
  seasonalPrices: z.array(seasonalPriceSchema),
  adminStatus: z
    .enum(ADMIN_STATUSES)
    .describe(
      "Review state: `published` listings are seen and bought by everyone; a `draft`, one `pending` review or one `rejected` only by its seller and the admins, owners and key",
    ),
  rejectionReason: z.string().nullable().describe("Why a reviewer rejected the listing (while `rejected`)"),
  slug: z.string().describe("URL name, unique per platform and mode (`GET /products/slug/:slug`); made from the name when not given"),
  external_id: z.string().nullable().describe("The platform's own reference, unique per platform and mode"),
  sku: z.string().nullable().describe("Stock-keeping unit (mostly on variants), unique per platform and mode"),
  gallery: z.array(galleryImageSchema).describe("Ordered images, each an upload of the platform's (`POST /utils/media/upload`)"),
  weight: z.number().int().nullable().describe("Shipping weight in grams"),
  minQuantity: z.number().int().describe("Fewest units one cart line or contract item may hold (422 `quantity_below_minimum`)"),
  visibility: z
    .enum(VISIBILITIES)
    .describe(
      "Where members find the listing: `both` (lists with and without `search`), `catalog` (only lists without `search`), `search` (only lists with it), `none` (no list: read by id or slug only). Its seller and editors and up see it everywhere",
    ),
  publishAt: apiDate.nullable().describe("Before this instant only the seller and editors and up see the listing (404 for others); null: at once"),
  onHomepage: z.boolean().describe("Picked by the platform's editors for its home page (`filter[on_homepage]`)"),
  created: apiDate,
  updated: apiDate,
};

/** The fields `fields=` may name: every field of the product object. */
export const PRODUCT_FIELDS = [...Object.keys(productFields), "variants", "metafields", "add_ons"] as const;

export const variantSchema = z.object(productFields).meta({ id: "ProductVariant" });

export const addOnSchema = z
  .object({
    id: z.string(),
    product_id: z.string().describe("The listing offering it"),
    title: z.string(),
    description: z.string().nullable(),
    price: z.number().int().describe("In cents, for each unit of the line it is chosen on"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "AddOn" });

export const addOnListSchema = z.array(addOnSchema);

export const createAddOnBody = z
  .object({
    title: z.string().trim().min(1).max(200),
    price: unitPrice.describe("In cents, for each unit of the line it is chosen on"),
    description: z.string().max(2000).nullable().optional(),
  })
  .strict()
  .meta({ examples: [{ title: "Extended warranty", price: 1250, description: "Two more years of cover" }] });

export const updateAddOnBody = z
  .object({ title: createAddOnBody.shape.title.optional(), price: createAddOnBody.shape.price.optional(), description: createAddOnBody.shape.description })
  .strict()
  .meta({ examples: [{ price: 1500 }] });

export type CreateAddOnInput = z.infer<typeof createAddOnBody>;
export type UpdateAddOnInput = z.infer<typeof updateAddOnBody>;

export const addOnParams = z.object({ id: idParam("add-on") }).strict();
export const productAddOnParams = z.object({ id: idParam("product"), addon_id: idParam("add-on") }).strict();
export const addOnCountSchema = z.object({ count: z.number().int() }).meta({ id: "AddOnCount" });

/*
 * The seed's shapes (the admin API the add-ons are modelled on), answered under `/listings`: an
 * add-on names its listing `listing_id` and comes wrapped in `add_on` (a list in `add_ons`), a
 * count is a string, and a change or a deletion answers `{ success, message }`. Prices stay integer
 * cents, as everywhere in this API.
 */
const EXAMPLE_ADD_ON = {
  id: "addon_0192f1a0c3d87b4e9a1f2b3c4d5e6f70",
  listing_id: "prod_0192f1a0c3d87b4e9a1f2b3c4d5e6f71",
  title: "Extended warranty",
  description: "Two more years of cover",
  price: 1250,
  created: "2026-12-05T02:00:00Z",
  updated: "2026-12-05T02:00:00Z",
};
export const listingAddOnSchema = z
  .object({
    id: z.string(),
    listing_id: z.string().describe("The listing offering it (a product id)"),
    title: z.string(),
    description: z.string().nullable(),
    price: z.number().int().describe("In cents, for each unit of the line it is chosen on"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "ListingAddOn" });
export const listingAddOnEnvelope = z.object({ add_on: listingAddOnSchema }).meta({ id: "ListingAddOnEnvelope", examples: [{ add_on: EXAMPLE_ADD_ON }] });
export const listingAddOnsEnvelope = z
  .object({ add_ons: z.array(listingAddOnSchema).describe("Oldest first") })
  .meta({ id: "ListingAddOnsEnvelope", examples: [{ add_ons: [EXAMPLE_ADD_ON] }] });
export const listingAddOnCountSchema = z
  .object({ count: z.string().regex(/^\d+$/).describe("The number of add-ons, as a string (as the seed answers it)") })
  .meta({ id: "ListingAddOnCount", examples: [{ count: "4" }] });
export const listingAddOnDoneSchema = z.object({ success: z.literal(true), message: z.string() }).meta({
  id: "ListingAddOnDone",
  examples: [
    { success: true, message: "Add-on deleted" },
    { success: true, message: "Add-on has been updated" },
  ],
});

export const productSchema = z
  .object({
    ...productFields,
    variants: z.array(variantSchema).describe("A parent's variants that are not archived (one level: a variant has none)"),
    metafields: metafieldListSchema,
    add_ons: z.array(addOnSchema).describe("Optional extras a buyer may choose with the product (docs/api/add-ons.md); a variant is sold with its parent's too"),
  })
  .meta({ id: "Product" });

const facetCount = z.number().int().describe("Matching listings");
const valueFacet = <T extends z.ZodType>(value: T, what: string) =>
  z
    .array(z.object({ value, count: facetCount }))
    .optional()
    .describe(`${what}, the ${FACET_VALUES} most frequent first`);
const bandFacet = (unit: string, what: string) =>
  z
    .array(
      z.object({
        from: z.number().int().nullable().describe(`Inclusive, ${unit}; null: no lower bound`),
        to: z.number().int().nullable().describe("Exclusive; null: no upper bound"),
        count: facetCount,
      }),
    )
    .optional()
    .describe(what);
export const facetsSchema = z
  .object({
    category: z
      .array(
        z.object({
          id: z.string().nullable().describe("The tree's category; null for a free-text `category` of listings linked to none"),
          name: z.string(),
          parent_id: z.string().nullable(),
          count: facetCount.describe("Matching listings in it or in any category under it"),
        }),
      )
      .optional(),
    tags: valueFacet(z.string(), "Tags"),
    type: z.array(z.object({ value: z.enum(PRODUCT_TYPES), count: facetCount })).optional(),
    price: bandFacet("cents", "Every band of `price_bands`, empty ones too, on the base price"),
    user_id: valueFacet(z.string(), "Sellers"),
    currency: valueFacet(z.string(), "Currencies"),
    language: valueFacet(z.enum(SEARCH_LANGUAGES), "Text search configurations"),
    membersOnly: valueFacet(z.boolean(), "Members-only or not"),
    adminStatus: valueFacet(z.enum(ADMIN_STATUSES), "Review states"),
    visibility: valueFacet(z.enum(VISIBILITIES), "Where members find the listings"),
    onHomepage: valueFacet(z.boolean(), "Picked for the home page or not"),
    minQuantity: valueFacet(z.number().int(), "Minimum quantities"),
    weight: bandFacet("grams", "Every band of `weight_bands`, empty ones too; listings without a weight are not counted"),
  })
  .catchall(
    z
      .array(z.object({ value: z.unknown().describe("A value of the metafield, as its type answers it"), count: facetCount }))
      .describe(`\`metafields.<namespace>.<key>\`: the metafield's values among the matching listings (those without it are not counted), the ${FACET_VALUES} most frequent first`),
  )
  .meta({ id: "ProductFacets" });

export const productListSchema = z.object({
  data: z.array(productSchema),
  meta: listOf(productSchema).shape.meta.extend({
    total_is_lower_bound: z
      .literal(true)
      .optional()
      .describe(`A search matched more listings than it considers (the newest ${SEARCH_WINDOW}): \`total\`, the pages and the facets are of those (docs/api/search.md, Limits)`),
    facets: facetsSchema
      .optional()
      .describe(`With \`facets\`: counts of all the matching listings (not just this page; of the newest ${SEARCH_WINDOW} with \`total_is_lower_bound\`)`),
  }),
});

const writableFields = {
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).nullable().optional(),
  image: httpUrl.nullable().optional(),
  quantity: z.number().int("must be an integer").min(0).max(MAX_INT4).nullable().optional().describe("Units in stock; null means unlimited"),
  isEnabled: z.boolean().optional(),
  category: z.string().trim().min(1).max(100).nullable().optional(),
  subcategory: z.string().trim().min(1).max(100).nullable().optional(),
  category_id: z
    .string()
    .min(1)
    .max(100)
    .nullable()
    .optional()
    .describe("A category of the platform's tree; sets `category` to its name. Sending only `category`, with another text, unlinks the product from it"),
  tags: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
  price: unitPrice.describe("Unit price in cents"),
  currency: currencyCode.optional().describe("Defaults to the platform's currency (the parent's, for a variant)"),
  type: productTypeSchema.optional(),
  cycle: cycleSchema.nullable().optional(),
  useSeasonalPrices: z.boolean().optional(),
  membersOnly: z
    .boolean()
    .optional()
    .describe("Only members with a live subscription to the platform's `subscriptionPlan` may read or buy it (a members-only parent gates its variants too)"),
  language: z.enum(SEARCH_LANGUAGES).optional().describe("Text search configuration for the listing's words (default `simple`: no stemming); `english` finds `chairs` for `chair`"),
  latitude: z.number().min(-90).max(90).nullable().optional().describe("Where the listing is, WGS 84 degrees; send with `longitude` (both null: no position)"),
  longitude: z.number().min(-180).max(180).nullable().optional().describe("WGS 84 degrees; send with `latitude`"),
  user_id: z.string().min(1).max(100).optional().describe("The seller. Required with a platform key alone; a member can only sell as themself"),
  parent_product_id: z.string().min(1).max(100).nullable().optional().describe("Makes this product a variant of another (one level)"),
  metafields: metafieldsInput.optional(),
  slug: z
    .string()
    .max(100)
    .regex(SLUG_PATTERN, "must be lower-case letters and digits in words joined by single hyphens, e.g. oak-chair")
    .meta({ example: "beeswax-candle" })
    .optional()
    .describe("URL name, unique per platform and mode (409 `slug_taken`); made from the name when not given"),
  external_id: z.string().trim().min(1).max(255).nullable().optional().describe("The platform's own reference, unique per platform and mode (409 `external_id_taken`)"),
  sku: z.string().trim().min(1).max(100).nullable().optional().describe("Stock-keeping unit, unique per platform and mode (409 `sku_taken`)"),
  gallery: z
    .array(z.string().min(1).max(100))
    .max(MAX_GALLERY)
    .refine((ids) => new Set(ids).size === ids.length, "names each media once")
    .meta({ example: ["media_0192f1a0c3d87b4e9a1f2b3c4d5e6f70"] })
    .optional()
    .describe(`Media ids of the platform's uploads (\`POST /utils/media/upload\`), in order; at most ${MAX_GALLERY}, each once. Replaces the whole gallery`),
  weight: z.number().int("must be a whole number of grams").min(0).max(MAX_INT4).nullable().optional().describe("Shipping weight in grams"),
  minQuantity: z.number().int("must be an integer").min(1).max(10_000).optional().describe("Fewest units one cart line or contract item may hold; default 1"),
  visibility: z.enum(VISIBILITIES).optional().describe("Where members find the listing; default `both`"),
  publishAt: instant.nullable().optional().describe("Hidden from all but the seller and editors and up until then; null: at once"),
  onHomepage: z.boolean().optional().describe("Editors and up, and the key, only (403 `insufficient_role`)"),
};

/** A position is both coordinates or neither: half of one is refused, naming the missing half. */
function positionTogether(b: { latitude?: number | null; longitude?: number | null }, ctx: z.RefinementCtx): void {
  const lat = b.latitude === undefined ? undefined : b.latitude === null ? null : "set";
  const lng = b.longitude === undefined ? undefined : b.longitude === null ? null : "set";
  if (lat === lng) return;
  const missing = lat === "set" ? "longitude" : lng === "set" ? "latitude" : lat === undefined ? "latitude" : "longitude";
  ctx.addIssue({ code: "custom", path: [missing], message: "latitude and longitude are sent together (both numbers, or both null)" });
}

export const createProductBody = z
  .object({
    ...writableFields,
    draft: z.boolean().optional().describe("true: keep the listing a `draft`, seen only by its seller and the reviewers, until it is submitted (`PUT /products/:id/submit`)"),
  })
  .strict()
  .superRefine(positionTogether);

export const updateProductBody = z
  .object({ ...writableFields, name: writableFields.name.optional(), price: writableFields.price.optional() })
  .strict()
  .superRefine(positionTogether);

export type CreateProductInput = z.infer<typeof createProductBody>;
export type UpdateProductInput = z.infer<typeof updateProductBody>;

export const productParams = z.object({ id: idParam("product") }).strict();
export const productSlugParams = z.object({ slug: z.string().min(1).max(100).describe("The product's slug").meta({ example: "beeswax-candle" }) }).strict();

/**
 * `fields=a,b`: only these fields of each object (of `names`), and its `id`; an unknown one is a 400
 * naming it. Products' lists and collections take it alike.
 */
export function sparseFieldsParam(names: readonly string[], what: string, example: string) {
  return z
    .string()
    .max(2000)
    .transform((value, ctx) => {
      const asked = [
        ...new Set(
          value
            .split(",")
            .map((v) => v.trim())
            .filter((v) => v.length > 0),
        ),
      ];
      const unknown = asked.find((n) => !names.includes(n));
      if (unknown !== undefined) {
        ctx.addIssue({ code: "custom", message: `unknown field \`${unknown.slice(0, 100)}\`; the ${what}'s fields are ${names.join(", ")}` });
        return z.NEVER;
      }
      if (asked.length === 0) {
        ctx.addIssue({ code: "custom", message: "must name at least one field" });
        return z.NEVER;
      }
      return asked;
    })
    .optional()
    .describe(`Comma-separated fields to answer (each ${what} then has only these and its \`id\`), e.g. \`fields=${example}\``);
}

/** `fields=` of products: every field of the product object. */
export const productFieldsParam = sparseFieldsParam(PRODUCT_FIELDS, "product", "name,price,slug");
const fieldsParam = productFieldsParam;
export const userProductsParams = z.object({ user_id: idParam("user") }).strict();
export const seasonalPriceParams = z.object({ id: idParam("product"), price_id: idParam("seasonal price") }).strict();

const bool = z.enum(["true", "false"]);

export const atQuery = z.object({ at: instant.optional().describe("Compute `effectivePrice` at this instant instead of now") }).strict();
export const retrieveProductQuery = z.object({ at: atQuery.shape.at, fields: fieldsParam }).strict();

const cents = z.coerce.number().int("must be an integer number of cents").min(0).max(MAX_INT4);

/** A band facet's bounds (`price_bands`, `weight_bands`): whole numbers, ascending (checked in listChecks). */
const bandsParam = (facet: "price" | "weight", unit: string, defaults: readonly number[]) =>
  csv(
    z
      .string()
      .regex(/^\d{1,10}$/, `must be a whole number of ${unit}`)
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_INT4)),
  )
    .optional()
    .describe(`Where the \`${facet}\` facet's bands start and end, in ${unit}, ascending (default ${defaults.join(",")})`);

const listShape = {
  ...pageParams,
  search: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe(
      "Full-text search of name, category, subcategory, tags and description (every word must match; misspelt words are corrected to the catalogue's closest words). Sorted by relevance unless `sort` says otherwise (docs/api/search.md)",
    ),
  sort: z
    .enum(["price", "-price", "created", "-created", "name", "-name", "relevance", "distance"])
    .optional()
    .describe(
      "Sort by price, created or name (prefix with - for descending), `relevance` (with `search`; the default then) or `distance` (nearest first, with `filter[near]`). Default: -created",
    ),
  "filter[near]": z
    .string()
    .regex(/^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*$/, "must be latitude,longitude in degrees")
    .transform((v) => v.split(",").map(Number) as [number, number])
    .refine(([lat, lng]) => Math.abs(lat) <= 90 && Math.abs(lng) <= 180, "latitude must be within ±90 and longitude within ±180")
    .optional()
    .describe("`latitude,longitude`: only listings with a position within `filter[radius_km]` of it"),
  "filter[radius_km]": z.coerce.number().gt(0).max(20_000).optional().describe("Radius of `filter[near]` in km (default 25)"),
  facets: csv(
    z.string().refine((f) => (FACETS as readonly string[]).includes(f) || METAFIELD_FACET.test(f), {
      message: `must be one of ${FACETS.join(", ")} or metafields.<namespace>.<key>`,
    }),
  )
    .optional()
    .describe(
      "Counts of the matching listings in `meta.facets`: by category (the tree, each counting its subcategories' listings too), tags, type, price band, " +
        `seller (\`user_id\`), the listing attributes (${FACETS.slice(5).join(", ")}) and \`metafields.<namespace>.<key>\` (at most ${MAX_METAFIELD_FACETS}); docs/api/search.md`,
    )
    .meta({ example: "category,price,weight,metafields.specs.material" }),
  price_bands: bandsParam("price", "cents", DEFAULT_PRICE_BANDS),
  weight_bands: bandsParam("weight", "grams", DEFAULT_WEIGHT_BANDS),
  "filter[category]": csv(z.string().max(100)).optional(),
  "filter[subcategory]": csv(z.string().max(100)).optional(),
  "filter[category_id]": z.string().min(1).max(100).optional().describe("Products in this category of the tree or in any category under it"),
  "filter[tags]": csv(z.string().max(50)).optional().describe("Products with any of these tags"),
  "filter[user_id]": csv(z.string().max(100)).optional().describe("Sellers"),
  "filter[isEnabled]": bool.optional(),
  "filter[archived]": z
    .enum(["true", "false", "all"])
    .optional()
    .describe("true: only archived products; all: archived and not archived together; default false: only those not archived"),
  "filter[adminStatus]": csv(z.enum(ADMIN_STATUSES))
    .optional()
    .describe(
      "Review states. Default: published listings, and the caller's own in any state. Admins, owners and the key see every listing in the states named; anyone else only their own unless `published`",
    ),
  "filter[type]": csv(productTypeSchema).optional(),
  "filter[price][gte]": cents.optional().describe("Base price at least this many cents"),
  "filter[price][lte]": cents.optional().describe("Base price at most this many cents"),
  "filter[parent_product_id]": z.string().min(1).max(100).optional().describe("List this product's variants instead of top-level products"),
  "filter[slug]": csv(z.string().max(100)).optional(),
  "filter[external_id]": csv(z.string().max(255)).optional(),
  "filter[sku]": csv(z.string().max(100)).optional().describe("Products (or, with `filter[parent_product_id]`, variants) with these SKUs"),
  "filter[on_homepage]": bool.optional().describe("true: only listings picked for the home page; false: only the others"),
  at: instant.optional().describe("Compute `effectivePrice` at this instant instead of now"),
};

/** The list query's checks across fields: the price range, and what search, radius and facets need. */
function listChecks(q: z.infer<z.ZodObject<typeof listShape>>, ctx: z.RefinementCtx): void {
  const gte = q["filter[price][gte]"];
  const lte = q["filter[price][lte]"];
  // Object-level checks also run when a field failed: only compare values that parsed.
  if (typeof gte === "number" && typeof lte === "number" && gte > lte) {
    ctx.addIssue({ code: "custom", path: ["filter[price][lte]"], message: "must not be below filter[price][gte]" });
  }
  if (q["filter[radius_km]"] !== undefined && q["filter[near]"] === undefined) ctx.addIssue({ code: "custom", path: ["filter[radius_km]"], message: "needs filter[near]" });
  if (q.sort === "distance" && q["filter[near]"] === undefined) ctx.addIssue({ code: "custom", path: ["sort"], message: "sort=distance needs filter[near]" });
  if (q.sort === "relevance" && q.search === undefined) ctx.addIssue({ code: "custom", path: ["sort"], message: "sort=relevance needs search" });
  for (const facet of ["price", "weight"] as const) {
    const param = `${facet}_bands` as const;
    const bands = q[param];
    if (Array.isArray(bands) && bands.some((b, i) => i > 0 && b <= bands[i - 1]!)) ctx.addIssue({ code: "custom", path: [param], message: "must be ascending" });
    if (bands !== undefined && !q.facets?.includes(facet)) ctx.addIssue({ code: "custom", path: [param], message: `needs facets=${facet}` });
  }
  const facets = Array.isArray(q.facets) ? q.facets : [];
  if (new Set(facets).size < facets.length) ctx.addIssue({ code: "custom", path: ["facets"], message: "names a facet twice" });
  if (facets.filter((f) => METAFIELD_FACET.test(f)).length > MAX_METAFIELD_FACETS)
    ctx.addIssue({ code: "custom", path: ["facets"], message: `at most ${MAX_METAFIELD_FACETS} metafield facets` });
}

export const listProductsQuery = withMetafieldFilters(z.object(listShape)).superRefine(listChecks).describe(METAFIELD_FILTER_DOC);

/** The products routes' own lists also take `fields=` (sparse answers). */
export const listProductsFieldsQuery = withMetafieldFilters(z.object({ ...listShape, fields: fieldsParam }))
  .superRefine(listChecks)
  .describe(METAFIELD_FILTER_DOC);

export type ListProductsQuery = z.infer<typeof listProductsQuery> & { fields?: string[] };

export const categoriesSchema = z
  .object({
    data: z.array(
      z.object({
        category: z.string(),
        count: z.number().int().describe("Listed products (not archived, not variants) in the category"),
        subcategories: z.array(z.object({ subcategory: z.string(), count: z.number().int() })),
      }),
    ),
  })
  .meta({ id: "ProductCategories" });

export const productPricesSchema = z
  .object({
    product_id: z.string(),
    price: z.number().int(),
    currency: z.string(),
    cycle: cycleSchema.nullable(),
    useSeasonalPrices: z.boolean(),
    effectivePrice: z.number().int(),
    seasonalPrices: z.array(seasonalPriceSchema),
  })
  .meta({ id: "ProductPrices" });

export const addSeasonalPriceBody = z
  .object({
    seasonStart: instant.describe("First instant of the season (inclusive)"),
    seasonEnd: instant.describe("End of the season (exclusive)"),
    price: unitPrice.describe("Unit price in cents during the season"),
  })
  .strict()
  .superRefine((b, ctx) => {
    // Object-level checks also run when a field failed: only compare values that parsed.
    if (b.seasonStart instanceof Date && b.seasonEnd instanceof Date && b.seasonEnd.getTime() <= b.seasonStart.getTime())
      ctx.addIssue({ code: "custom", path: ["seasonEnd"], message: "must be after seasonStart" });
  });

export type AddSeasonalPriceInput = z.infer<typeof addSeasonalPriceBody>;

export const seasonalPriceUsageBody = z.object({ useSeasonalPrices: z.boolean() }).strict();

export { noBody } from "../../lib/schemas.js";

export const imageUploadBody = z.object({ contentType: z.enum(IMAGE_TYPES).describe("The type of the image you will upload") }).strict();

export const imageUploadSchema = z
  .object({
    url: z.string().describe("PUT the image's bytes here before `expiresAt`"),
    method: z.literal("PUT"),
    headers: z.record(z.string(), z.string()).describe("Send these headers with the upload, exactly"),
    expiresAt: apiDate,
    expiresIn: z.number().int().describe("Seconds the URL stays valid"),
    key: z.string().describe("Where the image will be stored; pass it to the confirm call"),
    confirm: z.object({ method: z.literal("POST"), url: z.string() }).describe("Call after uploading: sets the product's image once the upload is there"),
  })
  .meta({ id: "ProductImageUpload" });

export const rejectProductBody = z.object({ reason: z.string().trim().min(1).max(1000).describe("Why: shown to the seller (`rejectionReason`) and emailed to them") }).strict();

export const confirmImageBody = z.object({ key: z.string().min(1).max(500) }).strict();
