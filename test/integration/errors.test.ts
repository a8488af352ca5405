import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext({ BODY_LIMIT: "2048" });
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

const put = (payload: string | object, headers: Record<string, string> = {}) =>
  t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: { ...bearer(acme.apiKey), "content-type": "application/json", ...headers }, payload });

async function unchanged() {
  const row = await t.db.platform.findUniqueOrThrow({ where: { id: acme.id } });
  expect(row.name).toBe("Acme");
}

describe("bad input gets a clear error and changes nothing", () => {
  it("is 413 for a body over BODY_LIMIT", async () => {
    const res = await put({ name: "x".repeat(4000) });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "payload_too_large" });
    await unchanged();
  });

  it("is 400 for malformed JSON", async () => {
    const res = await put('{"name": "Broken",');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("body_invalid");
    await unchanged();
  });

  it("is 400 for a JSON body that is not an object", async () => {
    for (const body of ["[]", '"text"', "42", "null"]) {
      const res = await put(body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.type).toBe("invalid_request_error");
    }
    await unchanged();
  });

  it("reads an empty body sent as JSON as no body: nothing to change", async () => {
    // It was a 400; clients send the JSON content type on body-less requests (see empty-json-body.test.ts).
    const res = await put("");
    expect(res.statusCode).toBe(200);
    await unchanged();
  });

  it("is 415 for an unsupported content type", async () => {
    const res = await put("name=Hacked", { "content-type": "application/x-www-form-urlencoded" });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe("unsupported_media_type");
    await unchanged();
  });

  it("is 400 naming an unknown field, nested ones included", async () => {
    const res = await put({ name: "New", colour: "red" });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_unknown", param: "colour" });
    await unchanged();
  });

  it("is 400 naming an unknown query parameter", async () => {
    const res = await t.request({ method: "GET", url: `/v1/platforms/${acme.id}/keys?pgae=2`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_unknown", param: "pgae" });
  });

  it("never answers 5xx to hostile but well-formed input", async () => {
    const bodies = [
      { name: "\u0000" },
      { name: "😀".repeat(50) },
      { description: "'; DROP TABLE platforms; --" },
      { domains: Array.from({ length: 21 }, (_, i) => `d${i}.test`) },
      { name: { $gt: "" } },
      { platformFee: 1e308 },
      { platformFee: Number.MIN_VALUE },
    ];
    const scratch = await t.createPlatform({ name: "Scratch" });
    for (const body of bodies) {
      const res = await t.request({ method: "PUT", url: `/v1/platforms/${scratch.id}`, headers: bearer(scratch.apiKey), payload: body });
      expect(res.statusCode).toBeLessThan(500);
    }
  });

  it("is 404 with the envelope for an unknown route", async () => {
    const res = await t.request({ method: "GET", url: "/v1/nothing-here", headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(404);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code: "route_not_found" });
  });

  it("hides internal details of 5xx answers", async () => {
    // A database that refuses connections is the one 5xx a client can meet: 503, no internals.
    const broken = await createTestContext({ DATABASE_URL: "postgresql://nobody:nothing@127.0.0.1:1/none" }, { sharedDatabaseUrl: "postgresql://nobody:nothing@127.0.0.1:1/none" });
    const res = await broken.request({ method: "GET", url: "/v1/platforms", headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ type: "api_error", code: "database_unavailable" });
    expect(res.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|prisma|stack/i);
    expect(res.headers["retry-after"]).toBe("1");
    await broken.app.close();
    await broken.db.$disconnect();
  });
});

describe("NUL characters", () => {
  it("are refused in bodies, naming the field", async () => {
    const res = await put({ name: "a\u0000b" });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe("name");
    await unchanged();
  });

  it("are refused in path and query parameters", async () => {
    const path = await t.request({ method: "GET", url: "/v1/platforms/domains/a%00b" });
    expect(path.statusCode).toBe(400);
    expect(path.json().error.param).toBe("domain");
    const query = await t.request({ method: "GET", url: `/v1/platforms/${acme.id}/keys?filter[revoked]=%00`, headers: bearer(acme.apiKey) });
    expect(query.statusCode).toBe(400);
  });

  it("keep the prototype-poisoning protection of Fastify's parser", async () => {
    const res = await put('{"__proto__": {"admin": true}, "name": "x"}');
    expect(res.statusCode).toBe(400);
    await unchanged();
  });
});
