import type { Db } from "../../db/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { sha256Hex } from "../../lib/crypto.js";
import { AuthenticationError, UserSuspendedError } from "../../lib/errors.js";
import { Prisma } from "../../db/client.js";
import { findKeyByHash, markKeyUsed } from "../keys/index.js";
import { PLATFORM_COLUMNS, platformJoin, toPlatform, type PlatformRow } from "../platforms/index.js";
import { findSignedInUser } from "../users/index.js";
import { liveSessionOf } from "./auth.repo.js";
import type { CachedKey, KeyCache } from "./key-cache.js";
import type { SessionCache } from "./session-cache.js";
import type { TokenService } from "./tokens.js";
import type { CredentialsService, KeyIdentity, UserIdentity } from "../../plugins/credentials.js";

/** `cndl_<mode>_<secret>`: the official SDK splits keys on `_`, so the secret has none. */
export const API_KEY_PATTERN = /^cndl_(test|live)_[A-Za-z0-9]{16,128}$/;

export type { CredentialsService, KeyIdentity, UserIdentity };

/**
 * Every request authenticates: each lookup is one plain-SQL statement, made by the owner of the
 * credential's table (keys: the key and its platform; users: the user, role and platform, with the
 * live-session condition from here), and cached (key-cache.ts, session-cache.ts).
 */

// lastUsed is informative; writing it on every request would turn every read into a write.
const LAST_USED_RESOLUTION_MS = 60_000;

export function createCredentialsService(deps: {
  db: Db;
  tokens: Pick<TokenService, "verifyAccess">;
  keyCache?: KeyCache;
  sessionCache?: SessionCache;
  /** OAuth access tokens are the oauth module's (it is wired in after this service exists). */
  accessTokens?: Pick<CredentialsService, "authenticateAccessToken">;
}): CredentialsService {
  const { db, tokens, keyCache, sessionCache } = deps;

  async function lookUpKey(hash: string): Promise<CachedKey | undefined> {
    const cached = keyCache?.get(hash);
    if (cached) return cached;
    const row = await findKeyByHash(db, hash);
    if (!row) return undefined;
    const key: CachedKey = { ...row, hash };
    keyCache?.set(key);
    return key;
  }

  return {
    authenticateAccessToken(token) {
      if (!deps.accessTokens) throw new AuthenticationError("oauth_token_invalid", "Invalid OAuth access token.");
      return deps.accessTokens.authenticateAccessToken(token);
    },

    async authenticateKey(secret, mode) {
      const match = API_KEY_PATTERN.exec(secret);
      if (!match) throw new AuthenticationError("api_key_invalid", "The API key is malformed. Keys look like cndl_test_… or cndl_live_….");
      const keyMode = match[1] as Mode;
      if (mode !== undefined && mode !== keyMode) {
        throw new AuthenticationError("mode_mismatch", `The mode header (${mode}) does not match the key's mode (${keyMode}).`);
      }
      const key = await lookUpKey(sha256Hex(secret));
      if (!key || key.keyMode !== keyMode || key.platform.mode !== keyMode) throw new AuthenticationError("api_key_invalid", "Invalid API key.");
      if (key.revoked) throw new AuthenticationError("api_key_revoked", "This API key has been revoked.");
      const now = new Date();
      if (!key.lastUsed || now.getTime() - key.lastUsed.getTime() > LAST_USED_RESOLUTION_MS) {
        key.lastUsed = now;
        markKeyUsed(db, key.apiKeyId, now).catch(() => {});
      }
      return { apiKeyId: key.apiKeyId, platform: key.platform, scopes: key.scopes.length > 0 ? key.scopes : null };
    },

    async authenticateUser(token) {
      const claims = tokens.verifyAccess(token);
      const cached = sessionCache?.get(claims.sid);
      if (cached && cached.userId === claims.sub && cached.platform.id === claims.pid && cached.platform.mode === claims.mode) {
        return { userId: cached.userId, sessionId: cached.sessionId, role: cached.role, platform: cached.platform };
      }
      const mark = sessionCache?.mark() ?? 0;
      // The session must still be live (revoking a family revokes its access tokens at once), and the
      // role is read from the database, not the token, so a demotion takes effect at once too.
      const user = await findSignedInUser<PlatformRow>(
        db,
        { userId: claims.sub, platformId: claims.pid, mode: claims.mode },
        { platform: { join: platformJoin(Prisma.raw("u.platform_id")), columns: PLATFORM_COLUMNS }, session: liveSessionOf(claims.sid) },
      );
      if (!user) throw new AuthenticationError("token_revoked", "The access token's session was revoked or its user no longer exists. Sign in again.");
      // Suspending evicts the user's cached sessions (`user:<id>`), so this read sees it at once.
      if (user.suspended) throw new UserSuspendedError();
      const identity = { userId: user.user_id, sessionId: claims.sid, role: user.role ?? "member", platform: toPlatform(user) };
      sessionCache?.set(identity, mark);
      return identity;
    },
  };
}
