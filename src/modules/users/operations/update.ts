import { randomInt } from "node:crypto";
import { notifyInvalidation } from "../../../db/invalidation.js";
import { enqueue } from "../../../jobs/queue.js";
import { ConflictError, PermissionError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { roleAtLeast } from "../../../lib/roles.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { writeMetafields } from "../../metafields/index.js";
import { emailChangeCodeEmail, emailChangeNotice } from "../users.emails.js";
import type { UpdateSelfInput, UpdateUserInput } from "../users.schemas.js";
import { EMAIL_CODE_TTL_SECONDS, type UserView } from "../users.view.js";
import { changed, manageable, profileData, userConflict, type UsersContext } from "./shared.js";

/**
 * A change of the user's profile. A new `email` takes effect at once only from the platform key;
 * from anyone else it waits, as `pendingEmail`, for the code sent to it (`confirmEmail`). The old
 * address is told either way.
 */
export async function update(ctx: UsersContext, auth: AuthContext, id: string, input: UpdateUserInput | UpdateSelfInput): Promise<UserView> {
  const current = await manageable(ctx, auth, id);
  const { role, email, metafields } = input as UpdateUserInput;
  const fields = profileData(auth, input);
  if (role !== undefined && role !== (current.membership?.role ?? "member")) {
    if (auth.role !== "owner") throw new PermissionError("insufficient_role", "Only an owner can change roles.");
    // A collaborator's role stays with its collaborator record: promoting it here would leave a reader with write rights behind.
    if (current.membership?.role === "collaborator") {
      throw new ConflictError("collaborator_role_managed", `${current.id} is a collaborator: delete the collaborator (DELETE /v1/collaborators/:id) instead.`, "role");
    }
  }
  const emailChanges = email !== undefined && email !== current.email;
  const direct = auth.via === "api_key";
  // Those who may list users learn at once that the address is taken; a member learns it only
  // on confirming, with the code sent to that address, so members cannot probe for accounts.
  if (emailChanges && !direct && roleAtLeast(auth.role, "admin")) {
    const taken = await ctx.db.user.count({ where: { platformId: auth.platformId, email, id: { not: current.id } } });
    if (taken > 0) throw new ConflictError("email_taken", "Another user of this platform has this email.", "email");
  }
  const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
  const now = ctx.clock.now();
  const platformName = auth.platform.name;
  const updated = await ctx.db
    .$transaction(async (tx) => {
      await tx.user.update({
        where: { id: current.id },
        data: {
          ...fields,
          ...(emailChanges && direct ? { email, pendingEmail: null, pendingEmailCodeHash: null, pendingEmailExpires: null, pendingEmailAttempts: 0 } : {}),
          ...(emailChanges && !direct
            ? {
                pendingEmail: email,
                pendingEmailCodeHash: ctx.emailCodeHash(current.id, email, code),
                pendingEmailExpires: new Date(now.getTime() + EMAIL_CODE_TTL_SECONDS * 1000),
                pendingEmailAttempts: 0,
              }
            : {}),
        },
      });
      if (emailChanges) {
        // The code travels in the job until it is sent, sealed (src/lib/sealed.ts); it is useless after 10 minutes.
        if (!direct) await enqueue(tx, "send-email", ctx.seal(emailChangeCodeEmail(email, code, platformName, EMAIL_CODE_TTL_SECONDS / 60)), { maxAttempts: 5 });
        if (current.email) await enqueue(tx, "send-email", emailChangeNotice(current.email, email, platformName, !direct), { maxAttempts: 5 });
      }
      if (metafields) await writeMetafields(tx, auth, "user", current.id, metafields);
      if (role !== undefined) {
        await tx.membership.upsert({
          where: { userId: current.id },
          update: { role },
          create: { id: newId("membership"), platformId: auth.platformId, mode: auth.mode, userId: current.id, role },
        });
        // Sessions cached with the old role are dropped on every node.
        await notifyInvalidation(tx, `user:${current.id}`);
      }
      return changed(ctx, tx, auth, current.id, "user.updated");
    })
    .catch(userConflict);
  if (role !== undefined) ctx.invalidateLocally(`user:${current.id}`);
  return updated;
}
