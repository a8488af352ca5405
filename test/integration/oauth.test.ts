import { createServer } from "node:net";
import * as client from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

/**
 * OAuth 2 end to end (docs/api/oauth.md): the app listens on a port and a real OAuth client
 * (openid-client) discovers it, sends a user through the sign-in and consent pages (the browser's
 * part played by fetch with a cookie jar), exchanges the code with its PKCE verifier, refreshes,
 * introspects and revokes; the API then takes the access token within its scopes only.
 */

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

const REDIRECT_URI = "http://127.0.0.1:9/callback";

let t: TestContext;
let base: string;
let platform: TestPlatform;
let member: TestUser;
let app: { client_id: string; client_secret: string };
let config: client.Configuration;

/** A browser: follows nothing by itself, keeps cookies. */
class Browser {
  private readonly cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await fetch(new URL(url, base), {
      method: init.method ?? "GET",
      headers,
      body: init.form ? new URLSearchParams(init.form).toString() : undefined,
      redirect: "manual",
    });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, ...value] = pair!.split("=");
      if (/expires=Thu, 01 Jan 1970/i.test(cookie)) this.cookies.delete(name!);
      else this.cookies.set(name!, value.join("="));
    }
    return res;
  }

  /** Follows redirects within the server; answers the first page, or the redirect that leaves for the app. */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ res: Response; url: string }> {
    let res = await this.request(url, init);
    let current = url;
    for (let hops = 0; hops < 10 && res.status >= 300 && res.status < 400; hops += 1) {
      const next = new URL(res.headers.get("location")!, new URL(current, base)).href;
      if (!next.startsWith(base)) return { res, url: next };
      current = next;
      res = await this.request(next);
    }
    return { res, url: current };
  }
}

/** A user through the whole authorization: sign-in page, token posted, consent page, allow (or deny). */
async function authorize(
  params: Record<string, string>,
  options: { token?: string; decision?: "allow" | "deny"; config?: client.Configuration } = {},
): Promise<{ callback: string; consentPage?: string; signInPage?: string }> {
  const browser = new Browser();
  const start = await browser.follow(client.buildAuthorizationUrl(options.config ?? config, { redirect_uri: REDIRECT_URI, ...params }).href);
  if (!start.url.startsWith(base)) return { callback: start.url };
  expect(start.res.status, await start.res.clone().text()).toBe(200);
  const signInPage = await start.res.text();
  const uid = new URL(start.url).pathname.split("/").at(-1)!;
  const signedIn = await browser.follow(`/oauth/interaction/${uid}/login`, { method: "POST", form: { token: options.token ?? member.token } });
  expect(signedIn.res.status).toBe(200);
  const consentPage = await signedIn.res.text();
  const consentUid = new URL(signedIn.url).pathname.split("/").at(-1)!;
  const decided = await browser.follow(`/oauth/interaction/${consentUid}/${options.decision === "deny" ? "abort" : "confirm"}`, { method: "POST" });
  return { callback: decided.url, consentPage, signInPage };
}

async function pkce() {
  const verifier = client.randomPKCECodeVerifier();
  return { verifier, challenge: await client.calculatePKCECodeChallenge(verifier), state: client.randomState() };
}

async function codeFlow(scope: string) {
  const { verifier, challenge, state } = await pkce();
  const { callback } = await authorize({ scope, code_challenge: challenge, code_challenge_method: "S256", state });
  return client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
}

const api = (method: string, url: string, token: string, payload?: unknown) =>
  t.request({
    method: method as "GET",
    url,
    headers: { ...bearer(token), ...(payload ? { "content-type": "application/json" } : {}) },
    payload: payload ? JSON.stringify(payload) : undefined,
  });

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  t = await createTestContext({ PUBLIC_URL: base });
  await t.app.listen({ port, host: "127.0.0.1" });
  platform = await t.createPlatform({ name: "Acme Market" });
  member = await t.createUser(platform, "member");
  const res = await t.request({
    method: "POST",
    url: `/v1/platforms/${platform.id}/apps`,
    headers: { ...bearer(platform.apiKey), "content-type": "application/json" },
    payload: JSON.stringify({ name: "Shelf Sync", redirect_uris: [REDIRECT_URI], scopes: ["products:read", "users:read", "contracts:read"] }),
  });
  expect(res.statusCode, res.body).toBe(201);
  app = res.json();
  config = await client.discovery(new URL(`${base}/oauth`), app.client_id, undefined, client.ClientSecretBasic(app.client_secret), { execute: [client.allowInsecureRequests] });
});
afterAll(() => t?.close());

describe("authorization code with PKCE", () => {
  it("signs the user in, shows the platform's consent page, and gives a token the API takes as that user, within its scopes", async () => {
    const { verifier, challenge, state } = await pkce();
    const { callback, consentPage, signInPage } = await authorize({
      scope: "products:read users:read offline_access",
      code_challenge: challenge,
      code_challenge_method: "S256",
      state,
    });
    expect(signInPage).toContain("Acme Market");
    expect(signInPage).toContain("Shelf Sync");
    expect(consentPage).toContain("products:read");
    expect(consentPage).toContain("users:read");
    expect(consentPage).not.toContain("contracts:read");
    const tokens = await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
    expect(tokens.token_type.toLowerCase()).toBe("bearer");
    expect(tokens.scope?.split(" ").sort()).toEqual(expect.arrayContaining(["products:read", "users:read"]));
    expect(tokens.refresh_token).toBeTruthy();

    const me = await api("GET", "/v1/users/auth", tokens.access_token);
    expect(me.statusCode, me.body).toBe(200);
    expect(me.json().id).toBe(member.id);
    expect((await api("GET", "/v1/products", tokens.access_token)).statusCode).toBe(200);

    // A scope the user did not grant: 403 naming it, with RFC 6750's header.
    const write = await api("POST", "/v1/products", tokens.access_token, { name: "Lamp", price: 100 });
    expect(write.statusCode, write.body).toBe(403);
    expect(write.json().error).toMatchObject({ code: "insufficient_scope", scope: "products:write" });
    expect(write.headers["www-authenticate"]).toContain('error="insufficient_scope"');

    // Refresh: a new access token (the refresh token rotates), and introspection describes it.
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect((await api("GET", "/v1/products", refreshed.access_token)).statusCode).toBe(200);
    const introspected = await client.tokenIntrospection(config, refreshed.access_token);
    expect(introspected).toMatchObject({ active: true, sub: member.id, client_id: app.client_id });
    expect(String(introspected.scope).split(" ")).toContain("products:read");
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("a revoked access token is refused by the API at once, and introspects as inactive", async () => {
    const tokens = await codeFlow("products:read");
    expect((await api("GET", "/v1/products", tokens.access_token)).statusCode).toBe(200);
    await client.tokenRevocation(config, tokens.access_token);
    const after = await api("GET", "/v1/products", tokens.access_token);
    expect(after.statusCode).toBe(401);
    expect(after.json().error.code).toBe("oauth_token_invalid");
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: false });
  });

  it("a scope the app was not registered for is refused (invalid_scope), and never reaches the API", async () => {
    const { challenge, state } = await pkce();
    const { callback } = await authorize({ scope: "products:read transactions:read", code_challenge: challenge, code_challenge_method: "S256", state });
    expect(new URL(callback).searchParams.get("error")).toBe("invalid_scope");
    const tokens = await codeFlow("products:read");
    // The app may ask for contracts:read, but this user did not grant it.
    const res = await api("GET", "/v1/contracts/auth", tokens.access_token);
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ code: "insufficient_scope", scope: "contracts:read" });
  });

  it("without a code challenge, the request is refused (PKCE is required)", async () => {
    const { callback } = await authorize({ scope: "products:read", state: "s1" });
    const url = new URL(callback);
    expect(url.searchParams.get("error")).toBe("invalid_request");
    expect(url.searchParams.get("error_description")).toMatch(/PKCE|code_challenge/);
  });

  it("the plain method is refused: only S256", async () => {
    const { callback } = await authorize({ scope: "products:read", state: "s2", code_challenge: "x".repeat(43), code_challenge_method: "plain" });
    expect(new URL(callback).searchParams.get("error")).toBe("invalid_request");
  });

  it("a code exchanged with the wrong verifier is refused", async () => {
    const { challenge, state } = await pkce();
    const { callback } = await authorize({ scope: "products:read", code_challenge: challenge, code_challenge_method: "S256", state });
    await expect(client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: client.randomPKCECodeVerifier(), expectedState: state })).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  it("a code is used once: a second exchange fails", async () => {
    const { verifier, challenge, state } = await pkce();
    const { callback } = await authorize({ scope: "products:read", code_challenge: challenge, code_challenge_method: "S256", state });
    await client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
    await expect(client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("a user who denies sends the app access_denied", async () => {
    const { verifier, challenge, state } = await pkce();
    const { callback } = await authorize({ scope: "products:read", code_challenge: challenge, code_challenge_method: "S256", state }, { decision: "deny" });
    await expect(client.authorizationCodeGrant(config, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state })).rejects.toMatchObject({ error: "access_denied" });
  });

  it("a user of another platform cannot sign in to this platform's app", async () => {
    const other = await t.createPlatform({ name: "Elsewhere" });
    const stranger = await t.createUser(other, "member");
    const { challenge, state } = await pkce();
    const browser = new Browser();
    const start = await browser.follow(
      client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: "products:read", code_challenge: challenge, code_challenge_method: "S256", state }).href,
    );
    const uid = new URL(start.url).pathname.split("/").at(-1)!;
    const res = await browser.request(`/oauth/interaction/${uid}/login`, { method: "POST", form: { token: stranger.token } });
    expect(res.status).toBe(401);
    expect(await res.text()).toContain("not on Acme Market");
  });
});

describe("client credentials", () => {
  it("gives the app a token of its own, acting on its platform within the app's scopes", async () => {
    const tokens = await client.clientCredentialsGrant(config, { scope: "products:read" });
    const list = await api("GET", "/v1/products", tokens.access_token);
    expect(list.statusCode, list.body).toBe(200);
    const write = await api("POST", "/v1/products", tokens.access_token, { name: "Lamp", price: 100 });
    expect(write.statusCode).toBe(403);
    expect(write.json().error.code).toBe("insufficient_scope");
    // An /auth route needs a user: the app is none.
    expect((await api("GET", "/v1/users/auth", tokens.access_token)).statusCode).toBe(401);
  });

  it("a rotated secret stops working at once; a deleted app's tokens stop working", async () => {
    const created = await t.request({
      method: "POST",
      url: `/v1/platforms/${platform.id}/apps`,
      headers: { ...bearer(platform.apiKey), "content-type": "application/json" },
      payload: JSON.stringify({ name: "Short-lived", redirect_uris: [REDIRECT_URI], scopes: ["products:read"] }),
    });
    const shortLived = created.json() as { client_id: string; client_secret: string };
    const discover = (secret: string) =>
      client.discovery(new URL(`${base}/oauth`), shortLived.client_id, undefined, client.ClientSecretBasic(secret), { execute: [client.allowInsecureRequests] });
    const first = await discover(shortLived.client_secret);
    const token = (await client.clientCredentialsGrant(first, { scope: "products:read" })).access_token;

    const rotated = await t.request({ method: "POST", url: `/v1/platforms/${platform.id}/apps/${shortLived.client_id}/rotate_secret`, headers: bearer(platform.apiKey) });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const refused = await client.clientCredentialsGrant(first, { scope: "products:read" }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(Error);
    expect(JSON.stringify(refused)).toContain("invalid_client");
    const second = await discover(rotated.json().client_secret);
    expect((await client.clientCredentialsGrant(second, { scope: "products:read" })).access_token).toBeTruthy();

    expect((await api("GET", "/v1/products", token)).statusCode).toBe(200);
    const deleted = await t.request({ method: "DELETE", url: `/v1/platforms/${platform.id}/apps/${shortLived.client_id}`, headers: bearer(platform.apiKey) });
    expect(deleted.json()).toEqual({ id: shortLived.client_id, deleted: true });
    expect((await api("GET", "/v1/products", token)).statusCode).toBe(401);
  });
});

describe("public apps (token_endpoint_auth_method none)", () => {
  it("have no secret; a single-page app signs a user in with PKCE alone, refreshes, and cannot use client credentials", async () => {
    const created = await t.request({
      method: "POST",
      url: `/v1/platforms/${platform.id}/apps`,
      headers: { ...bearer(platform.apiKey), "content-type": "application/json" },
      payload: JSON.stringify({ name: "Shelf SPA", redirect_uris: [REDIRECT_URI], scopes: ["products:read"], token_endpoint_auth_method: "none" }),
    });
    expect(created.statusCode, created.body).toBe(201);
    const spa = created.json();
    expect(spa).toMatchObject({ token_endpoint_auth_method: "none", client_secret: null, secret_last4: null });
    const spaConfig = await client.discovery(new URL(`${base}/oauth`), spa.client_id, undefined, client.None(), { execute: [client.allowInsecureRequests] });

    const { verifier, challenge, state } = await pkce();
    const { callback } = await authorize({ scope: "products:read offline_access", code_challenge: challenge, code_challenge_method: "S256", state }, { config: spaConfig });
    const tokens = await client.authorizationCodeGrant(spaConfig, new URL(callback), { pkceCodeVerifier: verifier, expectedState: state });
    expect((await api("GET", "/v1/products", tokens.access_token)).statusCode).toBe(200);
    expect((await api("POST", "/v1/products", tokens.access_token, { name: "Lamp", price: 100 })).statusCode).toBe(403);
    const refreshed = await client.refreshTokenGrant(spaConfig, tokens.refresh_token!);
    expect((await api("GET", "/v1/products", refreshed.access_token)).statusCode).toBe(200);

    // From the browser: CORS for the origin of its redirect URIs only; a confidential app never.
    const fromBrowser = (origin: string, clientId: string, refreshToken: string) =>
      fetch(`${base}/oauth/token`, {
        method: "POST",
        headers: { origin, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ grant_type: "refresh_token", client_id: clientId, refresh_token: refreshToken }).toString(),
      });
    const elsewhere = await fromBrowser("https://evil.example", spa.client_id, refreshed.refresh_token!);
    expect([elsewhere.status, elsewhere.headers.get("access-control-allow-origin")]).toEqual([400, null]);
    const own = await fromBrowser(new URL(REDIRECT_URI).origin, spa.client_id, refreshed.refresh_token!);
    expect(own.status, await own.clone().text()).toBe(200);
    expect(own.headers.get("access-control-allow-origin")).toBe(new URL(REDIRECT_URI).origin);
    const confidential = await fetch(`${base}/oauth/token`, {
      method: "POST",
      headers: {
        origin: new URL(REDIRECT_URI).origin,
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64")}`,
      },
      body: "grant_type=client_credentials&scope=products:read",
    });
    expect(confidential.status).toBe(400);

    // PKCE is what stands in for the secret: without it, or with another verifier, no token.
    const bare = await authorize({ scope: "products:read", state: "s1" }, { config: spaConfig });
    expect(new URL(bare.callback).searchParams.get("error")).toBe("invalid_request");
    const other = await pkce();
    const { callback: stolen } = await authorize(
      { scope: "products:read", code_challenge: other.challenge, code_challenge_method: "S256", state: other.state },
      { config: spaConfig },
    );
    const wrong = await client.authorizationCodeGrant(spaConfig, new URL(stolen), { pkceCodeVerifier: verifier, expectedState: other.state }).catch((err: unknown) => err);
    expect(JSON.stringify(wrong)).toContain("invalid_grant");

    // Client credentials would be anyone's who knows the public client id: refused.
    const cc = await client.clientCredentialsGrant(spaConfig, { scope: "products:read" }).catch((err: unknown) => err);
    expect(cc).toBeInstanceOf(Error);
    expect(JSON.stringify(cc)).toContain("requested grant type is not allowed for this client");
    // Nor does it become confidential by sending a made-up secret.
    const posing = await client.discovery(new URL(`${base}/oauth`), spa.client_id, undefined, client.ClientSecretBasic("made-up"), { execute: [client.allowInsecureRequests] });
    expect(JSON.stringify(await client.clientCredentialsGrant(posing, { scope: "products:read" }).catch((err: unknown) => err))).toContain("invalid_client");

    // No secret to rotate; an unknown method is refused.
    const rotate = await t.request({ method: "POST", url: `/v1/platforms/${platform.id}/apps/${spa.client_id}/rotate_secret`, headers: bearer(platform.apiKey) });
    expect([rotate.statusCode, rotate.json().error.code]).toEqual([409, "oauth_app_public"]);
    const bad = await t.request({
      method: "POST",
      url: `/v1/platforms/${platform.id}/apps`,
      headers: { ...bearer(platform.apiKey), "content-type": "application/json" },
      payload: JSON.stringify({ name: "X", redirect_uris: [REDIRECT_URI], scopes: ["products:read"], token_endpoint_auth_method: "private_key_jwt" }),
    });
    expect([bad.statusCode, bad.json().error.param]).toEqual([400, "token_endpoint_auth_method"]);
    // Confidential apps are as before: a secret, shown once.
    expect(app.client_secret).toMatch(/^[A-Za-z0-9]{48}$/);
  });
});

describe("the OAuth server's records are in PostgreSQL", () => {
  it("a token issued by one node is taken by another started on the same database (a restart)", async () => {
    const tokens = await codeFlow("products:read");
    const other = await createTestContext({ PUBLIC_URL: base }, { sharedDatabaseUrl: t.databaseUrl });
    try {
      const res = await other.request({ method: "GET", url: "/v1/users/auth", headers: bearer(tokens.access_token) });
      // users:read was not asked for: refused by scope, which shows the token was found and read.
      expect(res.statusCode).toBe(403);
      expect((await other.request({ method: "GET", url: "/v1/products", headers: bearer(tokens.access_token) })).statusCode).toBe(200);
    } finally {
      await other.app.close();
    }
  });
});
