import { enqueue } from "../../../jobs/queue.js";
import { safeEqual } from "../../../lib/crypto.js";
import { AppError, UnprocessableError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { emailChangeNotice } from "../users.emails.js";
import { EMAIL_CODE_MAX_ATTEMPTS, type UserView } from "../users.view.js";
import { changed, manageable, userConflict, type UsersContext } from "./shared.js";

class EmailCodeLockedError extends AppError {
  constructor() {
    super(429, "rate_limit_error", "email_code_attempts_exceeded", "Too many wrong codes. Ask for the email change again.", { param: "token" });
  }
}

/** Applies the pending email when `code` is the one sent to it; the old address is told. */
export async function confirmEmail(ctx: UsersContext, auth: AuthContext, id: string, code: string): Promise<UserView> {
  const current = await manageable(ctx, auth, id);
  const pending = current.pendingEmail;
  const invalid = () => new UnprocessableError("email_code_invalid", "This code is not valid (wrong, expired or already used), or no email change is pending.", "token");
  if (!pending || !current.pendingEmailCodeHash || !current.pendingEmailExpires || current.pendingEmailExpires <= ctx.clock.now()) throw invalid();
  if (current.pendingEmailAttempts >= EMAIL_CODE_MAX_ATTEMPTS) throw new EmailCodeLockedError();
  const hash = current.pendingEmailCodeHash;
  if (!safeEqual(hash, ctx.emailCodeHash(current.id, pending, code))) {
    // Count the guess; the condition keeps parallel guesses from exceeding the limit.
    const counted = await ctx.db.user.updateMany({
      where: { id: current.id, pendingEmailCodeHash: hash, pendingEmailAttempts: { lt: EMAIL_CODE_MAX_ATTEMPTS } },
      data: { pendingEmailAttempts: { increment: 1 } },
    });
    if (counted.count === 0) throw new EmailCodeLockedError();
    throw invalid();
  }
  return ctx.db
    .$transaction(async (tx) => {
      // Single use: of two parallel confirmations, one applies it.
      const applied = await tx.user.updateMany({
        where: { id: current.id, pendingEmailCodeHash: hash, deleted: null },
        data: { email: pending, pendingEmail: null, pendingEmailCodeHash: null, pendingEmailExpires: null, pendingEmailAttempts: 0 },
      });
      if (applied.count === 0) throw invalid();
      if (current.email) await enqueue(tx, "send-email", emailChangeNotice(current.email, pending, auth.platform.name, false), { maxAttempts: 5 });
      return changed(ctx, tx, auth, current.id, "user.updated");
    })
    .catch(userConflict);
}
