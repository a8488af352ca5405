import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

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
