import { metafieldListSchema, metafieldsInput, withMetafieldFilters, METAFIELD_FILTER_DOC } from "../metafields/index.js";
import { IANAZone } from "luxon";
import { z } from "zod";
import { csv, listOf, pageParams, sortParam } from "../../lib/pagination.js";
import { apiDate, emailAddress, httpUrl, idParam, modeSchema, optionalBody } from "../../lib/schemas.js";

/** Usernames: 3–30 lower-case letters, digits and `_`, starting with a letter or digit. */
export const USERNAME_PATTERN = /^[a-z0-9][a-z0-9_]{2,29}$/;

export { emailAddress };

export const username = z.string().trim().toLowerCase().regex(USERNAME_PATTERN, "must be 3 to 30 lower-case letters, digits or _, starting with a letter or digit");

export const timezone = z
  .string()
  .max(64)
  .refine((tz) => IANAZone.isValidZone(tz), "must be an IANA time zone such as America/New_York");

const roleSchema = z.enum(["owner", "admin", "editor", "member"]);
/** A user's role as answered: also `collaborator`, which only the collaborators routes give (docs/api/collaborators.md). */
const roleAnswerSchema = z.enum(["owner", "admin", "editor", "member", "collaborator"]);

export const linkSchema = z.object({ id: z.string(), label: z.string(), url: z.string() }).meta({ id: "UserLink" });

export const paymentMethodSchema = z
  .object({
    id: z.string(),
    user_id: z.string().describe("The user it is saved for"),
    stripePaymentMethodId: z.string(),
    type: z.enum(["card", "us_bank_account"]),
    isDefault: z.boolean(),
    brand: z.string().nullable(),
    last4: z.string().nullable(),
    accountHolderType: z.string().nullable(),
    expMonth: z.number().int().nullable(),
    expYear: z.number().int().nullable(),
    funding: z.string().nullable(),
  })
  .meta({ id: "PaymentMethod" });

export const ACCOUNT_TYPES = ["individual", "company", "non_profit"] as const;
const accountTypeSchema = z.enum(ACCOUNT_TYPES).describe("Who the user is as a seller or buyer");

export const addressSchema = z
  .object({
    line1: z.string().nullable(),
    line2: z.string().nullable(),
    city: z.string().nullable(),
    state: z.string().nullable(),
    postalCode: z.string().nullable(),
    country: z.string().nullable().describe("ISO 3166-1 alpha-2 code, e.g. US"),
  })
  .meta({ id: "Address" });

/** Custom attributes: a flat object of at most 50 keys, each a string (≤ 500 characters), number, boolean or null. */
const attributeKey = z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, "keys are 1 to 40 letters, digits, _, . or -");
const attributesSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]));
const attributesInput = z
  .record(attributeKey, z.union([z.string().max(500), z.number().finite(), z.boolean(), z.null()]))
  .refine((a) => Object.keys(a).length <= 50, "holds at most 50 attributes")
  .meta({ example: { tier: "gold", newsletter: true } });

const text = (max: number) => z.string().trim().min(1).max(max).nullable().optional();
const addressInput = z
  .object({
    line1: text(200),
    line2: text(200),
    city: text(100),
    state: text(100),
    postalCode: text(20),
    country: z
      .string()
      .trim()
      .toUpperCase()
      .regex(/^[A-Z]{2}$/, "must be an ISO 3166-1 alpha-2 code such as US")
      .meta({ example: "US" })
      .nullable()
      .optional(),
  })
  .strict()
  .nullable()
  .optional()
  .describe("Only the parts sent change; null clears the whole address");

/** The profile fields a user sets on themself, and admins on users below them. */
const contactFields = {
  address: addressInput,
  phoneCountryCode: z
    .string()
    .trim()
    .regex(/^\+[1-9]\d{0,3}$/, "must be a country calling code such as +1")
    .meta({ example: "+1" })
    .nullable()
    .optional(),
  phoneNumber: z
    .string()
    .trim()
    .regex(/^[0-9 ().-]{3,30}$/, "must be 3 to 30 digits, spaces, dots, dashes or parentheses")
    .meta({ example: "212-398-2600" })
    .nullable()
    .optional(),
  accountType: accountTypeSchema.optional(),
  businessName: text(200),
  locale: z
    .string()
    .trim()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP 47 language tag such as en or fr-FR")
    .meta({ example: "en-US" })
    .nullable()
    .optional(),
};

/** What only admins and up and the key set (403 `field_forbidden` for anyone else, themselves included). */
const adminFields = {
  external_id: z.string().trim().min(1).max(255).nullable().optional().describe("Unique per platform and mode (409 `external_id_taken`)"),
  attributes: attributesInput.optional().describe("Replaces the whole object"),
  canPostListing: z.boolean().optional(),
};
export const ADMIN_FIELDS = Object.keys(adminFields) as (keyof typeof adminFields)[];

export const userSchema = z
  .object({
    id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    email: z.string().nullable(),
    username: z.string().nullable(),
    bio: z.string().nullable(),
    name: z.string().nullable(),
    firstName: z.string().nullable(),
    lastName: z.string().nullable(),
    image: z.string().nullable(),
    stripeConnectId: z.string().nullable(),
    chargesEnabled: z.boolean(),
    detailsSubmitted: z.boolean(),
    timezone: z.string(),
    stripeCustomerId: z.string().nullable(),
    authenticated: apiDate.nullable().describe("Last sign-in"),
    links: z.array(linkSchema),
    paymentMethods: z.array(paymentMethodSchema),
    pendingEmail: z.string().nullable().describe("A new email waiting for its confirmation code; `email` changes when it is confirmed"),
    scheduledDeletion: apiDate.nullable(),
    suspended: apiDate.nullable().describe("Since when the user is suspended (null: not suspended): no sign-in, no session, neither charged nor paid"),
    role: roleAnswerSchema.describe("The user's role on the platform"),
    metafields: metafieldListSchema,
    address: addressSchema,
    phoneCountryCode: z.string().nullable().describe("Country calling code, e.g. +1"),
    phoneNumber: z.string().nullable(),
    accountType: accountTypeSchema,
    businessName: z.string().nullable().describe("Company or organisation name"),
    locale: z.string().nullable().describe("BCP 47 language tag, e.g. en or fr-FR"),
    external_id: z.string().nullable().describe("The platform's own reference, unique per platform and mode; set by admins and the key"),
    attributes: attributesSchema.describe("The platform's custom attributes; set by admins and the key"),
    canPostListing: z.boolean().describe("false: the user may not list products themself (403 `listing_not_allowed`); set by admins and the key"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "User" });

const profileFields = {
  username: username.nullable().optional(),
  bio: z.string().max(2000).nullable().optional(),
  name: z.string().trim().max(200).nullable().optional(),
  firstName: z.string().trim().max(100).nullable().optional(),
  lastName: z.string().trim().max(100).nullable().optional(),
  image: httpUrl.nullable().optional(),
  timezone: timezone.optional(),
  ...contactFields,
  ...adminFields,
};

/** What the signed-in user may change about themself (a new email waits for its code; role is given by an owner). */
export const updateSelfBody = z.object({ ...profileFields, email: emailAddress.optional() }).strict();

/** What an admin may change (`role`: owners only; `email`: confirmed by code unless the platform key changes it). */
/** Metafields in a user's own body: the platform's (key and admins), never the signed-in user's own `PUT /users/auth`. */
const userMetafields = metafieldsInput.optional().describe("Metafields to set (`value: null` removes one): docs/api/metafields.md");

export const updateUserBody = z.object({ ...profileFields, email: emailAddress.optional(), role: roleSchema.optional(), metafields: userMetafields }).strict();

export const createUserBody = z.object({ ...profileFields, email: emailAddress, role: roleSchema.optional(), metafields: userMetafields }).strict();

export const userParams = z.object({ id: idParam("user") }).strict();
export const userLinkParams = z.object({ id: idParam("user"), link_id: idParam("link") }).strict();
export const selfLinkParams = z.object({ link_id: idParam("link") }).strict();

/** `PUT /users/:id/suspend` and `/unsuspend`: nothing to send (the SDK's empty JSON object is fine). */
export const noBody = optionalBody(z.object({}).strict());

export const confirmEmailBody = z
  .object({
    token: z
      .string()
      .trim()
      .regex(/^\d{6}$/, "must be the 6-digit code"),
  })
  .strict();

export const linkBody = z.object({ label: z.string().trim().min(1).max(100), url: httpUrl }).strict();

export const imageBody = optionalBody(z.object({ media_id: z.string().min(1).max(100) }).strict());

export const listUsersQuery = withMetafieldFilters(
  z.object({
    ...pageParams,
    search: z.string().trim().min(1).max(200).optional().describe("Matches email, username or name (case-insensitive, substring)"),
    sort: sortParam(["created", "name", "username", "email", "authenticated"], "-created"),
    "filter[role]": csv(roleAnswerSchema).optional(),
    "filter[email]": csv(emailAddress).optional(),
    "filter[username]": csv(z.string().toLowerCase()).optional(),
    "filter[scheduledDeletion]": z.enum(["true", "false"]).optional().describe("true: only users scheduled for deletion"),
    "filter[suspended]": z.enum(["true", "false"]).optional().describe("true: only suspended users; false: only the others"),
  }),
).describe(METAFIELD_FILTER_DOC);

export type ListUsersQuery = z.infer<typeof listUsersQuery>;
export type UpdateSelfInput = z.infer<typeof updateSelfBody>;
export type UpdateUserInput = z.infer<typeof updateUserBody>;
export type CreateUserInput = z.infer<typeof createUserBody>;

export const userListSchema = listOf(userSchema);
