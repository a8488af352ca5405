import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../helpers/app.js";

let t: TestContext;

beforeAll(async () => {
  t = await createTestContext({ CORS_ORIGINS: "https://admin.example.com" });
  await t.createPlatform({ name: "Acme", url: "https://acme.example.com", domain: "shop.acme.test" });
});
afterAll(() => t.close());

const preflight = (origin: string) =>
  t.request({
    method: "OPTIONS",
    url: "/v1/platforms",
    headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization,api_key,mode" },
  });

describe("CORS", () => {
  it.each(["https://acme.example.com", "https://shop.acme.test", "https://admin.example.com"])("allows %s", async (origin) => {
    const res = await preflight(origin);
    expect(res.statusCode).toBe(204);
    expect(res.headers["access-control-allow-origin"]).toBe(origin);
    expect(String(res.headers["access-control-allow-headers"])).toMatch(/api_key/);
  });

  it.each(["https://evil.example.com", "https://acme.example.com.evil.test", "null"])("does not allow %s", async (origin) => {
    const res = await preflight(origin);
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("exposes the request id and rate-limit headers to browsers", async () => {
    const res = await t.request({ method: "GET", url: "/health", headers: { origin: "https://acme.example.com" } });
    expect(res.headers["access-control-allow-origin"]).toBe("https://acme.example.com");
    expect(String(res.headers["access-control-expose-headers"])).toMatch(/request-id/);
  });
});
