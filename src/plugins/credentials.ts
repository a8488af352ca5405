import type { Role } from "../generated/prisma/enums.js";
import type { Platform } from "../generated/prisma/client.js";

/*
 * What the auth plugin needs to resolve a request's credentials. The plugin declares it and the
 * auth module implements it (createCredentialsService), so the plugin, which every route module
 * uses, depends on no module.
 */

export interface KeyIdentity {
  apiKeyId: string;
  platform: Platform;
  /** A restricted key's scopes; null: unrestricted. */
  scopes: readonly string[] | null;
}

/** An OAuth access token's: the app, the platform, the scopes granted, and the user who granted them (none for client credentials). */
export interface AccessTokenIdentity {
  appId: string;
  platform: Platform;
  scopes: readonly string[];
  user: { userId: string; role: Role; grantId: string } | null;
}

export interface UserIdentity {
  userId: string;
  sessionId: string;
  role: Role;
  platform: Platform;
}

export interface CredentialsService {
  authenticateKey(secret: string, mode?: string): Promise<KeyIdentity>;
  authenticateUser(token: string): Promise<UserIdentity>;
  /** An OAuth access token (opaque: no dots, unlike a user's JWT). */
  authenticateAccessToken(token: string): Promise<AccessTokenIdentity>;
}
