import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { Mode, Role } from "../../generated/prisma/enums.js";
import { notifyInvalidation } from "../../db/invalidation.js";

/**
 * What other modules read of the users tables (`users`, `memberships`): a user of the tenant who
 * is not erased, and nothing else of the person than asked for.
 */

type Client = Db | Tx;

/** The user (not erased) of this tenant, with the fields the callers need; null when there is none. */
export async function findActiveUser(
  client: Client,
  tenant: Tenant,
  id: string,
): Promise<{ id: string; email: string | null; name: string | null; timezone: string; suspended: Date | null; canPostListing: boolean } | null> {
  return client.user.findFirst({
    where: { id, platformId: tenant.platformId, mode: tenant.mode, deleted: null },
    select: { id: true, email: true, name: true, timezone: true, suspended: true, canPostListing: true },
  });
}

/** Whether the tenant has this user, erased or not (a 404 for an unknown one). */
export async function userOfTenantExists(client: Client, tenant: Tenant, id: string): Promise<boolean> {
  return (await client.user.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode }, select: { id: true } })) !== null;
}

/** The user's email and whether they were erased; null when there is no such user. */
export async function emailOf(client: Client, id: string): Promise<{ email: string | null; deleted: Date | null } | null> {
  return client.user.findUnique({ where: { id }, select: { email: true, deleted: true } });
}

/** The emails of those of `ids` that are not erased. */
export async function activeEmailsOf(client: Client, ids: readonly string[]): Promise<{ id: string; email: string | null }[]> {
  return client.user.findMany({ where: { id: { in: [...ids] }, deleted: null }, select: { id: true, email: true } });
}

/** Those of `ids` that are users (not erased) of this tenant. */
export async function findActiveUsers(client: Client, tenant: Tenant, ids: readonly string[]): Promise<{ id: string; email: string | null; name: string | null }[]> {
  return client.user.findMany({ where: { id: { in: [...ids] }, platformId: tenant.platformId, mode: tenant.mode, deleted: null }, select: { id: true, email: true, name: true } });
}

/** The user's membership of the tenant's platform (role and since when); null when not a member. */
export async function findMembership(client: Client, tenant: Tenant, userId: string): Promise<{ userId: string; role: Role; created: Date } | null> {
  const user = await client.user.findFirst({
    where: { id: userId, platformId: tenant.platformId, mode: tenant.mode, deleted: null },
    select: { id: true, membership: true },
  });
  return user?.membership ? { userId: user.id, role: user.membership.role, created: user.membership.created } : null;
}

export interface LockedUser {
  id: string;
  stripe_customer_id: string | null;
  stripe_connect_id: string | null;
}

/**
 * Locks a user's row until the transaction ends, so writes that must see each other — the user's
 * Stripe ids, which payment method is the default — happen one after the other. Null when the user
 * is not there (or was erased).
 */
export async function lockUserRow(tx: Prisma.TransactionClient, userId: string): Promise<LockedUser | null> {
  const rows = await tx.$queryRaw<LockedUser[]>`
    SELECT id, stripe_customer_id, stripe_connect_id FROM users WHERE id = ${userId} AND deleted IS NULL FOR UPDATE`;
  return rows[0] ?? null;
}

/** What a settlement needs of its payers and payees: their gateway ids and Connect status. */
export async function settlementPartiesOf(
  tx: Tx,
  platformId: string,
  ids: readonly string[],
): Promise<{ id: string; deleted: Date | null; suspended: Date | null; stripeCustomerId: string | null; stripeConnectId: string | null; chargesEnabled: boolean }[]> {
  return tx.user.findMany({
    where: { id: { in: [...ids] }, platformId },
    select: { id: true, deleted: true, suspended: true, stripeCustomerId: true, stripeConnectId: true, chargesEnabled: true },
  });
}

/** The platform's owners and admins, the longest-standing first. */
export async function platformAdmins(client: Client, platformId: string): Promise<string[]> {
  const rows = await client.membership.findMany({ where: { platformId, role: { in: ["owner", "admin"] } }, select: { userId: true }, orderBy: { created: "asc" } });
  return rows.map((m) => m.userId);
}

/**
 * The signed-in user a token names, with their role and suspension, in the one statement every token-authenticated
 * request makes (plain SQL, like the key lookup in keys.repo.ts). The auth module brings the rest of
 * the statement from the other owners, on the user row `u`: `platform`, the platforms module's join
 * and columns; `session`, its own condition that the token's session is live. Null when any fails.
 */
export async function findSignedInUser<Extra>(
  db: Db,
  who: { userId: string; platformId: string; mode: Mode },
  parts: { platform: { join: Prisma.Sql; columns: Prisma.Sql }; session: Prisma.Sql },
): Promise<(Extra & { user_id: string; role: Role | null; suspended: Date | null }) | null> {
  const [row] = await db.$queryRaw<(Extra & { user_id: string; role: Role | null; suspended: Date | null })[]>`
    SELECT u.id AS user_id, m.role::text AS role, u.suspended, ${parts.platform.columns}
    FROM users u ${parts.platform.join} LEFT JOIN memberships m ON m.user_id = u.id
    WHERE u.id = ${who.userId} AND u.platform_id = ${who.platformId} AND u.mode = ${who.mode}::"Mode" AND u.deleted IS NULL
      AND ${parts.session}`;
  return row ?? null;
}

/*
 * The users of the collaborators module (docs/api/collaborators.md): users of the `collaborator`
 * role, made and switched on or off only through it.
 */

/** The user (not erased) of the tenant with this email, with their role and suspension. */
export async function userWithEmail(client: Client, tenant: Tenant, email: string): Promise<{ id: string; role: Role; suspended: Date | null } | null> {
  const user = await client.user.findFirst({
    where: { platformId: tenant.platformId, mode: tenant.mode, email: { equals: email, mode: "insensitive" }, deleted: null },
    select: { id: true, suspended: true, membership: { select: { role: true } } },
  });
  return user ? { id: user.id, role: user.membership?.role ?? "member", suspended: user.suspended } : null;
}

/** A new user of the `collaborator` role; its id. */
export async function createCollaboratorUser(tx: Tx, tenant: Tenant, input: { id: string; membershipId: string; email: string; name: string | null }): Promise<string> {
  await tx.user.create({
    data: {
      id: input.id,
      platformId: tenant.platformId,
      mode: tenant.mode,
      email: input.email.toLowerCase(),
      name: input.name,
      membership: { create: { id: input.membershipId, platformId: tenant.platformId, mode: tenant.mode, role: "collaborator" } },
    },
  });
  return input.id;
}

/**
 * Switches a collaborator's user on (unsuspended) or off (suspended: no sign-in, its sessions refused at once on every node,
 * through the `user:<id>` invalidation). Only a user of the `collaborator` role is touched.
 */
export async function setCollaboratorUserActive(tx: Tx, userId: string, active: boolean, now: Date): Promise<void> {
  const { count } = await tx.user.updateMany({
    where: { id: userId, deleted: null, membership: { role: "collaborator" } },
    data: { suspended: active ? null : now },
  });
  if (count > 0 && !active) await notifyInvalidation(tx, `user:${userId}`);
}

/** Which of these usernames are taken on the platform. */
export async function takenUsernames(client: Client, platformId: string, candidates: readonly string[]): Promise<Set<string>> {
  const rows = await client.user.findMany({ where: { platformId, username: { in: [...candidates] } }, select: { username: true } });
  return new Set(rows.flatMap((u) => (u.username === null ? [] : [u.username])));
}

/*
 * The payment gateway's ids and Connect status on a user row: the payment-methods, bank-accounts
 * and stripe-webhooks modules keep them through these.
 */

const ACCOUNT_FIELDS = {
  id: true,
  platformId: true,
  mode: true,
  stripeConnectId: true,
  chargesEnabled: true,
  detailsSubmitted: true,
  payoutSchedule: true,
  bankLast4: true,
} as const;

/** The user as the bank-accounts module renders it: ids, Connect account and payout fields. */
export type UserAccountFields = Prisma.UserGetPayload<{ select: typeof ACCOUNT_FIELDS }>;

export async function setStripeCustomerId(tx: Tx, userId: string, customerId: string): Promise<void> {
  await tx.user.update({ where: { id: userId }, data: { stripeCustomerId: customerId } });
}

export async function stripeCustomerIdOf(client: Client, userId: string): Promise<string | null> {
  const user = await client.user.findUnique({ where: { id: userId }, select: { stripeCustomerId: true } });
  return user?.stripeCustomerId ?? null;
}

/** The gateway customer of each of these users (null when they have none). */
export async function stripeCustomerIdsOf(client: Client, userIds: readonly string[]): Promise<Map<string, string | null>> {
  const rows = await client.user.findMany({ where: { id: { in: [...userIds] } }, select: { id: true, stripeCustomerId: true } });
  return new Map(rows.map((u) => [u.id, u.stripeCustomerId]));
}

/** The users (not erased) whose gateway customer this is, in id order. */
export async function usersOfStripeCustomer(tx: Tx, customerId: string): Promise<{ id: string; platformId: string; mode: Mode }[]> {
  return tx.user.findMany({ where: { stripeCustomerId: customerId, deleted: null }, select: { id: true, platformId: true, mode: true }, orderBy: { id: "asc" } });
}

/** A payment's buyer: the user named (on that platform when given), else the first user of its customer. */
export async function payingUser(
  tx: Tx,
  named: { userId?: string; platformId?: string; customerId?: string | null },
): Promise<{ id: string; platformId: string; mode: Mode } | null> {
  const select = { id: true, platformId: true, mode: true } as const;
  if (named.userId) {
    const user = await tx.user.findFirst({ where: { id: named.userId, ...(named.platformId ? { platformId: named.platformId } : {}) }, select });
    if (user) return user;
  }
  if (!named.customerId) return null;
  return tx.user.findFirst({ where: { stripeCustomerId: named.customerId }, select, orderBy: { created: "asc" } });
}

export async function setStripeConnectId(tx: Tx, userId: string, accountId: string): Promise<UserAccountFields> {
  return tx.user.update({ where: { id: userId }, data: { stripeConnectId: accountId }, select: ACCOUNT_FIELDS });
}

/** The user no longer has a Connect account (it was deleted): its id and what Stripe said of it are cleared. */
export async function clearConnectAccount(tx: Tx, userId: string): Promise<UserAccountFields> {
  return tx.user.update({
    where: { id: userId },
    data: { stripeConnectId: null, chargesEnabled: false, detailsSubmitted: false, bankLast4: null, payoutSchedule: Prisma.DbNull, connectAccountsDeleted: { increment: 1 } },
    select: ACCOUNT_FIELDS,
  });
}

/** The users (not erased) of a Connect account, in id order. */
export async function usersOfConnectAccount(tx: Tx, accountId: string): Promise<UserAccountFields[]> {
  return tx.user.findMany({ where: { stripeConnectId: accountId, deleted: null }, select: ACCOUNT_FIELDS, orderBy: { id: "asc" } });
}

export async function setConnectStatus(
  tx: Tx,
  userId: string,
  status: { chargesEnabled: boolean; detailsSubmitted: boolean; bankLast4: string | null; payoutSchedule: Prisma.InputJsonValue | null },
): Promise<UserAccountFields> {
  return tx.user.update({
    where: { id: userId },
    data: { ...status, payoutSchedule: status.payoutSchedule ?? Prisma.DbNull },
    select: ACCOUNT_FIELDS,
  });
}

/** Whether `email` is an owner of the platform (any mode): host billing checks who a platform's plan may be paid by. Runs in the system scope. */
export async function isPlatformOwner(client: Client, platformId: string, email: string): Promise<boolean> {
  const owner = await client.user.findFirst({
    where: { platformId, email: { equals: email, mode: "insensitive" }, deleted: null, membership: { role: "owner" } },
    select: { id: true },
  });
  return owner !== null;
}

/** A user's Connect account (payouts): null when there is no such user (erased included). */
export async function connectAccountOf(
  client: Client,
  tenant: Tenant,
  id: string,
): Promise<{ id: string; stripeConnectId: string | null; suspended: Date | null; payoutSchedule: Prisma.JsonValue } | null> {
  return client.user.findFirst({
    where: { id, platformId: tenant.platformId, mode: tenant.mode, deleted: null },
    select: { id: true, stripeConnectId: true, suspended: true, payoutSchedule: true },
  });
}
