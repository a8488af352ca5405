import type { AuthContext } from "../../../plugins/auth.js";
import type { ImageSource } from "../../media/index.js";
import type { UserView } from "../users.view.js";
import { changed, manageable, type UsersContext } from "./shared.js";

export async function setImage(ctx: UsersContext, auth: AuthContext, id: string, source: ImageSource): Promise<UserView> {
  await manageable(ctx, auth, id);
  const tenant = { platformId: auth.platformId, mode: auth.mode };
  const stored =
    "file" in source
      ? await ctx.media.store({ ...tenant, userId: id, filename: source.file.filename, data: source.file.data })
      : await ctx.media.retrieve({ ...tenant, id: source.mediaId });
  return ctx.db.$transaction(async (tx) => {
    await tx.user.update({ where: { id }, data: { image: stored.url } });
    return changed(ctx, tx, auth, id, "user.updated");
  });
}
