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
}
