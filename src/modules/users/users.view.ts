import type { Db, Prisma } from "../../db/client.js";
import type { PaymentMethod } from "../../generated/prisma/client.js";
import { PermissionError } from "../../lib/errors.js";
import { toApiDate } from "../../lib/time.js";
import type { MetafieldResponse } from "../metafields/index.js";

/** The user as the API answers it, and the refusals other modules raise too: no database here. */

export const DELETION_GRACE_DAYS = 30;
export const MAX_LINKS = 20;
/** A new email's confirmation code: like a sign-in code, 10 minutes, once, at most 5 guesses. */
export const EMAIL_CODE_TTL_SECONDS = 600;
export const EMAIL_CODE_MAX_ATTEMPTS = 5;

export const userInclude = {
  links: { orderBy: [{ created: "asc" }, { id: "asc" }] },
  membership: { select: { role: true } },
} satisfies Prisma.UserInclude;

/** The user object's sources: the row, its links and role, and its payment methods (the payment-methods module's). */
export type UserView = Prisma.UserGetPayload<{ include: typeof userInclude }> & { paymentMethods: PaymentMethod[]; metafields: MetafieldResponse[] };

/** Reads users' payment methods (the payment-methods module answers: it sits above this one). */
export type PaymentMethodsOf = (client: Db | Prisma.TransactionClient, userIds: readonly string[]) => Promise<PaymentMethod[]>;

/** A payment method as the user's `paymentMethods` list it — and as its events hold it. */
export function toPaymentMethodResponse(pm: PaymentMethod) {
  return {
    id: pm.id,
    user_id: pm.userId,
    stripePaymentMethodId: pm.stripePaymentMethodId,
    type: pm.type,
    isDefault: pm.isDefault,
    brand: pm.brand,
    last4: pm.last4,
    accountHolderType: pm.accountHolderType,
    expMonth: pm.expMonth,
    expYear: pm.expYear,
    funding: pm.funding,
  };
}

export function toUserResponse(u: UserView) {
  return {
    id: u.id,
    platform_id: u.platformId,
    mode: u.mode,
    email: u.email,
    username: u.username,
    bio: u.bio,
    name: u.name,
    firstName: u.firstName,
    lastName: u.lastName,
    image: u.image,
    stripeConnectId: u.stripeConnectId,
    chargesEnabled: u.chargesEnabled,
    detailsSubmitted: u.detailsSubmitted,
    timezone: u.timezone,
    stripeCustomerId: u.stripeCustomerId,
    authenticated: toApiDate(u.authenticated),
    links: u.links.map((l) => ({ id: l.id, label: l.label, url: l.url })),
    paymentMethods: u.paymentMethods.map(toPaymentMethodResponse),
    pendingEmail: u.pendingEmail,
    scheduledDeletion: toApiDate(u.scheduledDeletion),
    suspended: toApiDate(u.suspended),
    role: u.membership?.role ?? "member",
    metafields: u.metafields,
    address: {
      line1: u.addressLine1,
      line2: u.addressLine2,
      city: u.addressCity,
      state: u.addressState,
      postalCode: u.addressPostalCode,
      country: u.addressCountry,
    },
    phoneCountryCode: u.phoneCountryCode,
    phoneNumber: u.phoneNumber,
    accountType: u.accountType,
    businessName: u.businessName,
    locale: u.locale,
    external_id: u.externalId,
    attributes: (u.attributes ?? {}) as Record<string, string | number | boolean | null>,
    canPostListing: u.canPostListing,
    created: toApiDate(u.created),
    updated: toApiDate(u.updated),
  };
}

/** Unique-constraint failures on users, said in the client's terms. */
export class WaitlistNotGrantedError extends PermissionError {
  constructor() {
    super("waitlist_not_granted", "This marketplace is invite-only for now: join the waitlist, and sign in once you have been granted access.");
  }
}

export class UserOutranksYouError extends PermissionError {
  constructor() {
    super("user_role_protected", "Only the platform key, the user themself, or a user of a higher role (an owner, for owners) can change or delete this user.");
  }
}
