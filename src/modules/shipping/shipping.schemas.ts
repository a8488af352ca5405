import { z } from "zod";
import { csv, listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, currencyCode, idParam, modeSchema, money } from "../../lib/schemas.js";

/** A rate's bands: a human-sized table, checked once here so quoting never meets a malformed one. */
export const MAX_BANDS = 20;
export const SHIPPING_RATE_KINDS = ["flat", "weight", "price"] as const;

export const bandSchema = z
  .object({
    from: z.number().int("must be an integer").min(0).max(100_000_000_000).describe("Lower bound, inclusive: grams (weight) or cents (price)"),
    to: z.number().int("must be an integer").min(1).max(100_000_000_000).nullable().describe("Upper bound, exclusive; null: no upper bound"),
    price: money.describe("What shipping costs in this band, in cents"),
  })
  .strict()
  .meta({ id: "ShippingBand" });

export const shippingRateSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    user_id: z.string().nullable().describe("The seller whose items it ships; null: the platform's rate, for sellers without an applicable rate of their own"),
    title: z.string(),
    kind: z.enum(SHIPPING_RATE_KINDS).describe("flat: `price` + `step_price` per further unit; weight: the band of the items' weight; price: the band of their subtotal"),
    currency: z.string(),
    price: z.number().int().describe("flat: the first unit, in cents (0 for banded rates)"),
    step_price: z.number().int().describe("flat: each further unit, in cents"),
    bands: z.array(bandSchema).nullable().describe("weight (grams) and price (cents) rates: the bands, in order"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({
    id: "ShippingRate",
    example: {
      id: "shiprate_0193a5c2d7a07c3f9a2b1c0d9e8f7a6b",
      platform_id: "plat_0193a5c2d7a07c3f9a2b1c0d9e8f7a6c",
      mode: "test",
      user_id: null,
      title: "Standard",
      kind: "weight",
      currency: "usd",
      price: 0,
      step_price: 0,
      bands: [
        { from: 0, to: 1000, price: 495 },
        { from: 1000, to: null, price: 995 },
      ],
      created: "2026-03-09T13:00:00Z",
      updated: "2026-03-09T13:00:00Z",
    },
  });

export const shippingRateListSchema = listOf(shippingRateSchema);

export const shippingRateParams = z.object({ id: idParam("shipping rate") }).strict();

const title = z.string().trim().min(1).max(200);

/** Bands in ascending order, each ending where it says and never overlapping the next. */
function checkBands(bands: readonly { from: number; to: number | null }[] | null | undefined, ctx: z.RefinementCtx, path = "bands"): void {
  if (!bands) return;
  bands.forEach((band, i) => {
    if (band.to !== null && band.to <= band.from) ctx.addIssue({ code: "custom", path: [path, i, "to"], message: "must be above from" });
    const next = bands[i + 1];
    if (next && (band.to === null || next.from < band.to))
      ctx.addIssue({ code: "custom", path: [path, i + 1, "from"], message: "must not be below the previous band's to (bands ascend without overlapping)" });
  });
}

const bands = z.array(bandSchema).min(1).max(MAX_BANDS);

export const createShippingRateBody = z
  .object({
    user_id: z
      .string()
      .min(1)
      .max(100)
      .nullable()
      .optional()
      .describe("The seller whose rate it is (a member: themself); absent or null: a platform rate (owners, admins, the key)"),
    title: title.describe("What buyers see, e.g. Standard"),
    kind: z.enum(SHIPPING_RATE_KINDS),
    currency: currencyCode.optional().describe("Default: the platform's; applies to carts and contracts in this currency"),
    price: money.optional().describe("flat: the first unit, in cents (required)"),
    step_price: money.optional().describe("flat: each further unit, in cents (default 0)"),
    bands: bands.optional().describe("weight and price rates (required): ascending, non-overlapping bands"),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.kind === "flat") {
      if (b.price === undefined) ctx.addIssue({ code: "custom", path: ["price"], message: "is required for a flat rate" });
      if (b.bands !== undefined) ctx.addIssue({ code: "custom", path: ["bands"], message: "are for weight and price rates only" });
    } else {
      if (b.bands === undefined) ctx.addIssue({ code: "custom", path: ["bands"], message: `are required for a ${b.kind} rate` });
      if (b.price !== undefined) ctx.addIssue({ code: "custom", path: ["price"], message: "is for flat rates only (a banded rate prices by its bands)" });
      if (b.step_price !== undefined) ctx.addIssue({ code: "custom", path: ["step_price"], message: "is for flat rates only" });
    }
    checkBands(b.bands, ctx);
  })
  .meta({
    example: {
      title: "Standard",
      kind: "weight",
      bands: [
        { from: 0, to: 1000, price: 495 },
        { from: 1000, to: null, price: 995 },
      ],
    },
  });
export type CreateShippingRateInput = z.infer<typeof createShippingRateBody>;

/** Who a rate is for and its kind stay; its title and prices change. */
export const updateShippingRateBody = z
  .object({
    title: title.optional(),
    price: money.optional().describe("flat rates only"),
    step_price: money.optional().describe("flat rates only"),
    bands: bands.optional().describe("weight and price rates only: the whole new list"),
  })
  .strict()
  .superRefine((b, ctx) => checkBands(b.bands, ctx))
  .meta({ example: { title: "Standard (2–4 days)" } });
export type UpdateShippingRateInput = z.infer<typeof updateShippingRateBody>;

export const listShippingRatesQuery = z
  .object({
    ...pageParams,
    sort: sortParam(["created", "title"], "created"),
    "filter[user_id]": csv(z.string().min(1).max(100)).optional().describe("Sellers' rates, by user id, comma-separated; `platform` stands for the platform's own rates"),
    "filter[kind]": csv(z.enum(SHIPPING_RATE_KINDS)).optional(),
    "filter[currency]": csv(currencyCode).optional(),
  })
  .strict();
export type ListShippingRatesQuery = z.infer<typeof listShippingRatesQuery>;

/** A shipping line as carts and contracts show it. */
export const shippingLineFields = {
  shipping_rate_id: z.string().nullable().describe("The rate it was priced at (null once that rate is deleted, on a contract)"),
  user_id: z.string().describe("The seller whose items it ships"),
  payee: z.enum(["seller", "platform"]).describe("Who is paid for it: the seller (their own rate) or the platform (its rate)"),
  title: z.string(),
  amount: z.number().int().describe("In cents, paid by the buyers"),
};
