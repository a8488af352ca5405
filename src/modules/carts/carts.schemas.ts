import { z } from "zod";
import { csv, listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, idParam, instant, modeSchema } from "../../lib/schemas.js";
import { shippingLineFields } from "../shipping/index.js";

export const MAX_LINE_QUANTITY = 10_000;
export const MAX_CART_LINES = 100;

export const cartItemSchema = z
  .object({
    id: z.string(),
    cart_id: z.string(),
    type: z.enum(["product", "service"]),
    quantity: z.number().int(),
    startDate: apiDate.nullable(),
    endDate: apiDate.nullable(),
    price: z.number().int().describe("Unit price in cents in force at `startDate` (or now, without dates)"),
    total: z.number().int().describe("price × quantity, plus its add-ons' totals, in cents"),
    add_ons: z
      .array(
        z.object({
          id: z.string().describe("The add-on"),
          title: z.string(),
          price: z.number().int().describe("In cents, per unit of the line"),
          quantity: z.number().int().describe("The line's quantity: an add-on is taken once per unit"),
          total: z.number().int(),
        }),
      )
      // Spelled out: nested this deep (the admins' cart list) the generated example stops short of its fields.
      .meta({ example: [{ id: "addon_0192f1a0c3d87b4e9a1f2b3c4d5e6f70", title: "Gift wrapping", price: 500, quantity: 1, total: 500 }] })
      .describe("The add-ons chosen on the line, at their price now (one the listing no longer offers drops out)"),
    currency: z.string(),
    product_id: z.string().describe("The product (or variant) in the cart"),
    parent_product_id: z.string().nullable().describe("The parent, when the item is a variant"),
    name: z.string(),
    image: z.string().nullable(),
    user_id: z.string().describe("The seller"),
    isAvailable: z.boolean().describe("Still for sale, with this quantity in stock"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "CartItem" });

export const cartSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    user_id: z.string().describe("The buyer"),
    items: z.array(cartItemSchema),
    sellers: z.array(z.object({ user_id: z.string(), subTotal: z.number().int() })).describe("Per-seller subtotals, in cents"),
    shipping: z
      .array(z.object(shippingLineFields).meta({ id: "CartShippingLine" }))
      .describe("Each seller's items ship at the cheapest applicable rate of the seller's, else of the platform's; none applying, they ship free"),
    shippingTotal: z.number().int().describe("In cents"),
    total: z.number().int().describe("Items plus shipping, in cents"),
    currency: z.string().describe("One currency per cart: its items' (the platform's while empty)"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Cart" });

export const addToCartParams = z.object({ product_id: idParam("product") }).strict();
export const cartItemParams = z.object({ cart_item_id: idParam("cart item") }).strict();

export const addToCartBody = z
  .object({
    quantity: z.number().int("must be an integer").min(1).max(MAX_LINE_QUANTITY),
    variant: z.string().min(1).max(100).optional().describe("The id of one of the product's variants: the variant goes in the cart"),
    startDate: instant.optional().describe("For bookings and rentals; prices the item at this instant"),
    endDate: instant.optional(),
    add_ons: z
      .array(z.string().min(1).max(100))
      .max(20)
      .optional()
      .describe("Ids of the product's add-ons (a variant's parent's too) to buy with it, each once per unit. A line with other add-ons is another line"),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.endDate !== undefined && b.startDate === undefined) ctx.addIssue({ code: "custom", path: ["startDate"], message: "is required with endDate" });
    // Object-level checks also run when a field failed: only compare values that parsed.
    if (b.endDate instanceof Date && b.startDate instanceof Date && b.endDate.getTime() <= b.startDate.getTime())
      ctx.addIssue({ code: "custom", path: ["endDate"], message: "must be after startDate" });
  });

export const setQuantityBody = z
  .object({
    quantity: z.number().int("must be an integer").min(0).max(MAX_LINE_QUANTITY).describe("The line's new quantity; 0 removes the line"),
  })
  .strict();

export type AddToCartInput = z.infer<typeof addToCartBody>;

export const cartListSchema = listOf(cartSchema);
export const cartParams = z.object({ cart_id: idParam("cart") }).strict();

/** Kreezalid's rule of thumb: a cart left for two hours is abandoned. */
export const DEFAULT_IDLE_MINUTES = 120;

export const listAbandonedCartsQuery = z
  .object({
    ...pageParams,
    sort: sortParam(["updated", "created"], "-updated"),
    "filter[idle_minutes]": z.coerce
      .number()
      .int("must be an integer")
      .min(0)
      .max(525_600)
      .default(DEFAULT_IDLE_MINUTES)
      .describe("Carts with items, unchanged for at least this many minutes (default 120; 0: every cart with items)"),
    "filter[user_id]": csv(z.string().min(1).max(100)).optional().describe("Only these buyers' carts, comma-separated"),
  })
  .strict();
export type ListAbandonedCartsQuery = z.infer<typeof listAbandonedCartsQuery>;
