import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Mode, Role } from "../../generated/prisma/enums.js";
import type { Platform } from "../../generated/prisma/client.js";
import { sha256Hex } from "../../lib/crypto.js";
import { AuthenticationError, UserSuspendedError } from "../../lib/errors.js";
import type { CachedKey, KeyCache } from "./key-cache.js";
import type { SessionCache } from "./session-cache.js";
import type { TokenService } from "./tokens.js";
import type { CredentialsService, KeyIdentity, UserIdentity } from "../../plugins/credentials.js";

/** `cndl_<mode>_<secret>`: the official SDK splits keys on `_`, so the secret has none. */
export const API_KEY_PATTERN = /^cndl_(test|live)_[A-Za-z0-9]{16,128}$/;

export type { CredentialsService, KeyIdentity, UserIdentity };

/**
 * Every request authenticates, so these two lookups are plain SQL: with the `client` engine Prisma
 * compiles each query in Wasm on every call: `apiKey.findUnique({ include: { platform } })` took
 * 1–2 ms of CPU per call, and writing it as SQL took a list-products request from 2.5 to 1.5 ms of
 * server CPU under load (bench/RESULTS.md).
 */
const PLATFORM_COLUMNS = Prisma.raw(`p.id, p.mode::text AS mode, p.name, p.description, p.logo, p.url, p.platform_fee_bps, p.active_subscription,
  p.waitlist_enabled, p.currency, p.created, p.updated`);

interface PlatformRow {
  id: string;
  mode: Mode;
  name: string;
  description: string | null;
  logo: string | null;
  url: string | null;
  platform_fee_bps: number;
  active_subscription: string | null;
  waitlist_enabled: boolean;
  currency: string;
  created: Date;
  updated: Date;
}

function toPlatform(row: PlatformRow): Platform {
  return {
    id: row.id,
    mode: row.mode,
    name: row.name,
    description: row.description,
    logo: row.logo,
    url: row.url,
    platformFeeBps: row.platform_fee_bps,
    activeSubscription: row.active_subscription,
    waitlistEnabled: row.waitlist_enabled,
    currency: row.currency,
    created: row.created,
    updated: row.updated,
  };
}

// lastUsed is informative; writing it on every request would turn every read into a write.
const LAST_USED_RESOLUTION_MS = 60_000;

export function createCredentialsService(deps: { db: Db; tokens: Pick<TokenService, "verifyAccess">; keyCache?: KeyCache; sessionCache?: SessionCache }): CredentialsService {
  const { db, tokens, keyCache, sessionCache } = deps;

  async function lookUpKey(hash: string): Promise<CachedKey | undefined> {
    const cached = keyCache?.get(hash);
    if (cached) return cached;
    const [row] = await db.$queryRaw<(PlatformRow & { key_id: string; key_mode: Mode; revoked: Date | null; last_used: Date | null })[]>`
      SELECT k.id AS key_id, k.mode::text AS key_mode, k.revoked, k.last_used, ${PLATFORM_COLUMNS}
      FROM api_keys k JOIN platforms p ON p.id = k.platform_id
      WHERE k.hash = ${hash}`;
    if (!row) return undefined;
    const key: CachedKey = { apiKeyId: row.key_id, hash, keyMode: row.key_mode, revoked: row.revoked, lastUsed: row.last_used, platform: toPlatform(row) };
    keyCache?.set(key);
    return key;
  }

  return {
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
        db.apiKey.update({ where: { id: key.apiKeyId }, data: { lastUsed: now } }).catch(() => {});
      }
      return { apiKeyId: key.apiKeyId, platform: key.platform };
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
      const [user] = await db.$queryRaw<(PlatformRow & { user_id: string; role: Role | null; suspended: Date | null })[]>`
        SELECT u.id AS user_id, m.role::text AS role, u.suspended, ${PLATFORM_COLUMNS}
        FROM users u JOIN platforms p ON p.id = u.platform_id LEFT JOIN memberships m ON m.user_id = u.id
        WHERE u.id = ${claims.sub} AND u.platform_id = ${claims.pid} AND u.mode = ${claims.mode}::"Mode" AND u.deleted IS NULL
          AND EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = ${claims.sid} AND r.user_id = u.id AND r.revoked IS NULL)`;
      if (!user) throw new AuthenticationError("token_revoked", "The access token's session was revoked or its user no longer exists. Sign in again.");
      // Suspending evicts the user's cached sessions (`user:<id>`), so this read sees it at once.
      if (user.suspended) throw new UserSuspendedError();
      const identity = { userId: user.user_id, sessionId: claims.sid, role: user.role ?? "member", platform: toPlatform(user) };
      sessionCache?.set(identity, mark);
      return identity;
    },
  };
}
