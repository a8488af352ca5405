import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

let t: TestContext;
let platform: TestPlatform;

beforeAll(async () => {
  t = await createTestContext({ CORS_ORIGINS: "https://admin.example.com" });
  platform = await t.createPlatform();
});
afterAll(() => t.close());

const allow = (header: unknown) => String(header).split(", ");

describe("a method the path does not take", () => {
  it("answers 405 in the envelope, with Allow listing the methods the path takes", async () => {
    const res = await t.request({ method: "POST", url: "/v1/events", headers: { authorization: `Bearer ${platform.apiKey}` } });
    expect(res.statusCode).toBe(405);
    expect(allow(res.headers.allow)).toEqual(expect.arrayContaining(["GET", "HEAD"]));
    expect(allow(res.headers.allow)).not.toContain("POST");
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "method_not_allowed", request_id: res.headers["request-id"] });
  });

  it("matches paths with parameters, trailing slashes and a query the way the router does", async () => {
    const res = await t.request({ method: "PATCH", url: "/v1/webhooks/we_0192f1a0c3d87b4e9a1f2b3c4d5e6f70/?x=1" });
    expect(res.statusCode).toBe(405);
    expect(allow(res.headers.allow)).toEqual(expect.arrayContaining(["GET", "PUT", "DELETE"]));
    const list = await t.request({ method: "DELETE", url: "/v1/products" });
    expect(list.statusCode).toBe(405);
    expect(allow(list.headers.allow)).toEqual(expect.arrayContaining(["GET", "POST"]));
  });

  it("is answered before authentication: nothing about the caller is needed to know the path's methods", async () => {
    const res = await t.request({ method: "DELETE", url: "/health" });
    expect(res.statusCode).toBe(405);
    expect(allow(res.headers.allow)).toContain("GET");
  });

  it("leaves unknown paths a 404", async () => {
    const res = await t.request({ method: "GET", url: "/v1/nothing-here" });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("route_not_found");
    expect(res.headers.allow).toBeUndefined();
  });

  it("leaves CORS preflights (OPTIONS) answered by CORS", async () => {
    const res = await t.request({
      method: "OPTIONS",
      url: "/v1/events",
      headers: { origin: "https://admin.example.com", "access-control-request-method": "GET" },
    });
    expect(res.statusCode).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe("https://admin.example.com");
  });
});
