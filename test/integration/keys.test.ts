import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/lib/crypto.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(() => t.close());

const keysUrl = (p: TestPlatform) => `/v1/platforms/${p.id}/keys`;

describe("API keys", () => {
  it("creates a key whose secret is shown once and stored only as a hash", async () => {
    const res = await t.request({ method: "POST", url: keysUrl(acme), headers: bearer(acme.apiKey), payload: { name: "Backend" } });
    expect(res.statusCode).toBe(201);
    const key = res.json();
    expect(key.secret).toMatch(/^cndl_test_[A-Za-z0-9]{40}$/);
    expect(key.secret.split("_")).toHaveLength(3); // the SDK splits keys on "_"
    expect(key).toMatchObject({ name: "Backend", prefix: "cndl_test_", last4: key.secret.slice(-4), revoked: null, platform_id: acme.id });
    const row = await t.db.apiKey.findUniqueOrThrow({ where: { id: key.id } });
    expect(row.hash).toBe(sha256Hex(key.secret));
    expect(JSON.stringify(row)).not.toContain(key.secret);

    const works = await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(key.secret) });
    expect(works.statusCode).toBe(200);

    const list = await t.request({ method: "GET", url: keysUrl(acme), headers: bearer(acme.apiKey) });
    expect(list.statusCode).toBe(200);
    expect(list.json().meta).toMatchObject({ total: 2, current_page: 1, per_page: 15, last_page: 1, from: 1, to: 2 });
    for (const listed of list.json().data) expect(listed).not.toHaveProperty("secret");
  });

  it("accepts a body-less POST and names the key null", async () => {
    const res = await t.request({ method: "POST", url: keysUrl(other), headers: bearer(other.apiKey) });
    expect(res.statusCode).toBe(201);
    expect(res.json().name).toBeNull();
  });

  it("creates live keys for live platforms", async () => {
    const live = await t.createPlatform({ mode: "live" });
    expect(live.apiKey).toMatch(/^cndl_live_/);
    const res = await t.request({ method: "POST", url: keysUrl(live), headers: { api_key: live.apiKey, mode: "live" } });
    expect(res.statusCode).toBe(201);
    expect(res.json().secret).toMatch(/^cndl_live_/);
  });

  it("revokes a key, which stops working at once", async () => {
    const created = (await t.request({ method: "POST", url: keysUrl(acme), headers: bearer(acme.apiKey) })).json();
    const res = await t.request({ method: "DELETE", url: `${keysUrl(acme)}/${created.id}`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(200);
    expect(res.json().revoked).toMatch(/Z$/);
    const refused = await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(created.secret) });
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe("api_key_revoked");

    const revokedOnly = await t.request({ method: "GET", url: `${keysUrl(acme)}?filter[revoked]=true`, headers: bearer(acme.apiKey) });
    expect(revokedOnly.json().data.map((k: { id: string }) => k.id)).toEqual([created.id]);
  });

  it("refuses to revoke the platform's last active key (409)", async () => {
    const lone = await t.createPlatform();
    const keys = (await t.request({ method: "GET", url: keysUrl(lone), headers: bearer(lone.apiKey) })).json().data;
    const res = await t.request({ method: "DELETE", url: `${keysUrl(lone)}/${keys[0].id}`, headers: bearer(lone.apiKey) });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("last_active_key");
    expect((await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(lone.apiKey) })).statusCode).toBe(200);
  });

  it("never lets two parallel revocations leave the platform without a key", async () => {
    const p = await t.createPlatform();
    const second = (await t.request({ method: "POST", url: keysUrl(p), headers: bearer(p.apiKey) })).json();
    const first = (await t.db.apiKey.findFirstOrThrow({ where: { platformId: p.id, id: { not: second.id } } })).id;
    const results = await Promise.all([first, second.id].map((id) => t.request({ method: "DELETE", url: `${keysUrl(p)}/${id}`, headers: bearer(second.secret) })));
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    expect(await t.db.apiKey.count({ where: { platformId: p.id, revoked: null } })).toBe(1);
  });

  it("is owner-only: admins get 403, owners may", async () => {
    const admin = await t.createUser(acme, "admin");
    const owner = await t.createUser(acme, "owner");
    expect((await t.request({ method: "GET", url: keysUrl(acme), headers: bearer(admin.token) })).statusCode).toBe(403);
    expect((await t.request({ method: "POST", url: keysUrl(acme), headers: bearer(admin.token) })).statusCode).toBe(403);
    expect((await t.request({ method: "GET", url: keysUrl(acme), headers: bearer(owner.token) })).statusCode).toBe(200);
  });

  it("is 401 without credentials", async () => {
    expect((await t.request({ method: "GET", url: keysUrl(acme) })).statusCode).toBe(401);
    expect((await t.request({ method: "POST", url: keysUrl(acme) })).statusCode).toBe(401);
  });

  it("is 404 for another platform's id or key", async () => {
    expect((await t.request({ method: "GET", url: keysUrl(other), headers: bearer(acme.apiKey) })).statusCode).toBe(404);
    expect((await t.request({ method: "POST", url: keysUrl(other), headers: bearer(acme.apiKey) })).statusCode).toBe(404);
    const otherKey = await t.db.apiKey.findFirstOrThrow({ where: { platformId: other.id } });
    const res = await t.request({ method: "DELETE", url: `${keysUrl(acme)}/${otherKey.id}`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(404);
    expect((await t.db.apiKey.findUniqueOrThrow({ where: { id: otherKey.id } })).revoked).toBeNull();
  });

  it("is 400 for unknown fields and bad list parameters", async () => {
    const res = await t.request({ method: "POST", url: keysUrl(acme), headers: bearer(acme.apiKey), payload: { name: "x", permissions: ["all"] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe("permissions");
    const page = await t.request({ method: "GET", url: `${keysUrl(acme)}?per_page=101`, headers: bearer(acme.apiKey) });
    expect(page.statusCode).toBe(400);
    expect(page.json().error.param).toBe("per_page");
  });
});
