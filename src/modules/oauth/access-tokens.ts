import type Provider from "oidc-provider";
import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { AuthenticationError, UserSuspendedError } from "../../lib/errors.js";
import { isGrantableScope } from "../../lib/scopes.js";
import type { AccessTokenIdentity } from "../../plugins/credentials.js";
import { findSignedInUser } from "../users/index.js";
import type { AppsService } from "./apps.service.js";
import { apiResource } from "./provider.js";

/**
 * The API's side of OAuth: an access token sent as `Authorization: Bearer` is looked up in the
 * OAuth server's store on every request (no cache: a revocation, an app deleted or a user
 * suspended applies to the next request), and must be for this API, of an app that still exists,
 * for a user who still belongs to the app's platform.
 */
export function createAccessTokenAuthenticator(deps: { db: Db; provider: Provider; apps: Pick<AppsService, "clientOf">; publicUrl: string }) {
  const { db, provider, apps } = deps;
  const resource = apiResource(deps.publicUrl);
  const invalid = () => new AuthenticationError("oauth_token_invalid", "The OAuth access token is unknown, expired or revoked. Get a new one from the token endpoint.");

  return async function authenticateAccessToken(token: string): Promise<AccessTokenIdentity> {
    if (token.length > 512) throw invalid();
    const found = (await provider.AccessToken.find(token)) ?? (await provider.ClientCredentials.find(token));
    if (!found || found.isExpired || found.aud !== resource) throw invalid();
    const client = await apps.clientOf(found.clientId!);
    if (!client) throw invalid();
    const scopes = (found.scope ?? "").split(" ").filter(isGrantableScope);
    const accountId = "accountId" in found ? (found.accountId as string | undefined) : undefined;
    if (!accountId) return { appId: client.id, platform: client.platform, scopes, user: null };
    const user = await findSignedInUser(
      db,
      { userId: accountId, platformId: client.platform.id, mode: client.platform.mode },
      { platform: { join: Prisma.empty, columns: Prisma.sql`1 AS one` }, session: Prisma.sql`TRUE` },
    );
    if (!user) throw invalid();
    if (user.suspended) throw new UserSuspendedError();
    const grantId = "grantId" in found ? String(found.grantId) : "";
    return { appId: client.id, platform: client.platform, scopes, user: { userId: user.user_id, role: user.role ?? "member", grantId } };
  };
}
