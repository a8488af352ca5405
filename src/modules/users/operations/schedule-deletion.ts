import type { AuthContext } from "../../../plugins/auth.js";
import { DELETION_GRACE_DAYS, type UserView } from "../users.view.js";
import { changed, findUser, manageable, type UsersContext } from "./shared.js";

/** Deletion 30 days from now; signing in before then cancels it. Asking again keeps the first date. */
export async function scheduleDeletion(ctx: UsersContext, auth: AuthContext, id: string): Promise<UserView> {
  const tenant = auth;
  const current = await manageable(ctx, auth, id);
  if (current.scheduledDeletion) return current;
  const when = new Date(ctx.clock.now().getTime() + DELETION_GRACE_DAYS * 86_400_000);
  return ctx.db.$transaction(async (tx) => {
    const { count } = await tx.user.updateMany({ where: { id: current.id, scheduledDeletion: null, deleted: null }, data: { scheduledDeletion: when } });
    return count === 1 ? changed(ctx, tx, tenant, current.id, "user.deletion_scheduled") : findUser(ctx, tx, tenant, current.id);
  });
}
