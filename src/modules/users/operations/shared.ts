import type { Db } from "../../../db/client.js";
import type { Prisma } from "../../../db/client.js";
import { uniqueViolation } from "../../../db/errors.js";
import type { Tenant } from "../../../db/tenant.js";
import type { Role } from "../../../generated/prisma/enums.js";
import { AppError, ConflictError, NotFoundError, PermissionError } from "../../../lib/errors.js";
import { mayActOn, roleAtLeast } from "../../../lib/roles.js";
import type { Clock } from "../../../lib/time.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { type EventType, recordEvent } from "../../events/index.js";
import type { MediaService } from "../../media/index.js";
import { type PaymentMethodsOf, toUserResponse, userInclude, UserOutranksYouError, type UserView } from "../users.view.js";
import type { Sealed } from "../../../lib/sealed.js";
import { listMetafields } from "../../metafields/index.js";
import { ADMIN_FIELDS, type CreateUserInput } from "../users.schemas.js";

/** What every user operation works with, and the steps they share. */
export interface UsersContext {
  db: Db;
  clock: Clock;
  media: Pick<MediaService, "store" | "retrieve">;
  /** Whether an address was granted a place on the platform's waitlist (the waitlists module answers). */
  isWaitlistGranted: (tx: Prisma.TransactionClient, platformId: string, email: string) => Promise<boolean>;
  /** Evicts this node's cached sessions of a user (other nodes hear the NOTIFY). */
  invalidateLocally: (message: string) => void;
  /** The HMAC of an email confirmation code. */
  emailCodeHash: (userId: string, email: string, code: string) => string;
  /** Seals a job's payload that carries a secret (a confirmation code) under the server secret. */
  seal: (value: unknown) => Sealed;
  /** Users' payment methods, for the user object (the payment-methods module answers). */
  paymentMethodsOf: PaymentMethodsOf;
}

export async function findUser(ctx: Pick<UsersContext, "paymentMethodsOf">, client: Db | Prisma.TransactionClient, tenant: Tenant, id: string): Promise<UserView> {
  const user = await client.user.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode, deleted: null }, include: userInclude });
  if (!user) throw new NotFoundError("user", id, "id");
  return { ...user, paymentMethods: await ctx.paymentMethodsOf(client, [user.id]), metafields: await listMetafields(client, "user", user.id) };
}

/** The user as it is now in `tx`, recorded as the event of the change just made. */
export async function changed(ctx: Pick<UsersContext, "paymentMethodsOf">, tx: Prisma.TransactionClient, tenant: Tenant, id: string, type: EventType): Promise<UserView> {
  const user = await findUser(ctx, tx, tenant, id);
  await recordEvent(tx, { platformId: tenant.platformId, mode: tenant.mode, requestId: tenant.requestId, type, object: toUserResponse(user) });
  return user;
}

/** The target as it is, if `auth` may change or erase it (see `mayActOn`). */
export async function manageable(ctx: UsersContext, auth: AuthContext, id: string): Promise<UserView> {
  const target = await findUser(ctx, ctx.db, auth, id);
  const actor = { viaKey: auth.via === "api_key", userId: auth.user?.id ?? null, role: auth.role };
  if (!mayActOn(actor, { id: target.id, role: target.membership?.role ?? "member" })) throw new UserOutranksYouError();
  return target;
}

export function assertMayGrant(auth: AuthContext, role: Role | undefined): void {
  if (role && role !== "member" && auth.role !== "owner") {
    throw new PermissionError("insufficient_role", "Only an owner can give a role other than member.");
  }
}

/**
 * The profile fields of a create or update as columns: the address's parts, and what only admins
 * and up and the key set (`ADMIN_FIELDS`: 403 `field_forbidden` naming it for anyone else).
 */
export function profileData(auth: AuthContext, input: Partial<CreateUserInput>): ProfileData {
  const { address, external_id, attributes, role: _role, email: _email, metafields: _metafields, ...rest } = input;
  const forbidden = ADMIN_FIELDS.find((f) => input[f] !== undefined);
  if (forbidden && auth.via !== "api_key" && !roleAtLeast(auth.role, "admin")) {
    throw new AppError(403, "permission_error", "field_forbidden", `\`${forbidden}\` is set by the platform's admins and its key.`, { param: forbidden });
  }
  const data: Record<string, unknown> = { ...rest };
  if (address === null) Object.assign(data, { addressLine1: null, addressLine2: null, addressCity: null, addressState: null, addressPostalCode: null, addressCountry: null });
  else if (address) {
    const parts = {
      addressLine1: address.line1,
      addressLine2: address.line2,
      addressCity: address.city,
      addressState: address.state,
      addressPostalCode: address.postalCode,
      addressCountry: address.country,
    };
    for (const [column, value] of Object.entries(parts)) if (value !== undefined) data[column] = value;
  }
  if (external_id !== undefined) data.externalId = external_id;
  if (attributes !== undefined) data.attributes = attributes;
  return data as ProfileData;
}

/** A user's columns a profile change writes (never its id, tenant or email). */
export type ProfileData = Omit<Prisma.UserUncheckedCreateWithoutMembershipInput, "id" | "platformId" | "mode" | "email">;

export function userConflict(err: unknown): never {
  const fields = uniqueViolation(err);
  if (fields?.includes("external_id") || fields?.includes("externalId"))
    throw new ConflictError("external_id_taken", "Another user of this platform has this external_id.", "external_id");
  if (fields?.includes("email")) throw new ConflictError("email_taken", "Another user of this platform has this email.", "email");
  if (fields?.includes("username")) throw new ConflictError("username_taken", "Another user of this platform has this username.", "username");
  throw err;
}
