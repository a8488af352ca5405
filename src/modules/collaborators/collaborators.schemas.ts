import { z } from "zod";
import { listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, emailAddress, idParam, MAX_INT4, money, modeSchema } from "../../lib/schemas.js";

/** The twelve view permissions of a collaborator (the seed's `see_*` flags), each false unless granted. */
export const PERMISSION_FLAGS = [
  "see_product_price",
  "see_product_cost",
  "see_product_stock",
  "see_product_quantity",
  "see_product_tax",
  "see_product_discount",
  "see_customer_name",
  "see_customer_email",
  "see_order_status",
  "see_order_payment_gateway",
  "see_order_shipping_address",
  "see_order_billing_address",
] as const;
export type PermissionFlag = (typeof PERMISSION_FLAGS)[number];
export type Permissions = Record<PermissionFlag, boolean>;

export const PAYOUT_MEASUREMENTS = ["month_day", "day", "week", "month"] as const;

const FLAG_DOCS: Record<PermissionFlag, string> = {
  see_product_price: "Prices: products' `price`, add-ons' and seasonal prices, and every amount of an order derived from them (items, totals, what buyers owe)",
  see_product_cost: "What the goods cost the marketplace: sellers' amounts on orders and the fees",
  see_product_stock: "Products' stock (`quantity`, `isAvailableInStock`)",
  see_product_quantity: "How many of a product an order holds (items' `quantity`)",
  see_product_tax: "Tax fields (none in this API today)",
  see_product_discount: "Seasonal prices (`effectivePrice`, `seasonalPrices`, `useSeasonalPrices`)",
  see_customer_name: "The names of the people on orders (buyers and sellers), and other users' names",
  see_customer_email: "The emails of the people on orders (buyers and sellers), and other users' emails",
  see_order_status: "Orders' `status`, `orderStatus` and the dates and amounts that tell it (sent, paid, fulfilled, …)",
  see_order_payment_gateway: "The payment gateway: Stripe fees and fee inclusion, any gateway id",
  see_order_shipping_address: "Shipping addresses (none on orders in this API today)",
  see_order_billing_address: "Billing addresses: users' `address`",
};

export const permissionsSchema = z
  .object(Object.fromEntries(PERMISSION_FLAGS.map((f) => [f, z.boolean().describe(FLAG_DOCS[f])])) as Record<PermissionFlag, z.ZodBoolean>)
  .meta({ id: "CollaboratorPermissions" });

/** Stored permissions read back: anything but `true` is false (fail closed). */
export function readPermissions(stored: unknown): Permissions {
  const value = (stored && typeof stored === "object" ? stored : {}) as Record<string, unknown>;
  return Object.fromEntries(PERMISSION_FLAGS.map((f) => [f, value[f] === true])) as Permissions;
}

export const collaboratorSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    user_id: z.string().nullable().describe("The collaborator's user (role `collaborator`), who signs in by email code; null for a managed account"),
    email: z.string().nullable(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    currency: z.string(),
    payout_measurement: z.enum(PAYOUT_MEASUREMENTS),
    payout_frequency: z.number().int(),
    payout_threshold: z.number().int().nullable().describe("Cents"),
    permissions: permissionsSchema,
    account: z
      .object({ name: z.string(), paypal_email: z.string().nullable(), is_managed: z.boolean() })
      .describe("The collaborator's account; a managed one never signs in and gets no invite"),
    managed_by: z.enum(["owner", "admin"]).describe("The rank that made it: only that rank or higher, and the key, change or delete it"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "Collaborator" });

export const collaboratorListSchema = listOf(collaboratorSchema);

const flagInputs = Object.fromEntries(PERMISSION_FLAGS.map((f) => [f, z.boolean().optional().describe(`${FLAG_DOCS[f]}; default false`)])) as Record<
  PermissionFlag,
  z.ZodOptional<z.ZodBoolean>
>;

const currency = z
  .string()
  .regex(/^[A-Za-z]{3}$/, "must be an ISO 4217 code such as usd")
  .transform((c) => c.toLowerCase())
  .describe("ISO 4217 code (stored lower-case); default the platform's currency");
const payoutFields = {
  currency: currency.optional(),
  payout_measurement: z.enum(PAYOUT_MEASUREMENTS).optional().describe("What `payout_frequency` counts; default month_day"),
  payout_frequency: z
    .number()
    .int("must be an integer")
    .min(-1)
    .max(MAX_INT4)
    .optional()
    .describe("With month_day: the day of the month (1–28, or -1 for the last); otherwise a positive number of days, weeks or months. Default -1"),
  payout_threshold: money.nullable().optional().describe("Smallest payout, cents"),
};

function payoutChecks(b: { payout_measurement?: string; payout_frequency?: number }, ctx: z.RefinementCtx): void {
  if (b.payout_frequency === undefined) return;
  const f = b.payout_frequency;
  const monthDay = (b.payout_measurement ?? "month_day") === "month_day";
  if (monthDay ? !(f === -1 || (f >= 1 && f <= 28)) : f < 1) {
    ctx.addIssue({ code: "custom", path: ["payout_frequency"], message: monthDay ? "must be 1 to 28, or -1 (the last day), with month_day" : "must be a positive number" });
  }
}

const name = z.string().trim().min(1).max(100);

export const createCollaboratorBody = z
  .object({
    first_name: name.optional().describe("Required unless is_managed"),
    last_name: name.optional().describe("Required unless is_managed"),
    account_name: z.string().trim().min(1).max(200).describe("The account's (business) name"),
    email: emailAddress.optional().describe("Where the invite goes and what the collaborator signs in with; required unless is_managed"),
    is_managed: z.boolean().optional().describe("true: an account the platform manages, without a user: no invite, no sign-in"),
    paypal_email: emailAddress.nullable().optional(),
    ...payoutFields,
    ...flagInputs,
  })
  .strict()
  .superRefine((b, ctx) => {
    if (!b.is_managed) {
      for (const f of ["first_name", "last_name", "email"] as const) {
        if (b[f] === undefined) ctx.addIssue({ code: "custom", path: [f], message: "is required unless is_managed is true" });
      }
    }
    payoutChecks(b, ctx);
  });
export type CreateCollaboratorInput = z.infer<typeof createCollaboratorBody>;

export const updateCollaboratorBody = z
  .object({
    account_name: z.string().trim().min(1).max(200).optional().describe("Only on a managed collaborator (422 `collaborator_not_managed`)"),
    paypal_email: emailAddress.nullable().optional().describe("Only on a managed collaborator"),
    ...payoutFields,
    ...flagInputs,
  })
  .strict()
  .superRefine(payoutChecks);
export type UpdateCollaboratorInput = z.infer<typeof updateCollaboratorBody>;

export const collaboratorParams = z.object({ id: idParam("collaborator") }).strict();

export const listCollaboratorsQuery = z
  .object({
    ...pageParams,
    search: z.string().trim().min(1).max(200).optional().describe("Part of the account name, first or last name, or email (case-insensitive)"),
    sort: sortParam(["created", "account_name"], "created"),
  })
  .strict();
export type ListCollaboratorsQuery = z.infer<typeof listCollaboratorsQuery>;
