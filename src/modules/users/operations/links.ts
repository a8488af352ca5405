import { NotFoundError, UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { MAX_LINKS, type UserView } from "../users.view.js";
import { changed, manageable, type UsersContext } from "./shared.js";

export async function addLink(ctx: UsersContext, auth: AuthContext, userId: string, link: { label: string; url: string }): Promise<UserView> {
  const tenant = auth;
  await manageable(ctx, auth, userId);
  return ctx.db.$transaction(async (tx) => {
    // Lock the user row so parallel additions cannot pass the cap together.
    const locked = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM users WHERE id = ${userId} AND platform_id = ${tenant.platformId} AND deleted IS NULL FOR UPDATE`;
    if (locked.length === 0) throw new NotFoundError("user", userId, "id");
    const count = await tx.userLink.count({ where: { userId } });
    if (count >= MAX_LINKS) throw new UnprocessableError("too_many_links", `A user can have at most ${MAX_LINKS} links.`, "url");
    await tx.userLink.create({ data: { id: newId("link"), platformId: tenant.platformId, mode: tenant.mode, userId, label: link.label, url: link.url } });
    return changed(ctx, tx, tenant, userId, "user.updated");
  });
}

export async function removeLink(ctx: UsersContext, auth: AuthContext, userId: string, linkId: string): Promise<UserView> {
  const tenant = auth;
  await manageable(ctx, auth, userId);
  return ctx.db.$transaction(async (tx) => {
    const { count } = await tx.userLink.deleteMany({ where: { id: linkId, userId, platformId: tenant.platformId } });
    if (count === 0) throw new NotFoundError("link", linkId, "link_id");
    return changed(ctx, tx, tenant, userId, "user.updated");
  });
}
