import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isGrantableScope, scopeFor, UNGRANTABLE_RESOURCES } from "../../src/lib/scopes.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/** Restricted API keys (docs/api/oauth.md, Scopes): a key limited to scopes; keys without scopes keep the owner's rights. */

let t: TestContext;
let platform: TestPlatform;

const call = (method: string, url: string, key: string, payload?: unknown) =>
  t.request({
    method: method as "GET",
    url,
    headers: { ...bearer(key), ...(payload ? { "content-type": "application/json" } : {}) },
    payload: payload ? JSON.stringify(payload) : undefined,
  });

async function createKey(body: unknown) {
  return call("POST", `/v1/platforms/${platform.id}/keys`, platform.apiKey, body);
}

beforeAll(async () => {
  t = await createTestContext();
  platform = await t.createPlatform({ name: "Scoped" });
});
afterAll(() => t?.close());

describe("restricted API keys", () => {
  it("a key with scopes reaches only those routes; 403 insufficient_scope names the scope", async () => {
    const created = await createKey({ name: "catalogue reader", scopes: ["products:read", "categories:read"] });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ name: "catalogue reader", scopes: ["products:read", "categories:read"] });
    const key = created.json().secret as string;

    expect((await call("GET", "/v1/products", key)).statusCode).toBe(200);
    expect((await call("GET", "/v1/categories", key)).statusCode).toBe(200);
    const write = await call("POST", "/v1/products", key, { name: "Lamp", price: 100 });
    expect(write.statusCode).toBe(403);
    expect(write.json().error).toMatchObject({ type: "permission_error", code: "insufficient_scope", scope: "products:write" });
    expect((await call("GET", "/v1/contracts", key)).json().error.scope).toBe("contracts:read");
    // Keys and apps are never reachable with a restricted key: it cannot make itself an unrestricted one.
    expect((await call("GET", `/v1/platforms/${platform.id}/keys`, key)).json().error).toMatchObject({ code: "insufficient_scope", scope: "keys:read" });
    expect((await call("POST", `/v1/platforms/${platform.id}/keys`, key, {})).json().error.scope).toBe("keys:write");
    expect((await call("POST", `/v1/platforms/${platform.id}/apps`, key, { name: "x", redirect_uris: ["https://x.test/cb"], scopes: ["products:read"] })).statusCode).toBe(403);
  });

  it("unrestricted keys keep the owner's rights, and are listed with scopes null", async () => {
    expect((await call("POST", "/v1/products", platform.apiKey, { name: "Chair", price: 100, user_id: undefined })).statusCode).not.toBe(403);
    const list = await call("GET", `/v1/platforms/${platform.id}/keys`, platform.apiKey);
    expect(list.statusCode).toBe(200);
    expect(list.json().data.some((k: { scopes: unknown }) => k.scopes === null)).toBe(true);
  });

  it("an unknown scope is a 400 naming the field", async () => {
    const res = await createKey({ scopes: ["products:delete"] });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toMatch(/^scopes/);
    expect((await createKey({ scopes: ["keys:write"] })).statusCode).toBe(400);
    expect((await createKey({ scopes: [] })).statusCode).toBe(400);
  });

  it("the last unrestricted key cannot be revoked while only restricted ones remain", async () => {
    const own = await t.createPlatform({ name: "Alone" });
    const restricted = await call("POST", `/v1/platforms/${own.id}/keys`, own.apiKey, { scopes: ["products:read"] });
    expect(restricted.statusCode).toBe(201);
    const keys = (await call("GET", `/v1/platforms/${own.id}/keys`, own.apiKey)).json().data as { id: string; scopes: string[] | null }[];
    const unrestricted = keys.find((k) => k.scopes === null)!;
    const res = await call("DELETE", `/v1/platforms/${own.id}/keys/${unrestricted.id}`, own.apiKey);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("last_active_key");
    expect((await call("DELETE", `/v1/platforms/${own.id}/keys/${restricted.json().id}`, own.apiKey)).statusCode).toBe(200);
  });
});

describe("the scope table (src/lib/scopes.ts)", () => {
  it("gives every /v1 route a scope that can be granted, or one of the resources no restricted credential reaches", () => {
    const ungrantable = new Set<string>(UNGRANTABLE_RESOURCES);
    const wrong = t.app.routeCatalog
      .filter((r) => r.url.startsWith("/v1/") && r.auth !== "public")
      .map((r) => ({ id: `${r.method} ${r.url}`, scope: scopeFor(r.method, r.url)! }))
      .filter(({ scope }) => !isGrantableScope(scope) && !ungrantable.has(scope.split(":")[0]!));
    expect(wrong).toEqual([]);
  });

  it("reads are :read, everything else :write", () => {
    expect(scopeFor("GET", "/v1/products/:id")).toBe("products:read");
    expect(scopeFor("PUT", "/v1/contracts/:id/settle")).toBe("contracts:write");
    expect(scopeFor("POST", "/v1/users/:id/payment_methods")).toBe("payment_methods:write");
    expect(scopeFor("GET", "/v1/users/auth/bank_account")).toBe("bank_accounts:read");
    expect(scopeFor("GET", "/v1/calendar/localtime")).toBe("calendars:read");
    expect(scopeFor("DELETE", "/v1/platforms/:id/keys/:key_id")).toBe("keys:write");
  });
});
