import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { rawRequest } from "../helpers/http-client.js";

/**
 * Bugs the security suite and the fuzzer found, each pinned by the smallest request that showed it.
 */

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", url: "https://acme.example" });
});
afterAll(() => t.close());

describe("write routes that take no body refuse one instead of ignoring it", () => {
  it("POST /v1/users/:id/client_secret with a forged stripeCustomerId is a 400 naming it, and creates no customer", async () => {
    const user = await t.createUser(acme);
    const res = await t.request({
      method: "POST",
      url: `/v1/users/${user.id}/client_secret`,
      headers: bearer(acme.apiKey),
      payload: { stripeCustomerId: "cus_forged" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_not_writable", param: "stripeCustomerId" });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).stripeCustomerId).toBeNull();
  });

  it("POST /v1/waitlists/:id/grant with a forged `granted` is a 400, and grants nothing", async () => {
    const joined = await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(acme.apiKey), payload: { email: "early@example.com" } });
    const res = await t.request({
      method: "POST",
      url: `/v1/waitlists/${joined.json().id}/grant`,
      headers: bearer(acme.apiKey),
      payload: { granted: "2020-01-01T00:00:00Z" },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_not_writable", param: "granted" });
    expect((await t.db.waitlistEntry.findUniqueOrThrow({ where: { id: joined.json().id } })).granted).toBeNull();
  });

  it("still accepts no body, or an empty object", async () => {
    const user = await t.createUser(acme);
    expect((await t.request({ method: "POST", url: `/v1/users/${user.id}/client_secret`, headers: bearer(acme.apiKey) })).statusCode).toBe(200);
    expect((await t.request({ method: "POST", url: `/v1/users/${user.id}/client_secret`, headers: bearer(acme.apiKey), payload: {} })).statusCode).toBe(200);
  });
});

describe("URLs the router cannot read are answered in the envelope", () => {
  it("a malformed percent-encoding is a 400 url_invalid, with the request id", async () => {
    const res = await t.request({ method: "GET", url: "/v1/users/%E0%A4%A", headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "url_invalid", request_id: res.headers["request-id"] });
  });

  it("an over-long path parameter is a 414 url_too_long, with the request id", async () => {
    const res = await t.request({ method: "GET", url: `/v1/users/${"x".repeat(1_000)}`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(414);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "url_too_long", request_id: res.headers["request-id"] });
  });
});

describe("requests Node's HTTP parser refuses are answered in the envelope", () => {
  it("headers over 16 KB are a 431 headers_too_large", async () => {
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const port = (t.app.server.address() as { port: number }).port;
    const res = await rawRequest(port, { method: "GET", path: `/v1/platforms?q=${"x".repeat(20_000)}`, headers: bearer(acme.apiKey) });
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body).error).toMatchObject({ type: "invalid_request_error", code: "headers_too_large", request_id: res.headers["request-id"] });
  });
});

describe("a malformed period is a 400 naming it, never a 500", () => {
  it.each(["/v1/transactions", "/v1/transactions/volume", "/v1/transactions/top/spenders", "/v1/transactions/cart_value"])("%s?from=junk&to=…", async (url) => {
    const res = await t.request({ method: "GET", url: `${url}?from=junk&to=2027-01-01T00:00:00Z`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_invalid", param: "from" });
  });
});

describe("a malformed due-date filter on the contract lists is a 400 naming it, never a 500", () => {
  it.each(["/v1/contracts", "/v1/contracts/user/:user_id/buyer", "/v1/contracts/user/:user_id/seller"])("%s?filter[due][gte]=junk&filter[due][lte]=…", async (route) => {
    const user = await t.createUser(acme);
    const url = `${route.replace(":user_id", user.id)}?filter%5Bdue%5D%5Bgte%5D=junk&filter%5Bdue%5D%5Blte%5D=2028-03-03T10%3A00%3A00Z`;
    const res = await t.request({ method: "GET", url, headers: bearer(acme.apiKey) });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_invalid", param: "filter[due][gte]" });
  });

  it("GET /v1/contracts/auth, for a signed-in user, likewise", async () => {
    const user = await t.createUser(acme);
    const res = await t.request({
      method: "GET",
      url: "/v1/contracts/auth?filter%5Bdue%5D%5Bgte%5D=0x10&filter%5Bdue%5D%5Blte%5D=2028-03-03T10%3A00%3A00Z",
      headers: bearer(user.token),
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_invalid", param: "filter[due][gte]" });
  });
});

describe("text PostgreSQL cannot store, and absurd nesting, are refused up front", () => {
  it("an unpaired surrogate in a JSON field is a 400 naming the field, not a 500 from the database", async () => {
    const user = await t.createUser(acme);
    const res = await t.request({
      method: "POST",
      url: "/v1/users/auth/link",
      headers: { ...bearer(user.token), "content-type": "application/json" },
      payload: '{"label":"\\ud800","url":"https://example.com"}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_invalid", param: "label" });
    expect(await t.db.userLink.count({ where: { userId: user.id } })).toBe(0);
  });

  it("a properly paired surrogate (an emoji, escaped) is accepted", async () => {
    const user = await t.createUser(acme);
    const res = await t.request({
      method: "POST",
      url: "/v1/users/auth/link",
      headers: { ...bearer(user.token), "content-type": "application/json" },
      payload: '{"label":"\\ud83d\\ude00 shop","url":"https://example.com"}',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().links[0].label).toBe("😀 shop");
  });

  it("an unpaired surrogate in a path parameter is a 400, not a 500", async () => {
    const res = await t.request({ method: "POST", url: `/v1/users/${encodeURIComponent("x")}%ED%A0%80/image`, headers: bearer(acme.apiKey), payload: { media_id: "m" } });
    expect(res.statusCode).toBe(400);
  });

  it("a JSON body nested thousands deep is a 400, also where no schema would stop it (idempotency hashes the body)", async () => {
    const deep = `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`;
    const res = await t.request({
      method: "POST",
      url: "/v1/utils/media/upload",
      headers: { ...bearer(acme.apiKey), "content-type": "application/json", "idempotency-key": "deep-1" },
      payload: deep,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("body_invalid");
  });
});

describe("a multipart body the parser cannot read is the client's error", () => {
  it("a multipart Content-Type without a boundary is a 400, not a 500", async () => {
    const user = await t.createUser(acme);
    const res = await t.request({
      method: "POST",
      url: "/v1/users/auth/image",
      headers: { ...bearer(user.token), "content-type": "multipart/form-data" },
      payload: '{"media_id":"x"}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "body_invalid", param: "media" });
  });
});
