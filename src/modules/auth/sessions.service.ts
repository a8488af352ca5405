import type { Db, Prisma } from "../../db/client.js";
import type { Platform } from "../../generated/prisma/client.js";
import { randomBase62, sha256Hex } from "../../lib/crypto.js";
import { AuthenticationError, UserSuspendedError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { Clock } from "../../lib/time.js";
import type { UsersService, UserView } from "../users/index.js";
import type { TokenService } from "./tokens.js";

/**
 * Sessions: a short-lived access token plus an opaque, single-use refresh token. Each refresh
 * rotates the refresh token within its family (one sign-in); presenting a token that was already
 * rotated means it leaked, so the whole family is revoked and everyone holding it must sign in again.
 */
export interface Session {
  token: string;
  refreshToken: string;
  expiresIn: number;
  user: UserView;
}

export function createSessionsService(deps: {
  db: Db;
  tokens: Pick<TokenService, "signAccess">;
  users: Pick<UsersService, "view">;
  clock: Clock;
  refreshTokenTtl: number;
  /** Evicts this node's cached copy of a session (other nodes hear the NOTIFY of the revocation). */
  invalidate?: (message: string) => void;
}) {
  const { db, tokens, users, clock } = deps;

  async function newRefreshToken(tx: Prisma.TransactionClient, user: { id: string; platformId: string; mode: Platform["mode"] }, familyId: string): Promise<string> {
    const secret = randomBase62(64);
    await tx.refreshToken.create({
      data: {
        id: newId("refreshToken"),
        platformId: user.platformId,
        mode: user.mode,
        userId: user.id,
        familyId,
        tokenHash: sha256Hex(secret),
        expires: new Date(clock.now().getTime() + deps.refreshTokenTtl * 1000),
      },
    });
    return secret;
  }

  function accessToken(user: UserView, familyId: string) {
    return tokens.signAccess({ userId: user.id, platformId: user.platformId, mode: user.mode, role: user.membership?.role ?? "member", sessionId: familyId });
  }

  return {
    /** A new session (a new family) for a user who just proved who they are. */
    async start(tx: Prisma.TransactionClient, user: UserView): Promise<Session> {
      const familyId = newId("refreshToken");
      const refreshToken = await newRefreshToken(tx, user, familyId);
      const { token, expiresIn } = accessToken(user, familyId);
      return { token, refreshToken, expiresIn, user };
    },

    async refresh(refreshToken: string, platformId: string | null): Promise<Session> {
      const now = clock.now();
      // Every statement goes through `tx`: a pool query from inside the callback would hold this
      // transaction's connection while waiting for a second one, and ten parallel refreshes would
      // drain the pool for every platform. A reuse is committed (the family stays revoked) and only
      // then answered 401, since throwing inside the callback would roll the revocation back.
      const outcome = await db.$transaction(async (tx): Promise<{ reused: true } | { reused: false; session: Session }> => {
        const row = await tx.refreshToken.findUnique({ where: { tokenHash: sha256Hex(refreshToken) } });
        if (!row || (platformId !== null && row.platformId !== platformId)) {
          throw new AuthenticationError("refresh_token_invalid", "The refresh token is not valid.");
        }
        if (row.revoked) throw new AuthenticationError("refresh_token_revoked", "This session was revoked. Sign in again.");
        // Claim the token: only one of concurrent refreshes can rotate it. The others wait on the
        // winner's row lock, then find it rotated — and, like any reuse, revoke the family.
        const claimed = await tx.refreshToken.updateMany({ where: { id: row.id, rotated: null, revoked: null }, data: { rotated: now } });
        if (claimed.count === 0) {
          await tx.refreshToken.updateMany({ where: { familyId: row.familyId, revoked: null }, data: { revoked: now } });
          return { reused: true };
        }
        if (row.expires <= now) throw new AuthenticationError("refresh_token_expired", "The refresh token has expired. Sign in again.");
        const user = await users.view({ platformId: row.platformId, mode: row.mode }, row.userId, tx).catch(() => {
          throw new AuthenticationError("refresh_token_invalid", "The session's user no longer exists.");
        });
        if (user.suspended) throw new UserSuspendedError();
        const next = await newRefreshToken(tx, user, row.familyId);
        const { token, expiresIn } = accessToken(user, row.familyId);
        return { reused: false, session: { token, refreshToken: next, expiresIn, user } };
      });
      if (outcome.reused) {
        throw new AuthenticationError("refresh_token_reused", "This refresh token was already used. The session is revoked for safety: sign in again.");
      }
      return outcome.session;
    },

    /**
     * Signs a user out: the session (the sign-in and its rotations) is revoked, so its refresh
     * token no longer refreshes and its access tokens are refused on their next request — at once
     * on this node, and on the others when they hear the NOTIFY the revocation sends (a trigger on
     * refresh_tokens). Signing out twice is not an error.
     */
    async signOut(userId: string, sessionId: string): Promise<void> {
      await db.refreshToken.updateMany({ where: { familyId: sessionId, userId, revoked: null }, data: { revoked: clock.now() } });
      deps.invalidate?.(`session:${sessionId}`);
    },

    /**
     * After a refresh revoked the session of `refreshToken` (reuse): this node forgets it at once, so
     * the very next request with one of its access tokens is refused; other nodes hear the NOTIFY
     * the revocation sent (a trigger on refresh_tokens).
     */
    async forgetRevoked(refreshToken: string): Promise<void> {
      const row = await db.refreshToken.findUnique({ where: { tokenHash: sha256Hex(refreshToken) }, select: { familyId: true, revoked: true } });
      if (row?.revoked) deps.invalidate?.(`session:${row.familyId}`);
    },
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
