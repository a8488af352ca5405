import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Mode, Role } from "../generated/prisma/enums.js";
import type { Platform } from "../generated/prisma/client.js";
import { asSystem, enterTenant, newScope, runInScope, type Scope } from "../db/tenant.js";
import { AppError, AuthenticationError, PermissionError } from "../lib/errors.js";
import { roleAtLeast } from "../lib/roles.js";
import { scopeFor } from "../lib/scopes.js";
import type { CredentialsService } from "./credentials.js";
import type { RateLimiter } from "./rate-limit.js";

/**
 * Who is calling (docs/authorization.md), decided once per request before anything else runs.
 *
 * - A platform key (`Authorization: Bearer cndl_…`, or the SDK's `api_key` + `mode` headers) acts
 *   with owner rights on its platform; a user token sent with it names the signed-in user.
 * - A user token alone acts with the user's role.
 * - An OAuth access token (docs/api/oauth.md) acts for the user who granted it, with their role,
 *   or, from client credentials, for its app as an admin; either way only within its scopes.
 * - A restricted key acts as the key, only within its scopes. Scopes (src/lib/scopes.ts) narrow
 *   roles, never widen them: each route's scope is `config.scope`, or derived from its path.
 * - Each route declares `config.auth`: `"public"`, or `{ role?, user? }` (`user: true` for the
 *   `/auth` routes of the signed-in user). A route that declares nothing needs credentials.
 */
export type RouteAuth = "public" | { role?: Role; user?: boolean };

export interface AuthContext {
  platform: Platform;
  platformId: string;
  mode: Mode;
  /** `app`: an OAuth app's own token (client credentials), acting as an admin of its platform. */
  via: "api_key" | "user" | "app";
  apiKeyId: string | null;
  /** The OAuth app a token was issued to. */
  appId: string | null;
  /** What a restricted key or an OAuth token may reach (src/lib/scopes.ts); null: not restricted. */
  scopes: readonly string[] | null;
  /** The signed-in user, when a user token was sent, and the session (sign-in) the token belongs to. */
  user: { id: string; role: Role; sessionId: string } | null;
  /** The rights this request acts with. */
  role: Role;
  /** The request's id, recorded on the events its changes cause. */
  requestId: string;
  /**
   * Set when a user of the `collaborator` role calls a route it may read (src/modules/collaborators/access.ts):
   * its view permissions, which every answer is redacted by. `role` is then the rights the route reads with.
   */
  collaborator?: { id: string | null; permissions: Readonly<Record<string, boolean>> };
}

declare module "fastify" {
  interface FastifyContextConfig {
    auth?: RouteAuth;
    /** false for infrastructure routes (health, docs) that are never rate limited. */
    rateLimit?: boolean;
    /**
     * `"system"`: a public route whose work is cross-tenant by nature (a provider's webhook, a signed
     * URL, a lookup by token hash) runs in the system scope (docs/tenancy.md lists them).
     */
    tenant?: "system";
    /** The route reads its own credentials (the OAuth server's client authentication, `Basic`): the plugin does not look at them. */
    ownCredentials?: boolean;
    /** The scope a restricted credential needs here, when it is not the one derived from the path (src/lib/scopes.ts). */
    scope?: string;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
    /** The tenant scope the request's queries run in (src/db/tenant.ts). */
    tenantScope: Scope | null;
  }
}

export interface AuthPluginOptions {
  credentials: CredentialsService;
  /**
   * Narrows a user of the `collaborator` role before the route's role is checked: refuses what it
   * may not call, or sets the rights it reads with (src/modules/collaborators/access.ts).
   */
  restrictCollaborator?: (request: FastifyRequest, context: AuthContext) => Promise<void>;
  limiter: RateLimiter;
  limits: { perCredential: number; perAddress: number };
}

interface Presented {
  key?: string;
  token?: string;
  mode?: string;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function presentedCredentials(request: FastifyRequest): Presented {
  const authorization = header(request, "authorization");
  const apiKey = header(request, "api_key")?.trim();
  const mode = header(request, "mode")?.trim();
  let bearer: string | undefined;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match) throw new AuthenticationError("authorization_malformed", "The Authorization header must be `Bearer <key or token>`.");
    bearer = match[1];
  }
  const bearerIsKey = bearer?.startsWith("cndl_") ?? false;
  if (apiKey && bearerIsKey && apiKey !== bearer) {
    throw new AuthenticationError("conflicting_credentials", "Two different API keys were sent (api_key header and Authorization).");
  }
  if (mode !== undefined && mode !== "test" && mode !== "live") {
    throw new AuthenticationError("mode_invalid", "The mode header must be `test` or `live`.");
  }
  return { key: apiKey || (bearerIsKey ? bearer : undefined), token: bearerIsKey ? undefined : bearer, mode };
}

const clientAddress = (request: FastifyRequest) => `ip:${request.ip}`;

async function authPlugin(app: FastifyInstance, options: AuthPluginOptions): Promise<void> {
  const { credentials, limiter, limits } = options;
  app.decorateRequest("auth", null);
  app.decorateRequest("tenantScope", null);

  // Every request runs in a tenant scope of its own, empty (seeing no tenant rows) until the
  // request's tenant is known: from its credentials below, or from the platform a public route
  // names (PlatformsService.resolvePublic). Entered with callback hooks so that the rest of the
  // lifecycle runs inside it; entered again once the body is read, as the body's stream events
  // arrive outside it.
  app.addHook("onRequest", (request, _reply, done) => {
    const scope = newScope();
    scope.system = request.routeOptions.config.tenant === "system";
    request.tenantScope = scope;
    runInScope(scope, done);
  });
  app.addHook("preValidation", (request, _reply, done) => {
    runInScope(request.tenantScope ?? newScope(), done);
  });

  // Fail closed: an API route that forgets to declare its access needs credentials. Routes
  // outside /v1 (health, docs, media files) are public unless they say otherwise.
  app.addHook("onRoute", (route) => {
    const fallback: RouteAuth = route.url.startsWith("/v1/") ? {} : "public";
    route.config = { ...(route.config ?? {}), auth: route.config?.auth ?? fallback } as typeof route.config;
    if (route.config?.tenant === "system" && route.config.auth !== "public") {
      throw new Error(`${route.url}: only a public route may run in the system tenant scope`);
    }
  });

  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config;
    const limited = config.rateLimit !== false;
    const routeAuth: RouteAuth = config.auth ?? "public";

    let context: AuthContext | null;
    try {
      // Keys are found by their hash, sessions by their id: before the platform is known.
      context = config.ownCredentials ? null : await asSystem(() => resolve(request));
    } catch (err) {
      // Failed attempts count against the caller's address, which caps key and token guessing.
      if (limited) await limiter.consume(request, reply, clientAddress(request), limits.perAddress);
      throw err;
    }

    if (limited) {
      if (context) {
        const bucket = context.user ? `user:${context.user.id}` : context.apiKeyId ? `key:${context.apiKeyId}` : `app:${context.appId}`;
        await limiter.consume(request, reply, bucket, limits.perCredential);
      } else {
        await limiter.consume(request, reply, clientAddress(request), limits.perAddress);
      }
    }
    request.auth = context;
    if (context) enterTenant(context, request.tenantScope ?? undefined);

    if (routeAuth === "public") return;
    if (!context) {
      throw new AuthenticationError(
        "credentials_missing",
        "No credentials. Send your platform key as `Authorization: Bearer cndl_…` (or `api_key` and `mode` headers), or a user token.",
      );
    }
    // Fail closed: without the narrowing step a collaborator is refused everything that needs credentials.
    if (context.user?.role === "collaborator" && context.via !== "api_key") {
      if (!options.restrictCollaborator) throw new PermissionError("collaborator_read_only", "A collaborator only reads what its permissions allow.");
      await options.restrictCollaborator(request, context);
    }
    if (routeAuth.user && !context.user) {
      throw new AuthenticationError("user_token_required", "This route acts for a signed-in user: send the user's token as `Authorization: Bearer <token>`.");
    }
    if (routeAuth.role && !roleAtLeast(context.role, routeAuth.role)) {
      throw new PermissionError("insufficient_role", `This needs the ${routeAuth.role} role or higher on the platform.`);
    }
    if (context.scopes) {
      const needed = config.scope ?? scopeFor(request.method, request.routeOptions.url ?? "");
      if (needed && !context.scopes.includes(needed)) throw insufficientScope(needed, context.via !== "api_key");
    }
  });

  function insufficientScope(scope: string, bearerToken: boolean): AppError {
    return new AppError(403, "permission_error", "insufficient_scope", `This needs the \`${scope}\` scope, which this ${bearerToken ? "access token" : "key"} was not given.`, {
      extra: { scope },
      // RFC 6750 §3: what an OAuth client reads to learn which scope to ask for.
      headers: bearerToken ? { "www-authenticate": `Bearer error="insufficient_scope", scope="${scope}"` } : undefined,
    });
  }

  const resolveAccessToken = (request: FastifyRequest, presented: Presented) => resolveAccessTokenWith(credentials, request, presented);

  async function resolve(request: FastifyRequest): Promise<AuthContext | null> {
    const presented = presentedCredentials(request);
    if (!presented.key && !presented.token) return null;
    if (presented.token && !presented.token.includes(".")) return resolveAccessToken(request, presented);

    const key = presented.key ? await credentials.authenticateKey(presented.key, presented.mode) : undefined;
    const user = presented.token ? await credentials.authenticateUser(presented.token) : undefined;
    if (key && user && key.platform.id !== user.platform.id) {
      throw new AuthenticationError("platform_mismatch", "The user token belongs to another platform than the API key.");
    }
    const platform = key?.platform ?? user!.platform;
    if (!key && presented.mode !== undefined && presented.mode !== platform.mode) {
      throw new AuthenticationError("mode_mismatch", `The mode header (${presented.mode}) does not match the platform's mode (${platform.mode}).`);
    }
    return {
      platform,
      platformId: platform.id,
      mode: platform.mode,
      via: key ? "api_key" : "user",
      apiKeyId: key?.apiKeyId ?? null,
      appId: null,
      scopes: key?.scopes ?? null,
      user: user ? { id: user.userId, role: user.role, sessionId: user.sessionId } : null,
      role: key ? "owner" : user!.role,
      requestId: request.id,
    };
  }
}

/** An OAuth access token: sent alone (it names its own platform), as `Authorization: Bearer`. */
async function resolveAccessTokenWith(credentials: CredentialsService, request: FastifyRequest, presented: Presented): Promise<AuthContext> {
  if (presented.key) throw new AuthenticationError("conflicting_credentials", "An OAuth access token is sent alone, without an API key.");
  const token = await credentials.authenticateAccessToken(presented.token!);
  const { platform } = token;
  if (presented.mode !== undefined && presented.mode !== platform.mode) {
    throw new AuthenticationError("mode_mismatch", `The mode header (${presented.mode}) does not match the platform's mode (${platform.mode}).`);
  }
  return {
    platform,
    platformId: platform.id,
    mode: platform.mode,
    via: token.user ? "user" : "app",
    apiKeyId: null,
    appId: token.appId,
    scopes: token.scopes,
    user: token.user ? { id: token.user.userId, role: token.user.role, sessionId: token.user.grantId } : null,
    role: token.user ? token.user.role : "admin",
    requestId: request.id,
  };
}

export default fp(authPlugin, { name: "auth" });

/** The request's auth context on a route that requires credentials. */
export function requireAuth(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AuthenticationError("credentials_missing", "No credentials.");
  return request.auth;
}

/** The signed-in user on an `/auth` route. */
export function requireUser(request: FastifyRequest): AuthContext & { user: NonNullable<AuthContext["user"]> } {
  const auth = requireAuth(request);
  if (!auth.user) throw new AuthenticationError("user_token_required", "This route needs a user token.");
  return auth as AuthContext & { user: NonNullable<AuthContext["user"]> };
}
