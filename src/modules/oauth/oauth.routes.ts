import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type Provider from "oidc-provider";
import { z } from "zod";
import { NotFoundError } from "../../lib/errors.js";
import { errors } from "../../lib/route.js";
import type { CredentialsService } from "../../plugins/credentials.js";
import type { AppsService } from "./apps.service.js";
import { pageSecurityPolicy, renderConsent, renderSignIn, type PageContext } from "./pages.js";
import { apiResource, OAUTH_PREFIX } from "./provider.js";

const tags = ["OAuth"];
/** Public, cross-tenant by nature (a client, a code or a token names its own platform: docs/tenancy.md); OAuth has its own rules for retries (codes are single-use), so no Idempotency-Key replays. */
const open = { auth: "public", tenant: "system", idempotency: false } as const;

/** oidc-provider's own endpoints (RFC 6749, 7009, 7662, 8414), answered by it in OAuth's formats. */
const PROTOCOL_ROUTES: { method: "GET" | "POST"; url: string; operationId: string; summary: string }[] = [
  { method: "GET", url: "/.well-known/openid-configuration", operationId: "oauthMetadata", summary: "The authorization server's metadata (endpoints, scopes, methods)" },
  { method: "GET", url: "/jwks", operationId: "oauthJwks", summary: "The keys ID tokens are signed with" },
  { method: "GET", url: "/auth", operationId: "oauthAuthorize", summary: "Authorization endpoint: a user signs in and allows the app (code flow with PKCE)" },
  { method: "GET", url: "/auth/:uid", operationId: "oauthAuthorizeResume", summary: "Authorization endpoint, resumed after the sign-in and consent pages" },
  {
    method: "POST",
    url: "/token",
    operationId: "oauthToken",
    summary: "Token endpoint: authorization code (with its PKCE verifier), refresh token, client credentials (form-encoded, client id and secret as HTTP Basic)",
  },
  { method: "POST", url: "/token/introspection", operationId: "oauthIntrospect", summary: "Whether a token of the app is active, and what it grants (RFC 7662)" },
  { method: "POST", url: "/token/revocation", operationId: "oauthRevoke", summary: "Revokes an access or refresh token of the app (RFC 7009)" },
];

export interface OAuthRoutesDeps {
  provider: Provider;
  apps: Pick<AppsService, "clientOf">;
  credentials: Pick<CredentialsService, "authenticateUser">;
  publicUrl: string;
}

/** Mounts the OAuth server at /oauth, with its sign-in and consent pages (docs/api/oauth.md). */
export async function oauthRoutes(app: FastifyInstance, deps: OAuthRoutesDeps): Promise<void> {
  await app.register(async (protocol) => protocolRoutes(protocol, deps));
  await app.register(async (pages) => interactionRoutes(pages, deps));
}

async function protocolRoutes(app: FastifyInstance, { provider }: OAuthRoutesDeps): Promise<void> {
  // The provider reads its own bodies (form-encoded, as OAuth sends them): nothing here parses them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", (_request, _payload, done) => done(null, undefined));
  const callback = provider.callback();
  for (const route of PROTOCOL_ROUTES) {
    app.route({
      method: route.method,
      url: `${OAUTH_PREFIX}${route.url}`,
      schema: { tags, summary: route.summary, operationId: route.operationId },
      config: { ...open, ownCredentials: true },
      handler: async (request, reply) => {
        reply.hijack();
        reply.raw.setHeader("request-id", request.id);
        reply.raw.setHeader("x-content-type-options", "nosniff");
        // Mounted under /oauth: the provider routes on the rest, and builds its URLs from the whole.
        const raw = request.raw as IncomingMessage & { originalUrl?: string };
        raw.originalUrl = raw.url;
        raw.url = raw.url!.slice(OAUTH_PREFIX.length) || "/";
        await callback(raw, reply.raw);
      },
    });
  }
}

const uidParams = z.object({ uid: z.string().min(1).max(100).describe("The interaction's id (from the authorization endpoint's redirect)") }).strict();
const loginBody = z.object({ token: z.string().min(1).max(4096).describe("A user access token from `POST /v1/auth/otp/verify`, on the app's platform") }).strict();
const htmlPage = z.string().describe("An HTML page");

class InteractionNotFoundError extends NotFoundError {
  constructor() {
    super("sign-in request");
  }
}

async function interactionRoutes(base: FastifyInstance, deps: OAuthRoutesDeps): Promise<void> {
  const app = base.withTypeProvider<ZodTypeProvider>();
  const { provider, apps, credentials } = deps;
  const resource = apiResource(deps.publicUrl);
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string", bodyLimit: 16 * 1024 }, (_request, body, done) => {
    done(null, { ...parseQuery(body as string) });
  });

  /** The interaction of the request's cookie and uid, with its app and platform; 404 when it is unknown, expired or another browser's. */
  async function interactionOf(request: FastifyRequest, reply: FastifyReply) {
    let details: Awaited<ReturnType<Provider["interactionDetails"]>>;
    try {
      details = await provider.interactionDetails(request.raw, reply.raw);
    } catch {
      throw new InteractionNotFoundError();
    }
    if (details.uid !== (request.params as { uid: string }).uid) throw new InteractionNotFoundError();
    const client = await apps.clientOf(String(details.params.client_id));
    if (!client) throw new InteractionNotFoundError();
    return { details, client };
  }

  function pageOf(details: Awaited<ReturnType<Provider["interactionDetails"]>>, client: NonNullable<Awaited<ReturnType<AppsService["clientOf"]>>>): PageContext {
    const missing = (details.prompt.details.missingResourceScopes as Record<string, string[]> | undefined)?.[resource] ?? [];
    const requested = String(details.params.scope ?? "")
      .split(" ")
      .filter((s) => client.scopes.includes(s));
    return {
      nonce: randomBytes(16).toString("base64url"),
      uid: details.uid,
      platform: client.platform,
      app: { name: client.name, logo: client.logo, redirectUris: client.redirectUris },
      scopes: missing.length > 0 ? missing : requested,
    };
  }

  function sendPage(reply: FastifyReply, page: PageContext, html: string, status = 200) {
    return reply
      .code(status)
      .header("content-type", "text/html; charset=utf-8")
      .header("cache-control", "no-store")
      .header("content-security-policy", pageSecurityPolicy(page.nonce, page.app.redirectUris))
      .header("x-frame-options", "DENY")
      .send(html);
  }

  app.get(
    `${OAUTH_PREFIX}/interaction/:uid`,
    {
      schema: {
        operationId: "oauthInteractionPage",
        tags,
        summary: "The sign-in or consent page of an authorization request (HTML)",
        params: uidParams,
        response: { 200: htmlPage, ...errors(404) },
      },
      config: open,
    },
    async (request, reply) => {
      const { details, client } = await interactionOf(request, reply);
      const page = pageOf(details, client);
      return sendPage(reply, page, details.prompt.name === "login" ? renderSignIn(page) : renderConsent(page));
    },
  );

  app.post(
    `${OAUTH_PREFIX}/interaction/:uid/login`,
    {
      schema: {
        operationId: "oauthInteractionLogin",
        tags,
        summary: "Signs the user in to the authorization request with their session token (the sign-in page posts it)",
        params: uidParams,
        body: loginBody,
        consumes: ["application/x-www-form-urlencoded"],
        response: { 303: z.null(), ...errors(400, 401, 404) },
      },
      config: open,
    },
    async (request, reply) => {
      const { details, client } = await interactionOf(request, reply);
      if (details.prompt.name !== "login") throw new InteractionNotFoundError();
      let user: Awaited<ReturnType<CredentialsService["authenticateUser"]>>;
      try {
        user = await credentials.authenticateUser(request.body.token);
      } catch (err) {
        const page = pageOf(details, client);
        return sendPage(reply, page, renderSignIn(page, err instanceof Error ? err.message : "Sign in again."), 401);
      }
      if (user.platform.id !== client.platform.id) {
        const page = pageOf(details, client);
        return sendPage(reply, page, renderSignIn(page, `This sign-in is not on ${client.platform.name}. Sign in with your ${client.platform.name} account.`), 401);
      }
      reply.hijack();
      await provider.interactionFinished(request.raw, reply.raw, { login: { accountId: user.userId } }, { mergeWithLastSubmission: false });
    },
  );

  app.post(
    `${OAUTH_PREFIX}/interaction/:uid/confirm`,
    {
      schema: {
        operationId: "oauthInteractionConfirm",
        tags,
        summary: "The user allows the scopes shown on the consent page",
        params: uidParams,
        response: { 303: z.null(), ...errors(404) },
      },
      config: open,
    },
    async (request, reply) => {
      const { details } = await interactionOf(request, reply);
      if (details.prompt.name !== "consent" || !details.session?.accountId) throw new InteractionNotFoundError();
      const promptDetails = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId: String(details.params.client_id) });
      if (!grant) throw new InteractionNotFoundError();
      if (promptDetails.missingOIDCScope) grant.addOIDCScope(promptDetails.missingOIDCScope.join(" "));
      if (promptDetails.missingOIDCClaims) grant.addOIDCClaims(promptDetails.missingOIDCClaims);
      for (const [indicator, scopes] of Object.entries(promptDetails.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(" "));
      const grantId = await grant.save();
      reply.hijack();
      await provider.interactionFinished(request.raw, reply.raw, { consent: details.grantId ? {} : { grantId } }, { mergeWithLastSubmission: true });
    },
  );

  app.post(
    `${OAUTH_PREFIX}/interaction/:uid/abort`,
    {
      schema: {
        operationId: "oauthInteractionAbort",
        tags,
        summary: "The user cancels or denies: the app gets `access_denied`",
        params: uidParams,
        response: { 303: z.null(), ...errors(404) },
      },
      config: open,
    },
    async (request, reply) => {
      await interactionOf(request, reply);
      reply.hijack();
      await provider.interactionFinished(
        request.raw,
        reply.raw,
        { error: "access_denied", error_description: "The user did not allow the app." },
        { mergeWithLastSubmission: false },
      );
    },
  );
}
