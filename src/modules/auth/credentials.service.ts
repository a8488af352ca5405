import type { Db } from "../../db/client.js";
import type { Mode, Role } from "../../generated/prisma/enums.js";
import type { Platform } from "../../generated/prisma/client.js";
import { sha256Hex } from "../../lib/crypto.js";
import { AuthenticationError } from "../../lib/errors.js";
import type { TokenService } from "./tokens.js";

/** `cndl_<mode>_<secret>`: the official SDK splits keys on `_`, so the secret has none. */
export const API_KEY_PATTERN = /^cndl_(test|live)_[A-Za-z0-9]{16,128}$/;

export interface KeyIdentity {
  apiKeyId: string;
  platform: Platform;
}

export interface UserIdentity {
  userId: string;
  role: Role;
  platform: Platform;
}

export interface CredentialsService {
  authenticateKey(secret: string, mode?: string): Promise<KeyIdentity>;
  authenticateUser(token: string): Promise<UserIdentity>;
}

// lastUsed is informative; writing it on every request would turn every read into a write.
const LAST_USED_RESOLUTION_MS = 60_000;

export function createCredentialsService(deps: { db: Db; tokens: Pick<TokenService, "verifyAccess"> }): CredentialsService {
  const { db, tokens } = deps;
  return {
    async authenticateKey(secret, mode) {
      const match = API_KEY_PATTERN.exec(secret);
      if (!match) throw new AuthenticationError("The API key is malformed. Keys look like cndl_test_… or cndl_live_….", "api_key_invalid");
      const keyMode = match[1] as Mode;
      if (mode !== undefined && mode !== keyMode) {
        throw new AuthenticationError(`The mode header (${mode}) does not match the key's mode (${keyMode}).`, "mode_mismatch");
      }
      const key = await db.apiKey.findUnique({ where: { hash: sha256Hex(secret) }, include: { platform: true } });
      if (!key || key.mode !== keyMode || key.platform.mode !== keyMode) throw new AuthenticationError("Invalid API key.", "api_key_invalid");
      if (key.revoked) throw new AuthenticationError("This API key has been revoked.", "api_key_revoked");
      if (!key.lastUsed || Date.now() - key.lastUsed.getTime() > LAST_USED_RESOLUTION_MS) {
        db.apiKey.update({ where: { id: key.id }, data: { lastUsed: new Date() } }).catch(() => {});
      }
      return { apiKeyId: key.id, platform: key.platform };
    },

    async authenticateUser(token) {
      const claims = tokens.verifyAccess(token);
      const user = await db.user.findFirst({
        where: { id: claims.sub, platformId: claims.pid, mode: claims.mode, deleted: null },
        select: { id: true, membership: { select: { role: true } }, platform: true },
      });
      if (!user) throw new AuthenticationError("The access token's user no longer exists.", "token_invalid");
      // The role is read from the database, not the token, so a demotion takes effect at once.
      return { userId: user.id, role: user.membership?.role ?? "member", platform: user.platform };
    },
  };
}
