import { createSigner } from "fast-jwt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, TEST_JWT_SECRET, type TestContext, type TestPlatform } from "../helpers/app.js";
import { ACCESS_AUDIENCE } from "../../src/modules/auth/tokens.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let live: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  live = await t.createPlatform({ name: "Live", mode: "live" });
});
afterAll(() => t.close());

const get = (headers: Record<string, string>) => t.request({ method: "GET", url: "/v1/platforms", headers });

describe("platform keys", () => {
  it("accepts Authorization: Bearer and the api_key header, with or without mode", async () => {
    expect((await get(bearer(acme.apiKey))).statusCode).toBe(200);
    expect((await get({ api_key: acme.apiKey })).statusCode).toBe(200);
    expect((await get({ api_key: acme.apiKey, mode: "test" })).statusCode).toBe(200);
    expect((await get({ api_key: live.apiKey, mode: "live" })).json().mode).toBe("live");
  });

  it.each([
    ["a missing header", {}, "credentials_missing"],
    ["a malformed key", { authorization: "Bearer cndl_test_short" }, "api_key_invalid"],
    ["a key with _ in its secret", { api_key: "cndl_test_abc_defghijklmnopqrstuvwxyz" }, "api_key_invalid"],
    ["an unknown key", { authorization: "Bearer cndl_test_0000000000000000000000000000000000000000" }, "api_key_invalid"],
    ["a non-bearer Authorization", { authorization: "Basic abc" }, "authorization_malformed"],
    ["a bad mode header", { api_key: "cndl_test_0000000000000000000000000000000000000000", mode: "prod" }, "mode_invalid"],
  ])("is 401 for %s", async (_label, headers, code) => {
    const res = await get(headers as Record<string, string>);
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ type: "authentication_error", code });
  });

  it("is 401 when the mode header disagrees with the key", async () => {
    const res = await get({ api_key: acme.apiKey, mode: "live" });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("mode_mismatch");
  });

  it("is 401 when a test key is relabelled live", async () => {
    const forged = acme.apiKey.replace("cndl_test_", "cndl_live_");
    expect((await get(bearer(forged))).statusCode).toBe(401);
  });

  it("is 401 for two different keys in one request", async () => {
    const res = await get({ ...bearer(acme.apiKey), api_key: other.apiKey });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("conflicting_credentials");
  });

  it("records when a key was last used", async () => {
    const p = await t.createPlatform();
    await get(bearer(p.apiKey));
    await expect.poll(async () => (await t.db.apiKey.findFirstOrThrow({ where: { platformId: p.id } })).lastUsed).not.toBeNull();
  });
});

describe("user tokens", () => {
  it("act with the user's role, read from the database", async () => {
    const user = await t.createUser(acme, "owner");
    const put = () => t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: bearer(user.token), payload: { description: "by owner" } });
    expect((await put()).statusCode).toBe(200);
    await t.db.membership.update({ where: { userId: user.id }, data: { role: "member" } });
    expect((await put()).statusCode).toBe(403);
  });

  it("may ride along with the platform key (SDK style), which then acts as owner", async () => {
    const member = await t.createUser(acme, "member");
    const res = await t.request({
      method: "PUT",
      url: `/v1/platforms/${acme.id}`,
      headers: { api_key: acme.apiKey, mode: "test", authorization: `Bearer ${member.token}` },
      payload: { description: "by key" },
    });
    expect(res.statusCode).toBe(200);
  });

  it("must belong to the key's platform", async () => {
    const stranger = await t.createUser(other, "owner");
    const res = await get({ api_key: acme.apiKey, authorization: `Bearer ${stranger.token}` });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("platform_mismatch");
  });

  it("is 401 when expired, tampered with, or signed with another secret", async () => {
    const user = await t.createUser(acme, "member");
    const expired = createSigner({ key: TEST_JWT_SECRET, algorithm: "HS256", expiresIn: 1000, clockTimestamp: Date.now() - 60_000 })({
      sub: user.id,
      pid: acme.id,
      mode: "test",
      sid: user.sessionId,
      role: "member",
      typ: "access",
      aud: ACCESS_AUDIENCE,
    });
    const expiredRes = await get(bearer(expired));
    expect(expiredRes.statusCode).toBe(401);
    expect(expiredRes.json().error.code).toBe("token_expired");

    const [h, p, s] = user.token.split(".");
    const payload = JSON.parse(Buffer.from(p!, "base64url").toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, role: "owner" })).toString("base64url")}.${s}`;
    expect((await get(bearer(tampered))).json().error.code).toBe("token_invalid");

    const foreign = createSigner({ key: "another-secret-another-secret-another-secret", algorithm: "HS256" })(payload);
    expect((await get(bearer(foreign))).statusCode).toBe(401);

    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${p}.`;
    expect((await get(bearer(none))).statusCode).toBe(401);
  });

  it("is 401 once the user is gone", async () => {
    const user = await t.createUser(acme, "member");
    await t.db.user.update({ where: { id: user.id }, data: { deleted: new Date() } });
    const res = await get(bearer(user.token));
    expect(res.statusCode).toBe(401);
  });
});

describe("request ids", () => {
  it("echoes a well-formed X-Request-Id and makes one up otherwise", async () => {
    const mine = await t.request({ method: "GET", url: "/health", headers: { "x-request-id": "abc-123" } });
    expect(mine.headers["request-id"]).toBe("abc-123");
    const made = await t.request({ method: "GET", url: "/health", headers: { "x-request-id": "bad id with spaces" } });
    expect(made.headers["request-id"]).toMatch(/^req_[0-9a-f]{32}$/);
  });
});
