import { z } from "zod";
import { csv, listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { metafieldListSchema, withMetafieldFilters, METAFIELD_FILTER_DOC } from "../metafields/index.js";
import { apiDate, currencyCode, idParam, instant, MAX_INT4, modeSchema, money, optionalBody } from "../../lib/schemas.js";
import { shippingLineFields } from "../shipping/index.js";

/** Limits that keep one contract a human-sized document (and its rebalancing cheap). */
export const MAX_ITEMS = 100;
export const MAX_PARTIES = 50;
export const MAX_CUSTOM_FEES = 20;
export const MAX_ITEM_QUANTITY = 10_000;

export const CONTRACT_STATUSES = ["draft", "open", "processing", "authorized", "paid", "void", "uncollectible", "disputed"] as const;
export const ORDER_STATUSES = ["awaiting_acceptance", "accepted", "declined", "expired", "fulfilled", "completed", "canceled", "capture_failed", "refund_failed"] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export type ContractStatus = (typeof CONTRACT_STATUSES)[number];
export const FEE_TYPES = ["stripe:cc", "stripe:us_bank_account", "candle:base", "platform:base", "shipping", "custom"] as const;
export const FEE_PAYERS = ["buyers", "sellers"] as const;

// ── the contract object (docs/api/contracts.md; nested shapes as the official SDK reads them) ───

export const contractItemAddOnSchema = z
  .object({
    add_on_id: z.string(),
    title: z.string(),
    price: z.number().int().describe("In cents, per unit of the item"),
    quantity: z.number().int().describe("The item's quantity: an add-on is taken once per unit"),
    total: z.number().int().describe("price × quantity, in cents"),
  })
  .meta({ id: "ContractItemAddOn" });

export const contractItemSchema = z
  .object({
    id: z.string(),
    contract_id: z.string(),
    user_id: z.string().describe("The seller of this item"),
    type: z.enum(["product", "service", "subscription"]),
    product_id: z.string().nullable(),
    startDate: apiDate.nullable(),
    endDate: apiDate.nullable(),
    quantity: z.number().int(),
    price: z.number().int().describe("Unit price in cents"),
    total: z.number().int().describe("quantity × price, plus its add-ons' totals, in cents"),
    description: z.string().nullable(),
    add_ons: z.array(contractItemAddOnSchema).describe("The product's add-ons bought with the item, as priced when it was added"),
  })
  .meta({ id: "ContractItem" });

export const contractBuyerSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    baseAmountDue: z.number().int().describe("The buyer's even share of the total, before pins"),
    amountDue: z.number().int().describe("What the buyer pays (their pinned amount, or their share of what pins leave)"),
    amountPaid: z.number().int(),
    amountAuthorized: z.number().int().describe("Authorised on the buyer's card and not yet captured (orders the seller accepts: docs/api/contracts.md, Orders)"),
    accepted: apiDate.nullable().describe("When the buyer accepted the contract (POST /contracts/:id/accept); null until then, and again after any change to its money"),
    acceptedAmount: z.number().int().nullable().describe("What the buyer accepted to be charged, in cents: settling charges them only this much"),
  })
  .meta({ id: "ContractBuyer" });

export const contractSellerSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    email: z.string().nullable(),
    name: z.string().nullable(),
    baseAmountOwed: z.number().int().describe("The seller's share of total − fees in proportion to their items, before pins"),
    amountOwed: z.number().int().describe("What the seller is paid (their pinned amount, or their share of what pins leave)"),
    amountReceived: z.number().int(),
  })
  .meta({ id: "ContractSeller" });

export const contractFeeSchema = z
  .object({
    id: z.string(),
    buyer_user_id: z.string().nullable(),
    type: z.enum(FEE_TYPES),
    amount: z.number().int(),
    description: z.string().nullable(),
    payer: z.enum(FEE_PAYERS).describe("Who bears it: buyers pay it on top, sellers have it deducted (`shipping`: the platform's own shipping rates, which it keeps)"),
  })
  .meta({ id: "ContractFee" });

export const contractShippingSchema = z
  .object({
    id: z.string(),
    ...shippingLineFields,
  })
  .meta({ id: "ContractShippingLine" });

export const contractSchema = z
  .object({
    id: z.string(),
    number: z.number().int().describe("The order number: 1, 2, 3… per platform and mode, in creation order, without gaps"),
    platform_id: z.string(),
    mode: modeSchema,
    user_id: z.string().nullable().describe("Who created the contract"),
    cart_id: z.string().nullable().describe("The cart it was made from"),
    items: z.array(contractItemSchema),
    notes: z.string().nullable(),
    sent: apiDate.nullable().describe("First sent"),
    lastSent: apiDate.nullable(),
    due: apiDate.nullable(),
    lastPaymentAttempt: apiDate.nullable(),
    paid: apiDate.nullable(),
    shipping: z.array(contractShippingSchema).describe("Shipping lines, priced when the contract was made from a cart; the buyers pay them"),
    shippingTotal: z.number().int().describe("The shipping lines together, in cents"),
    subTotal: z.number().int().describe("Items, shipping and the custom fees buyers pay, in cents"),
    total: z.number().int().describe("What the buyers pay together, in cents"),
    currency: z.string(),
    status: z.enum(CONTRACT_STATUSES),
    buyers: z.array(contractBuyerSchema),
    sellers: z.array(contractSellerSchema),
    fees: z.array(contractFeeSchema),
    includeStripeFees: z.boolean(),
    includeCandleFees: z.boolean(),
    includePlatformFees: z.boolean(),
    metafields: metafieldListSchema,
    orderStatus: z.enum(ORDER_STATUSES).nullable().describe("Where the order stands once its buyers are charged or authorised (docs/api/contracts.md, Orders); null before"),
    acceptBy: apiDate.nullable().describe("When an order awaiting the seller's acceptance expires"),
    fulfilled: apiDate.nullable(),
    completed: apiDate.nullable(),
    tracking: z
      .object({ carrier: z.string().nullable(), number: z.string().nullable(), url: z.string().nullable() })
      .nullable()
      .describe("The shipment, when the seller gave one on fulfilment"),
    fundsHeld: z.boolean().describe("The buyers' money is in and held for the sellers until the order completes (or the platform's holding delay ends)"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Contract" });

export type ContractResponse = z.infer<typeof contractSchema>;

export const contractListMetadataSchema = z
  .object({
    totals: z
      .array(
        z.object({
          currency: z.string(),
          count: z.number().int().describe("Contracts matching the filters, in this currency"),
          subTotal: z.number().int().describe("Σ subTotal, cents"),
          total: z.number().int().describe("Σ total, cents"),
          paid: z.number().int().describe("Σ total of the paid ones, cents"),
        }),
      )
      .describe("One entry per currency (amounts of different currencies are never added)"),
  })
  .meta({ id: "ContractListMetadata" });

export const contractListSchema = listOf(contractSchema).extend({
  metadata: contractListMetadataSchema.optional().describe("Aggregates over every contract the filters match (not only this page), with `metadata=true`"),
});

// ── params ─────────────────────────────────────────────────────────────────────────────────────

export const contractParams = z.object({ id: idParam("contract") }).strict();
export const cartParams = z.object({ cart_id: idParam("cart") }).strict();
export const userParams = z.object({ user_id: idParam("user") }).strict();
export const itemParams = z.object({ id: idParam("contract"), item_id: idParam("contract item") }).strict();
export const buyerParams = z.object({ id: idParam("contract"), buyer_id: idParam("buyer's user") }).strict();
export const sellerParams = z.object({ id: idParam("contract"), seller_id: idParam("seller's user") }).strict();
export const feeParams = z.object({ id: idParam("contract"), fee_id: idParam("fee") }).strict();

// ── bodies ─────────────────────────────────────────────────────────────────────────────────────

const userId = z.string().min(1).max(100);
const notes = z.string().trim().max(5000).nullable();
const description = z.string().trim().max(500);

export const itemBody = z
  .object({
    product_id: z.string().min(1).max(100).optional().describe("A product or variant of the catalogue: its seller, type, name and effective price"),
    user_id: userId.optional().describe("The seller, for an item that is not a product of the catalogue"),
    type: z.enum(["product", "service", "subscription"]).optional().describe("Default: the product's type, else product"),
    quantity: z.number().int("must be an integer").min(1).max(MAX_ITEM_QUANTITY).default(1),
    price: money.optional().describe("Unit price in cents, for an item that is not a product (a product's price is the catalogue's)"),
    description: description.optional().describe("Default: the product's name"),
    startDate: instant.optional().describe("For bookings and rentals; a product is priced at this instant"),
    endDate: instant.optional(),
    add_ons: z
      .array(z.string().min(1).max(100))
      .max(20)
      .optional()
      .describe("Ids of the product's add-ons (a variant's parent's too) bought with it: each taken once per unit, at its price"),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.add_ons !== undefined && b.product_id === undefined) ctx.addIssue({ code: "custom", path: ["add_ons"], message: "are a product's: only with product_id" });
    if (b.product_id !== undefined) {
      if (b.user_id !== undefined) ctx.addIssue({ code: "custom", path: ["user_id"], message: "is the product's seller: leave it out with product_id" });
      if (b.price !== undefined) ctx.addIssue({ code: "custom", path: ["price"], message: "is the product's effective price: leave it out with product_id" });
    } else {
      if (b.user_id === undefined) ctx.addIssue({ code: "custom", path: ["user_id"], message: "is required without product_id" });
      if (b.price === undefined) ctx.addIssue({ code: "custom", path: ["price"], message: "is required without product_id" });
    }
    if (b.endDate !== undefined && b.startDate === undefined) ctx.addIssue({ code: "custom", path: ["startDate"], message: "is required with endDate" });
    if (b.endDate instanceof Date && b.startDate instanceof Date && b.endDate.getTime() <= b.startDate.getTime()) {
      ctx.addIssue({ code: "custom", path: ["endDate"], message: "must be after startDate" });
    }
  });
export type ItemInput = z.infer<typeof itemBody>;

export const buyerBody = z
  .object({
    user_id: userId.describe("The buyer's user id"),
    dueAmount: money.nullable().optional().describe("Pin what this buyer pays, in cents (null: their share)"),
  })
  .strict();
export type BuyerInput = z.infer<typeof buyerBody>;

export const sellerBody = z
  .object({
    user_id: userId.describe("The seller's user id"),
    owedAmount: money.nullable().optional().describe("Pin what this seller is paid, in cents (null: their share)"),
  })
  .strict();
export type SellerInput = z.infer<typeof sellerBody>;

export const customFeeBody = z
  .object({
    amount: money.describe("In cents; the platform keeps it"),
    description: description.nullable().optional(),
    payer: z.enum(FEE_PAYERS).default("buyers").describe("buyers: added on top (part of subTotal); sellers: deducted from what they are owed"),
  })
  .strict();
export type CustomFeeInput = z.infer<typeof customFeeBody>;

export const modifyFeeBody = z
  .object({
    amount: money.optional(),
    description: description.nullable().optional(),
    payer: z.enum(FEE_PAYERS).optional(),
  })
  .strict();
export type ModifyFeeInput = z.infer<typeof modifyFeeBody>;

const inclusion = {
  includeStripeFees: z.boolean().optional().describe("Buyers pay Stripe's fee on top (grossed up); else it is deducted from the sellers"),
  includeCandleFees: z.boolean().optional().describe("Buyers pay Candle's fee on top; else it is deducted from the sellers"),
  includePlatformFees: z.boolean().optional().describe("Buyers pay the platform's fee on top; else it is deducted from the sellers"),
};

export const createContractBody = optionalBody(
  z
    .object({
      user_id: userId.optional().describe("The creator (default: the signed-in user); a member can only name themself"),
      notes: notes.optional(),
      due: instant.nullable().optional(),
      currency: currencyCode.optional().describe("Default: the platform's"),
      ...inclusion,
      items: z.array(itemBody).max(MAX_ITEMS).optional(),
      buyers: z.array(buyerBody).max(MAX_PARTIES).optional(),
      sellers: z.array(sellerBody).max(MAX_PARTIES).optional(),
      fees: z.array(customFeeBody).max(MAX_CUSTOM_FEES).optional().describe("Custom fees"),
    })
    .strict(),
);
export type CreateContractInput = NonNullable<z.infer<typeof createContractBody>>;

export const fromCartBody = optionalBody(
  z
    .object({
      notes: notes.optional(),
      due: instant.nullable().optional(),
      ...inclusion,
    })
    .strict(),
);
export type FromCartInput = NonNullable<z.infer<typeof fromCartBody>>;

export const modifyContractBody = z
  .object({
    notes: notes.optional(),
    due: instant.nullable().optional(),
    currency: currencyCode.optional(),
    ...inclusion,
  })
  .strict();
export type ModifyContractInput = z.infer<typeof modifyContractBody>;

export const dueBody = z.object({ dueAmount: money.nullable().describe("What this buyer pays, in cents; null unpins") }).strict();
export const owedBody = z.object({ owedAmount: money.nullable().describe("What this seller is paid, in cents; null unpins") }).strict();

export const feeInclusionBody = z
  .object({
    feeInclusion: z.boolean().optional().describe("The SDK's switch: true puts every fee on the buyers, false on the sellers"),
    ...inclusion,
  })
  .strict()
  .refine((b) => Object.values(b).some((v) => v !== undefined), { message: "send feeInclusion or at least one include…Fees flag" });
export type FeeInclusionInput = z.infer<typeof feeInclusionBody>;

// ── lists ──────────────────────────────────────────────────────────────────────────────────────

const idList = (name: string) => csv(z.string().min(1).max(100)).optional().describe(`One or more ${name} ids, comma-separated`);
const listDate = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time, e.g. 2026-03-09T13:00:00Z" }).transform((v) => new Date(v));

export const CONTRACT_SORTS = ["created", "updated", "due", "total", "number"] as const;

/** Date operators of `filter[<field>][<op>]` on created and updated. */
export const DATE_OPERATORS = ["gt", "gte", "lt", "lte"] as const;
const dateFilters = Object.fromEntries(
  (["created", "updated"] as const).flatMap((field) =>
    DATE_OPERATORS.map((op) => [
      `filter[${field}][${op}]`,
      listDate
        .optional()
        .describe(`${field === "created" ? "Created" : "Last changed"} ${{ gt: "after", gte: "at or after", lt: "before", lte: "at or before" }[op]} this instant`),
    ]),
  ),
) as Record<`filter[${"created" | "updated"}][${(typeof DATE_OPERATORS)[number]}]`, z.ZodOptional<typeof listDate>>;
const orderNumber = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, "must be a positive whole number")
  .transform(Number)
  .pipe(z.number().max(MAX_INT4));

export const listContractsQuery = withMetafieldFilters(
  z.object({
    ...pageParams,
    sort: sortParam(CONTRACT_SORTS, "-created"),
    "filter[status]": csv(z.enum(CONTRACT_STATUSES)).optional().describe("draft, open, processing, authorized, paid, void, uncollectible, disputed"),
    "filter[buyer_user_id]": idList("user"),
    "filter[seller_user_id]": idList("user"),
    "filter[user_id]": idList("creator's user"),
    "filter[currency]": csv(currencyCode).optional(),
    "filter[due][gte]": listDate.optional().describe("Due at or after this instant"),
    "filter[due][lte]": listDate.optional().describe("Due at or before this instant"),
    "filter[id]": idList("contract"),
    "filter[cart_id]": idList("cart"),
    "filter[number]": csv(orderNumber).optional().describe("One or more order numbers, comma-separated"),
    ...dateFilters,
    metadata: z.enum(["true", "false"]).optional().describe("`true`: add `metadata`, sums over every contract the filters match"),
  }),
)
  .describe(METAFIELD_FILTER_DOC)
  .superRefine((q, ctx) => {
    const gte = q["filter[due][gte]"];
    const lte = q["filter[due][lte]"];
    // Object-level checks also run when a field failed: only compare values that parsed.
    if (gte instanceof Date && lte instanceof Date && lte.getTime() < gte.getTime())
      ctx.addIssue({ code: "custom", path: ["filter[due][lte]"], message: "must not be before filter[due][gte]" });
  });
export type ListContractsQuery = z.infer<typeof listContractsQuery>;

// ── the fee estimate (POST /utils/estimate/fee) ───────────────────────────────────────────────

export const estimateFeeBody = z
  .object({
    amount: money.describe("What the seller asks for, in cents"),
    platform_id: z.string().min(1).max(100).optional().describe("The platform whose fee applies, when no platform key is sent"),
    feeInclusion: z.boolean().optional().describe("true: every fee on the buyer; false: every fee on the seller"),
    ...inclusion,
  })
  .strict();

export const feeEstimateSchema = z
  .object({
    amount: z.number().int(),
    total: z.number().int().describe("What the buyer is charged"),
    stripeFee: z.number().int(),
    candleFee: z.number().int(),
    platformFee: z.number().int(),
    sellerReceives: z.number().int(),
    includeStripeFees: z.boolean(),
    includeCandleFees: z.boolean(),
    includePlatformFees: z.boolean(),
    rates: z
      .object({
        stripePercent: z.number(),
        stripeFixed: z.number().int().describe("Cents per charge"),
        candlePercent: z.number(),
        platformFee: z.number().describe("The platform's fee, percent"),
      })
      .describe("The rates the estimate used"),
  })
  .meta({ id: "FeeEstimate" });
