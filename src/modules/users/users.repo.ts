import type { Db } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { Role } from "../../generated/prisma/enums.js";

/**
 * What other modules read of the users tables (`users`, `memberships`): a user of the tenant who
 * is not erased, and nothing else of the person than asked for.
 */

type Client = Db | Tx;

/** The user (not erased) of this tenant, with the fields the callers need; null when there is none. */
export async function findActiveUser(client: Client, tenant: Tenant, id: string): Promise<{ id: string; email: string | null; name: string | null; timezone: string } | null> {
  return client.user.findFirst({
    where: { id, platformId: tenant.platformId, mode: tenant.mode, deleted: null },
    select: { id: true, email: true, name: true, timezone: true },
  });
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

/** Which of these usernames are taken on the platform. */
export async function takenUsernames(client: Client, platformId: string, candidates: readonly string[]): Promise<Set<string>> {
  const rows = await client.user.findMany({ where: { platformId, username: { in: [...candidates] } }, select: { username: true } });
  return new Set(rows.flatMap((u) => (u.username === null ? [] : [u.username])));
}
