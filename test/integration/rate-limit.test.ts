import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext({ RATE_LIMIT_MAX: "5", RATE_LIMIT_IP_MAX: "3", RATE_LIMIT_WINDOW: "60" });
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

describe("rate limits", () => {
  it("answers 429 with Retry-After past the per-key limit, with RateLimit-* headers throughout", async () => {
    const answers = [];
    for (let i = 0; i < 6; i += 1) answers.push(await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(acme.apiKey) }));
    expect(answers.slice(0, 5).map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(answers[0]!.headers["ratelimit-limit"]).toBe("5");
    expect(answers[0]!.headers["ratelimit-remaining"]).toBe("4");
    expect(answers[4]!.headers["ratelimit-remaining"]).toBe("0");
    const limited = answers[5]!;
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toMatchObject({ type: "rate_limit_error", code: "rate_limited" });
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(limited.headers["retry-after"])).toBeLessThanOrEqual(60);
  });

  it("counts each key on its own", async () => {
    const other = await t.createPlatform();
    const res = await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(other.apiKey) });
    expect(res.statusCode).toBe(200);
  });

  it("counts parallel requests exactly", async () => {
    const p = await t.createPlatform();
    const answers = await Promise.all(Array.from({ length: 12 }, () => t.request({ method: "GET", url: "/v1/platforms", headers: bearer(p.apiKey) })));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(5);
    expect(answers.filter((a) => a.statusCode === 429)).toHaveLength(7);
  });

  it("limits failed authentication per client address, so keys cannot be guessed", async () => {
    const guesses = [];
    for (let i = 0; i < 4; i += 1) {
      guesses.push(await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(`cndl_test_${String(i).padStart(40, "0")}`), remoteAddress: "203.0.113.7" }));
    }
    expect(guesses.map((g) => g.statusCode)).toEqual([401, 401, 401, 429]);
  });

  it("limits public routes per client address", async () => {
    const answers = [];
    for (let i = 0; i < 4; i += 1) answers.push(await t.request({ method: "GET", url: "/v1/platforms/domains/x.test", remoteAddress: "203.0.113.8" }));
    expect(answers.map((a) => a.statusCode)).toEqual([404, 404, 404, 429]);
  });

  it("never limits health checks", async () => {
    for (let i = 0; i < 5; i += 1) {
      expect((await t.request({ method: "GET", url: "/health", remoteAddress: "203.0.113.9" })).statusCode).toBe(200);
    }
  });
});
