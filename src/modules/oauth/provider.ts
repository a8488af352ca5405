import { createPrivateKey } from "node:crypto";
import Provider, { errors, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from "oidc-provider";
import type { Db } from "../../db/client.js";
import { deriveKey } from "../../lib/sealed.js";
import { isGrantableScope, SCOPES } from "../../lib/scopes.js";
import { PostgresAdapter } from "./adapter.js";
import type { AppsService, OAuthClient } from "./apps.service.js";
import { renderErrorPage } from "./pages.js";

/**
 * The OAuth 2 authorization server (oidc-provider), mounted at /oauth (docs/api/oauth.md). One
 * server for every platform: each app (client) belongs to one platform, and the tokens it gets
 * act on that platform only. Its records live in PostgreSQL (adapter.ts); its cookie and signing
 * keys are derived from the server secret (JWT_SECRET), so every node and every restart agree.
 */
export const OAUTH_PREFIX = "/oauth";
export const INTERACTION_PATH = `${OAUTH_PREFIX}/interaction`;

export const ACCESS_TOKEN_TTL = 3600;
export const REFRESH_TOKEN_TTL = 30 * 24 * 3600;

export interface OAuthServerOptions {
  db: Db;
  apps: Pick<AppsService, "clientOf">;
  /** The server secret the keys are derived from. */
  secret: string;
  publicUrl: string;
  trustProxy: boolean;
}

/** The API the tokens are for: the one resource server (RFC 8707) of this authorization server. */
export const apiResource = (publicUrl: string) => `${publicUrl}/v1`;

/** An Ed25519 signing key (ID tokens) from 32 bytes derived from the server secret, as a JWK. */
function signingKey(secret: string) {
  const seed = deriveKey(secret, "oauth id token signing key");
  const pkcs8 = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), seed]);
  const jwk = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({ format: "jwk" });
  return { ...jwk, kid: "candle-oauth-1", alg: "EdDSA", use: "sig" };
}

/** The client metadata oidc-provider validates and uses, from our app row. */
export function clientMetadata(client: OAuthClient): ClientMetadata {
  // A public app (no secret) authenticates with PKCE alone: no client credentials, which would be anyone's who knows its id.
  const isPublic = client.secret === null;
  return {
    client_id: client.id,
    ...(isPublic ? {} : { client_secret: client.secret! }),
    client_name: client.name,
    ...(client.logo ? { logo_uri: client.logo } : {}),
    redirect_uris: client.redirectUris,
    grant_types: isPublic ? ["authorization_code", "refresh_token"] : ["authorization_code", "refresh_token", "client_credentials"],
    response_types: ["code"],
    token_endpoint_auth_method: isPublic ? "none" : "client_secret_basic",
    id_token_signed_response_alg: "EdDSA",
    scope: ["openid", "offline_access", ...client.scopes].join(" "),
    platform_id: client.platform.id,
  };
}

export function createOAuthServer(options: OAuthServerOptions): Provider {
  const { db, apps, secret, publicUrl } = options;
  const resource = apiResource(publicUrl);

  const configuration: Configuration = {
    adapter: (name: string) => {
      if (name !== "Client") return new PostgresAdapter(db, name);
      // Clients are our apps: read (and their secret unsealed) on each lookup; oidc-provider keeps
      // the parsed client while its metadata is unchanged, so a rotated secret applies at once.
      return {
        async find(id: string) {
          const client = await apps.clientOf(id);
          return client ? clientMetadata(client) : undefined;
        },
        upsert: async () => {},
        findByUid: async () => undefined,
        findByUserCode: async () => undefined,
        consume: async () => {},
        destroy: async () => {},
        revokeByGrantId: async () => {},
      };
    },
    extraClientMetadata: { properties: ["platform_id"] },
    // The subject is the user's id; no claims beyond it (the API answers who the user is).
    findAccount: async (_ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
    scopes: ["openid", "offline_access", ...SCOPES],
    claims: { openid: ["sub"] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // An app introspects only its own tokens.
        allowedPolicy: async (ctx, client, token) => ctx.oidc.client?.clientId === client.clientId && token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        // An app revokes only its own tokens.
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId !== client.clientId) throw new errors.InvalidRequest("client is not authorized to revoke the presented token");
          return true;
        },
      },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
      dPoP: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => resource,
        useGrantedResource: async () => true,
        getResourceServerInfo: async (_ctx, indicator, client) => {
          if (indicator !== resource) throw new errors.InvalidTarget(`the only resource is ${resource}`);
          const scope = (client.scope ?? "").split(" ").filter(isGrantableScope).join(" ");
          return { scope, audience: resource, accessTokenTTL: ACCESS_TOKEN_TTL, accessTokenFormat: "opaque" };
        },
      },
    },
    // The code flow only: no implicit or hybrid flow hands a token to the browser.
    responseTypes: ["code"],
    // Authorization codes are bound to a PKCE challenge (S256), always.
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    rotateRefreshToken: true,
    expiresWithSession: async () => false,
    ttl: {
      AccessToken: ACCESS_TOKEN_TTL,
      AuthorizationCode: 60,
      ClientCredentials: ACCESS_TOKEN_TTL,
      IdToken: ACCESS_TOKEN_TTL,
      RefreshToken: REFRESH_TOKEN_TTL,
      Grant: REFRESH_TOKEN_TTL,
      Interaction: 600,
      Session: 600,
    },
    interactions: { url: async (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
    cookies: {
      keys: [deriveKey(secret, "oauth cookies").toString("base64url")],
      long: { signed: true, httpOnly: true, sameSite: "lax" },
      short: { signed: true, httpOnly: true, sameSite: "lax" },
    },
    jwks: { keys: [signingKey(secret)] },
    enabledJWA: { idTokenSigningAlgValues: ["EdDSA"] },
    // Only our own apps: no client sends its own key pairs.
    // `none`: public apps (PKCE is required of every app anyway).
    clientAuthMethods: ["client_secret_basic", "client_secret_post", "none"],
    // A browser may call the token, introspection and revocation endpoints only for a public app,
    // from the origin of one of its redirect URIs (a single-page app); a confidential app's secret never belongs in a browser.
    clientBasedCORS: (_ctx, origin, client) => client.tokenEndpointAuthMethod === "none" && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin),
    renderError: async (ctx: KoaContextWithOIDC, out) => {
      ctx.type = "html";
      ctx.body = renderErrorPage(out.error, out.error_description);
    },
  };

  const provider = new Provider(`${publicUrl}${OAUTH_PREFIX}`, configuration);
  provider.proxy = options.trustProxy;
  return provider;
}
