import { z } from "zod";
import { orderSettingsPatch, orderSettingsSchema } from "./platforms.orders.js";
import { apiDate, currencyCode, domainName, httpUrl, idParam, modeSchema, optionalBody, percent } from "../../lib/schemas.js";

const disputeFundsSchema = z
  .enum(["hold", "reverse"])
  .describe(
    "What a dispute does to the sellers' money (docs/api/payments.md, Disputes): `hold` — what is not transferred yet stays with the platform until the dispute closes, transfers made stay; `reverse` — the sellers' transfers are reversed when it opens and made again if it is won",
  );
const hexColor = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, "must be a colour such as #1a73e8")
  .meta({ example: "#1a73e8" });

export const platformSchema = z
  .object({
    id: z.string(),
    mode: modeSchema,
    created: apiDate,
    updated: apiDate,
    name: z.string(),
    admins: z.array(z.string()).describe("Ids of the platform's owners and admins"),
    description: z.string().nullable(),
    logo: z.string().nullable(),
    url: z.string().nullable(),
    platformFee: z.number().describe("The platform's fee, in percent (2.5 = 2.5 %)"),
    activeSubscription: z
      .string()
      .nullable()
      .describe("The host's subscription that pays for this platform, while it is live (HOST_PLATFORM_ID); null when the host does not bill it"),
    subscriptionPlan: z.string().nullable().describe("The contract or product members subscribe to for access (docs/api/subscriptions.md, Access); null: nothing is gated"),
    subscriptionRequired: z.boolean().describe("Members need a live subscription to `subscriptionPlan` to buy or book anything"),
    domains: z.array(z.string()),
    waitlistEnabled: z.boolean(),
    requireListingReview: z.boolean().describe("New listings wait for an admin's review (`pending`) before members see them; off: they are published at once"),
    orders: orderSettingsSchema.meta({ id: "OrderSettings" }).describe("How orders run: seller acceptance, completion, funds held (docs/api/contracts.md, Orders)"),
    disputeFunds: disputeFundsSchema,
    brandColor: z.string().nullable().describe("The main colour of the platform's emails (`#rrggbb`); null: the default"),
    accentColor: z.string().nullable().describe("The accent colour of the platform's emails (`#rrggbb`); null: the default"),
    currency: z.string(),
  })
  .meta({ id: "Platform" });

export const membershipSchema = z
  .object({
    user_id: z.string(),
    role: z.enum(["owner", "admin", "editor", "member", "collaborator"]),
    joined: apiDate,
  })
  .meta({ id: "Membership" });

export const communityMemberSchema = platformSchema.extend({ membership: membershipSchema }).meta({ id: "PlatformMembership" });

export const platformIdParams = z.object({ id: idParam("platform") }).strict();
export const domainParams = z.object({ domain: z.string().min(1).max(260) }).strict();
export const communityParams = z.object({ user_id: idParam("user") }).strict();

export const updatePlatformBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(5000).nullable().optional(),
    // Candle's SDK types `platformFee` as a string ("2.5"): a decimal string is read as the number.
    platformFee: z
      .union([
        percent,
        z
          .string()
          .trim()
          .regex(/^\d{1,3}(\.\d{1,2})?$/, "must be a number of percent such as 2.5")
          .transform(Number)
          .pipe(percent),
      ])
      .optional()
      .describe("Percent, 0 to 100, at most two decimals (a number, or a decimal string as the SDK sends it)"),
    url: httpUrl.nullable().optional(),
    logo: httpUrl.nullable().optional(),
    domains: z.array(domainName).max(20).optional().describe("Replaces the platform's domains"),
    waitlistEnabled: z.boolean().optional(),
    requireListingReview: z.boolean().optional().describe("Listings wait for review before they are published (docs/api/products.md, Moderation)"),
    orders: orderSettingsPatch.optional().describe("Changes these order settings, keeping the others (docs/api/contracts.md, Orders)"),
    disputeFunds: disputeFundsSchema.optional(),
    brandColor: hexColor.nullable().optional().describe("The emails' main colour, `#rrggbb` (null: the default)"),
    accentColor: hexColor.nullable().optional().describe("The emails' accent colour, `#rrggbb` (null: the default)"),
    currency: currencyCode.optional(),
    subscriptionPlan: z
      .string()
      .regex(/^(inv|prod)_[0-9a-f]{32}$/, "must be a contract id (inv_…) or a product id (prod_…)")
      .nullable()
      .optional()
      .describe("A contract or product of the platform: a live subscription to it (or to a contract whose first product it is) is the members' access"),
    subscriptionRequired: z.boolean().optional().describe("Members need a live subscription to the plan to buy or book anything"),
  })
  .strict();

export type UpdatePlatformInput = z.infer<typeof updatePlatformBody>;

/** JSON form of `POST /platforms/:id/image`; the multipart form sends the file in the field `media`. */
export const platformImageBody = optionalBody(z.object({ media_id: z.string().min(1).max(100) }).strict());
