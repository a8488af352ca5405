import { UserSuspendedError } from "../../../lib/errors.js";
import type { Platform } from "../../../generated/prisma/client.js";
import type { Prisma } from "../../../db/client.js";
import { newId } from "../../../lib/ids.js";
import { WaitlistNotGrantedError, type UserView } from "../users.view.js";
import { changed, findUser, type UsersContext } from "./shared.js";

/**
 * The user an email signs in as (created on first sign-in, as a member), with a pending deletion
 * cancelled and `authenticated` set. A new user must have been granted access while the
 * platform's waitlist is on.
 */
export async function signIn(ctx: UsersContext, tx: Prisma.TransactionClient, platform: Platform, email: string, requestId?: string): Promise<UserView> {
  const tenant = { platformId: platform.id, mode: platform.mode, requestId };
  const now = ctx.clock.now();
  const existing = await tx.user.findFirst({
    where: { platformId: platform.id, mode: platform.mode, email, deleted: null },
    select: { id: true, scheduledDeletion: true, suspended: true },
  });
  if (existing?.suspended) throw new UserSuspendedError();
  if (existing) {
    await tx.user.update({ where: { id: existing.id }, data: { authenticated: now, scheduledDeletion: null } });
    // A sign-in alone is activity, not a change worth an event; cancelling a deletion is.
    return existing.scheduledDeletion ? changed(ctx, tx, tenant, existing.id, "user.updated") : findUser(ctx, tx, tenant, existing.id);
  }
  if (platform.waitlistEnabled) {
    if (!(await ctx.isWaitlistGranted(tx, platform.id, email))) throw new WaitlistNotGrantedError();
  }
  const id = newId("user");
  await tx.user.create({
    data: {
      id,
      platformId: platform.id,
      mode: platform.mode,
      email,
      authenticated: now,
      membership: { create: { id: newId("membership"), platformId: platform.id, mode: platform.mode, role: "member" } },
    },
  });
  return changed(ctx, tx, tenant, id, "user.created");
}
