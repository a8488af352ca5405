import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let live: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", domain: "acme.test", feePercent: 2.5, url: "https://acme.test" });
  other = await t.createPlatform({ name: "Other", domain: "other.test" });
  live = await t.createPlatform({ name: "Acme Live", mode: "live", domain: "live.acme.test" });
});
afterAll(() => t.close());

describe("GET /v1/platforms", () => {
  it("returns the key's platform in the documented shape", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      id: acme.id,
      mode: "test",
      name: "Acme",
      admins: [],
      description: null,
      logo: null,
      url: "https://acme.test",
      platformFee: 2.5,
      activeSubscription: null,
      domains: ["acme.test"],
    });
    expect(body.id).toMatch(/^plat_[0-9a-f]{32}$/);
    expect(body.created).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(body.updated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  it("lists owners and admins in `admins`", async () => {
    const owner = await t.createUser(other, "owner");
    const admin = await t.createUser(other, "admin");
    await t.createUser(other, "member");
    const res = await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(other.apiKey) });
    expect(res.json().admins).toEqual([owner.id, admin.id]);
  });

  it("accepts the SDK's api_key + mode headers", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms", headers: { api_key: acme.apiKey, mode: "test" } });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(acme.id);
  });

  it("answers a user token with the user's platform", async () => {
    const user = await t.createUser(acme, "member");
    const res = await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(user.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(acme.id);
  });

  it("is 401 without credentials", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms" });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ type: "authentication_error", code: "credentials_missing" });
    expect(res.json().error.request_id).toBe(res.headers["request-id"]);
  });
});

describe("GET /v1/platforms/domains/:domain", () => {
  it("is public and finds the platform by domain, case-insensitively", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms/domains/ACME.test" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: acme.id, name: "Acme" });
  });

  it("finds live platforms too", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms/domains/live.acme.test" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: live.id, mode: "live" });
  });

  it("is 404 for an unknown domain", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms/domains/nowhere.test" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ code: "resource_missing", param: "domain" });
  });

  it("still rejects a bad key sent to a public route", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms/domains/acme.test", headers: bearer("cndl_test_doesnotexist0000000000") });
    expect(res.statusCode).toBe(401);
  });
});

describe("PUT /v1/platforms/:id", () => {
  it("modifies the platform with the SDK's body", async () => {
    const res = await t.request({
      method: "PUT",
      url: `/v1/platforms/${acme.id}`,
      headers: bearer(acme.apiKey),
      payload: { name: "Acme Market", description: "Things", platformFee: 3.25 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: "Acme Market", description: "Things", platformFee: 3.25 });
    const row = await t.db.platform.findUniqueOrThrow({ where: { id: acme.id } });
    expect(row.platformFeeBps).toBe(325);
  });

  it("replaces domains, lower-cased and de-duplicated", async () => {
    const res = await t.request({
      method: "PUT",
      url: `/v1/platforms/${acme.id}`,
      headers: bearer(acme.apiKey),
      payload: { domains: ["Acme.test", "shop.acme.test", "acme.test", "localhost:3000"] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().domains).toEqual(["acme.test", "shop.acme.test", "localhost:3000"]);
    const found = await t.request({ method: "GET", url: "/v1/platforms/domains/shop.acme.test" });
    expect(found.json().id).toBe(acme.id);
  });

  it("reads platformFee sent as a decimal string, as Candle's SDK types it", async () => {
    const res = await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: bearer(acme.apiKey), payload: { platformFee: "2.75" } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().platformFee).toBe(2.75);
    expect((await t.db.platform.findUniqueOrThrow({ where: { id: acme.id } })).platformFeeBps).toBe(275);
  });

  it("lets an owner user modify it", async () => {
    const owner = await t.createUser(acme, "owner");
    const res = await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: bearer(owner.token), payload: { waitlistEnabled: true } });
    expect(res.statusCode).toBe(200);
    expect(res.json().waitlistEnabled).toBe(true);
  });

  it.each([
    [{ platformFee: 2.555 }, "platformFee"],
    [{ platformFee: -1 }, "platformFee"],
    [{ platformFee: 101 }, "platformFee"],
    [{ platformFee: "2.555" }, "platformFee"],
    [{ platformFee: "2,5" }, "platformFee"],
    [{ platformFee: "" }, "platformFee"],
    [{ name: "" }, "name"],
    [{ url: "javascript:alert(1)" }, "url"],
    [{ domains: ["not a domain"] }, "domains.0"],
    [{ currency: "USD" }, "currency"],
    [{ nmae: "typo" }, "nmae"],
  ])("is 400 for %j, naming %s, and changes nothing", async (payload, param) => {
    const before = await t.db.platform.findUniqueOrThrow({ where: { id: other.id } });
    const res = await t.request({ method: "PUT", url: `/v1/platforms/${other.id}`, headers: bearer(other.apiKey), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", param });
    const after = await t.db.platform.findUniqueOrThrow({ where: { id: other.id } });
    expect(after).toEqual(before);
  });

  it.each(["id", "mode", "admins", "activeSubscription", "created", "platform_id"])("refuses the server-owned field %s", async (field) => {
    const res = await t.request({ method: "PUT", url: `/v1/platforms/${other.id}`, headers: bearer(other.apiKey), payload: { name: "Hijack", [field]: "x" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_not_writable", param: field });
    const row = await t.db.platform.findUniqueOrThrow({ where: { id: other.id } });
    expect(row.name).toBe("Other");
  });

  it("is 404 for another platform's id", async () => {
    const res = await t.request({ method: "PUT", url: `/v1/platforms/${other.id}`, headers: bearer(acme.apiKey), payload: { name: "Stolen" } });
    expect(res.statusCode).toBe(404);
    expect((await t.db.platform.findUniqueOrThrow({ where: { id: other.id } })).name).toBe("Other");
  });

  it("is 404 for a live platform's id with a test key", async () => {
    const res = await t.request({ method: "PUT", url: `/v1/platforms/${live.id}`, headers: bearer(acme.apiKey), payload: { name: "Stolen" } });
    expect(res.statusCode).toBe(404);
  });

  it("is 401 without credentials and 403 for an admin or member user", async () => {
    expect((await t.request({ method: "PUT", url: `/v1/platforms/${other.id}`, payload: { name: "x" } })).statusCode).toBe(401);
    for (const role of ["admin", "member", "editor"] as const) {
      const user = await t.createUser(other, role);
      const res = await t.request({ method: "PUT", url: `/v1/platforms/${other.id}`, headers: bearer(user.token), payload: { name: "x" } });
      expect(res.statusCode).toBe(403);
      expect(res.json().error).toMatchObject({ type: "permission_error", code: "insufficient_role" });
    }
    expect((await t.db.platform.findUniqueOrThrow({ where: { id: other.id } })).name).toBe("Other");
  });

  it("is 409 when a domain belongs to another platform, and keeps the old domains", async () => {
    const res = await t.request({
      method: "PUT",
      url: `/v1/platforms/${other.id}`,
      headers: bearer(other.apiKey),
      payload: { name: "Renamed", domains: ["other.test", "acme.test"] },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: "domain_taken", param: "domains" });
    const row = await t.db.platform.findUniqueOrThrow({ where: { id: other.id }, include: { domains: true } });
    expect(row.name).toBe("Other");
    expect(row.domains.map((d) => d.domain)).toEqual(["other.test"]);
  });

  it("gives a contested domain to exactly one of two platforms claiming it at once", async () => {
    const a = await t.createPlatform();
    const b = await t.createPlatform();
    const [ra, rb] = await Promise.all(
      [a, b].map((p) => t.request({ method: "PUT", url: `/v1/platforms/${p.id}`, headers: bearer(p.apiKey), payload: { domains: ["race.test"] } })),
    );
    expect([ra!.statusCode, rb!.statusCode].sort()).toEqual([200, 409]);
    expect(await t.db.platformDomain.count({ where: { domain: "race.test" } })).toBe(1);
  });
});

describe("GET /v1/platforms/community/user/:user_id", () => {
  it("answers the platform and the membership of a member", async () => {
    const user = await t.createUser(acme, "editor");
    const res = await t.request({ method: "GET", url: `/v1/platforms/community/user/${user.id}`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: acme.id, membership: { user_id: user.id, role: "editor" } });
  });

  it("is open to a member's own token", async () => {
    const user = await t.createUser(acme, "member");
    const res = await t.request({ method: "GET", url: `/v1/platforms/community/user/${user.id}`, headers: bearer(user.token) });
    expect(res.statusCode).toBe(200);
  });

  it("is 404 for another platform's user and for an unknown id", async () => {
    const stranger = await t.createUser(other, "member");
    const res = await t.request({ method: "GET", url: `/v1/platforms/community/user/${stranger.id}`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(404);
    const unknown = await t.request({ method: "GET", url: "/v1/platforms/community/user/user_00000000000000000000000000000000", headers: bearer(acme.apiKey) });
    expect(unknown.statusCode).toBe(404);
  });

  it("is 401 without credentials", async () => {
    const res = await t.request({ method: "GET", url: "/v1/platforms/community/user/user_x" });
    expect(res.statusCode).toBe(401);
  });
});
