import { notifyInvalidation } from "../../../db/invalidation.js";
import { ConflictError, PermissionError } from "../../../lib/errors.js";
import { ROLES } from "../../../lib/roles.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { UserView } from "../users.view.js";
import { changed, findUser, type UsersContext } from "./shared.js";

/** The target, if `auth` is the key or of a strictly higher role (owners do not suspend owners; nobody themself). */
async function suspendable(ctx: UsersContext, auth: AuthContext, id: string): Promise<UserView> {
  const target = await findUser(ctx, ctx.db, auth, id);
  if (auth.via === "api_key") return target;
  const role = target.membership?.role ?? "member";
  if (auth.user?.id === target.id || ROLES.indexOf(auth.role) <= ROLES.indexOf(role)) {
    throw new PermissionError("user_role_protected", "Only the platform key or a user of a strictly higher role can suspend or unsuspend this user (nobody themself).");
  }
  return target;
}

/**
 * `PUT /users/:id/suspend` (key or admin): no sign-in, no session, neither charged nor paid
 * until unsuspended. Stricter than other changes: only the key or a strictly higher role —
 * owners do not suspend owners, nobody suspends themself — and never the last owner not
 * suspended. Suspending a suspended user answers it as it is.
 */
export async function suspend(ctx: UsersContext, auth: AuthContext, id: string): Promise<UserView> {
  const target = await suspendable(ctx, auth, id);
  if (target.suspended) return target;
  const updated = await ctx.db.$transaction(async (tx) => {
    // Owners are counted under a lock on the platform's owner memberships, so two parallel suspensions cannot leave none.
    if ((target.membership?.role ?? "member") === "owner") {
      const owners = await tx.$queryRaw<{ user_id: string }[]>`
        SELECT user_id FROM memberships WHERE platform_id = ${auth.platformId} AND mode = ${auth.mode}::"Mode" AND role = 'owner' FOR UPDATE`;
      const others = owners.map((o) => o.user_id).filter((userId) => userId !== target.id);
      const active = others.length === 0 ? 0 : await tx.user.count({ where: { id: { in: others }, deleted: null, suspended: null } });
      if (active === 0) throw new ConflictError("last_owner", `${target.id} is the platform's last owner who is not suspended: make another owner first.`, "id");
    }
    const { count } = await tx.user.updateMany({ where: { id: target.id, suspended: null, deleted: null }, data: { suspended: ctx.clock.now() } });
    if (count === 0) return findUser(ctx, tx, auth, target.id);
    // Sessions cached as live are dropped on every node: the next request of theirs is refused.
    await notifyInvalidation(tx, `user:${target.id}`);
    return changed(ctx, tx, auth, target.id, "user.suspended");
  });
  ctx.invalidateLocally(`user:${target.id}`);
  return updated;
}

/** `PUT /users/:id/unsuspend`: the same callers; they sign in again (their sessions were never revoked, only refused). */
export async function unsuspend(ctx: UsersContext, auth: AuthContext, id: string): Promise<UserView> {
  const target = await suspendable(ctx, auth, id);
  if (!target.suspended) return target;
  return ctx.db.$transaction(async (tx) => {
    const { count } = await tx.user.updateMany({ where: { id: target.id, suspended: { not: null }, deleted: null }, data: { suspended: null } });
    return count === 0 ? findUser(ctx, tx, auth, target.id) : changed(ctx, tx, auth, target.id, "user.unsuspended");
  });
}
