import { z } from "zod";
import { listOf, pageParams } from "../../lib/pagination.js";
import { apiDate, httpUrl, idParam, modeSchema } from "../../lib/schemas.js";
import { SCOPES } from "../../lib/scopes.js";

export const TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "none"] as const;

export const scopeSchema = z.enum(SCOPES as [string, ...string[]]).describe("A scope (docs/api/oauth.md, Scopes): `<resource>:read` or `<resource>:write`.");

/**
 * Where the OAuth server may send a user back: https, or http on the loopback interface only (a
 * native app's local listener, RFC 8252 §7.3); never with a fragment.
 */
export const redirectUri = z
  .string()
  .max(2048)
  .refine((v) => {
    const url = URL.parse(v);
    if (!url || url.hash || url.username || url.password) return false;
    if (url.protocol === "https:") return true;
    return url.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname);
  }, "must be an https URL (http only for localhost, 127.0.0.1 or [::1]), without a fragment");

export const oauthAppSchema = z
  .object({
    id: z.string().describe("The app's id, which is also its OAuth `client_id`"),
    client_id: z.string(),
    platform_id: z.string(),
    mode: modeSchema,
    name: z.string(),
    logo: z.string().nullable(),
    redirect_uris: z.array(z.string()),
    scopes: z.array(z.string()).describe("The scopes the app may ask users for, and gets with client credentials"),
    token_endpoint_auth_method: z
      .enum(TOKEN_ENDPOINT_AUTH_METHODS)
      .describe("`client_secret_basic`: a confidential app, with a secret; `none`: a public app (single-page or mobile), with no secret: PKCE only, no client credentials"),
    secret_last4: z.string().nullable().describe("The secret's last four characters, to tell secrets apart; null for a public app"),
    created: apiDate,
    updated: apiDate,
  })
  .meta({ id: "OAuthApp" });

export const createdOAuthAppSchema = oauthAppSchema
  .extend({ client_secret: z.string().nullable().describe("The app's secret. Shown only in this answer (and when rotated): store it now. Null for a public app, which has none.") })
  .meta({ id: "CreatedOAuthApp" });

const appFields = {
  name: z.string().trim().min(1).max(100),
  logo: httpUrl.nullable().optional().describe("The app's logo, shown on the consent page"),
  redirect_uris: z.array(redirectUri).min(1).max(10),
  scopes: z.array(scopeSchema).min(1).max(SCOPES.length),
};

export const createAppBody = z
  .object({
    ...appFields,
    token_endpoint_auth_method: z
      .enum(TOKEN_ENDPOINT_AUTH_METHODS)
      .default("client_secret_basic")
      .describe(
        "How the app authenticates at the token endpoint (RFC 7591): `client_secret_basic` (default) gets a secret; `none` registers a public app — a single-page or mobile app that cannot keep a secret — which uses the authorization code flow with PKCE only (no client credentials). Fixed once registered",
      ),
  })
  .strict();
export const updateAppBody = z.object(appFields).partial().strict();

export const appPlatformParams = z.object({ id: idParam("platform") }).strict();
export const appParams = z.object({ id: idParam("platform"), app_id: idParam("OAuth app") }).strict();
export const listAppsQuery = z.object({ ...pageParams }).strict();
export const appListSchema = listOf(oauthAppSchema);
export const deletedAppSchema = z.object({ id: z.string(), deleted: z.literal(true) }).meta({ id: "DeletedOAuthApp" });
