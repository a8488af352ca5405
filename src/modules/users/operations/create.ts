import { newId } from "../../../lib/ids.js";
import { writeMetafields } from "../../metafields/index.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { CreateUserInput } from "../users.schemas.js";
import type { UserView } from "../users.view.js";
import { assertMayGrant, changed, profileData, userConflict, type UsersContext } from "./shared.js";

export async function create(ctx: UsersContext, auth: AuthContext, input: CreateUserInput): Promise<UserView> {
  assertMayGrant(auth, input.role);
  const { role, metafields } = input;
  const fields = { ...profileData(auth, input), email: input.email };
  const id = newId("user");
  return ctx.db
    .$transaction(async (tx) => {
      await tx.user.create({
        data: {
          id,
          platformId: auth.platformId,
          mode: auth.mode,
          ...fields,
          membership: { create: { id: newId("membership"), platformId: auth.platformId, mode: auth.mode, role: role ?? "member" } },
        },
      });
      if (metafields) await writeMetafields(tx, auth, "user", id, metafields);
      return changed(ctx, tx, auth, id, "user.created");
    })
    .catch(userConflict);
}
