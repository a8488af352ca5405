import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * Candle's SDK sends `Content-Type: application/json` on every request, body-less DELETEs and
 * POSTs included (so does curl given the header and no data): an empty body is no body.
 */

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

const asJson = (secret: string) => ({ ...bearer(secret), "content-type": "application/json" });

describe("an empty body sent as JSON is no body", () => {
  it("DELETE of a link, with the JSON content type and no body, removes it", async () => {
    const user = await t.createUser(acme);
    const added = await t.request({ method: "POST", url: "/v1/users/auth/link", headers: bearer(user.token), payload: { label: "Site", url: "https://example.com" } });
    const linkId = added.json().links[0].id;
    const res = await t.request({ method: "DELETE", url: `/v1/users/auth/link/${linkId}`, headers: asJson(user.token), payload: "" });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().links).toEqual([]);
  });

  it("a body-less POST (grant) and PUT (enable) with the JSON content type and no body succeed", async () => {
    const joined = await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(acme.apiKey), payload: { email: "early@example.com" } });
    const grant = await t.request({ method: "POST", url: `/v1/waitlists/${joined.json().id}/grant`, headers: asJson(acme.apiKey), payload: "" });
    expect(grant.statusCode, grant.body).toBe(200);
    expect(grant.json().granted).not.toBeNull();
  });

  it("a route that needs a body still refuses the absent one with a 400 naming it", async () => {
    const res = await t.request({ method: "POST", url: "/v1/auth/otp/email", headers: asJson(acme.apiKey), payload: "" });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "body_invalid", message: expect.stringMatching(/request body is missing/) });
    const link = await t.request({ method: "POST", url: "/v1/users/auth/link", headers: asJson((await t.createUser(acme)).token), payload: "" });
    expect(link.statusCode, link.body).toBe(400);
    expect(link.json().error.code).toBe("body_invalid");
  });

  it("a route whose body has only optional fields reads an absent body as nothing to change", async () => {
    for (const headers of [asJson(acme.apiKey), bearer(acme.apiKey)]) {
      const res = await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers, payload: headers["content-type"] ? "" : undefined });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().name).toBe("Acme");
    }
  });

  it("the same empty body without any content type reads the same", async () => {
    const res = await t.request({ method: "POST", url: "/v1/auth/otp/email", headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toMatch(/request body is missing/);
  });
});
