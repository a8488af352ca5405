import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestContext, type TestContext } from "../helpers/app.js";

let t: TestContext;
type BodySchema = { required?: string[]; anyOf?: BodySchema[] };
let spec: {
  openapi: string;
  paths: Record<
    string,
    Record<string, { operationId?: string; security?: unknown[]; tags?: string[]; requestBody?: { required?: boolean; content: Record<string, { schema?: BodySchema }> } }>
  >;
  components: { schemas: Record<string, unknown> };
};

beforeAll(async () => {
  t = await createTestContext();
  const res = await t.request({ method: "GET", url: "/openapi.json" });
  expect(res.statusCode).toBe(200);
  spec = res.json();
});
afterAll(() => t.close());

/** Fastify's `/v1/users/:id` is OpenAPI's `/v1/users/{id}`. */
const toOpenApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

describe("/openapi.json", () => {
  it("is OpenAPI 3.1", () => {
    expect(spec.openapi).toBe("3.1.0");
  });

  it("lists every registered route, with an operationId and tags", () => {
    const routes = t.app.routeCatalog.filter((r) => !r.hidden);
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      const operation = spec.paths[toOpenApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url} is missing from /openapi.json`).toBeDefined();
      expect(operation!.operationId, `${route.method} ${route.url} has no operationId`).toBeTruthy();
      expect(operation!.tags?.length, `${route.method} ${route.url} has no tags`).toBeGreaterThan(0);
    }
  });

  it("has unique operationIds", () => {
    const ids = Object.values(spec.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("says how each operation is authenticated", () => {
    expect(spec.paths["/v1/platforms/domains/{domain}"]!.get!.security).toEqual([]);
    expect(spec.paths["/v1/platforms"]!.get!.security).toContainEqual({ apiKeyBearer: [] });
  });

  it("does not require a request body where the body schema has no required property (settle, grant, send, DELETEs…)", () => {
    const requires = (schema: BodySchema | undefined): boolean => !!schema && ((schema.required?.length ?? 0) > 0 || (schema.anyOf ?? []).some(requires));
    const optional: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (!operation.requestBody) continue;
        const needsField = Object.values(operation.requestBody.content).some((c) => requires(c.schema));
        if (needsField) expect(operation.requestBody.required, `${method} ${path}`).toBe(true);
        else {
          expect(operation.requestBody.required, `${method} ${path} declares a required body with no required property`).not.toBe(true);
          optional.push(`${method} ${path}`);
        }
      }
    }
    expect(optional).toEqual(
      expect.arrayContaining(["put /v1/contracts/{id}/settle", "post /v1/waitlists/{id}/grant", "post /v1/contracts/{id}/send", "delete /v1/products/{id}"]),
    );
    expect(spec.paths["/v1/auth/otp/email"]!.post!.requestBody!.required).toBe(true);
  });

  it("serves the same document at /docs/json", async () => {
    const res = await t.request({ method: "GET", url: "/docs/json" });
    expect(res.statusCode).toBe(200);
    expect(res.json().paths["/v1/contracts/{id}/settle"].put.requestBody.required).toBe(false);
  });

  it("describes the shared objects as components", () => {
    expect(Object.keys(spec.components.schemas)).toEqual(expect.arrayContaining(["Platform", "ApiKey", "Error"]));
  });

  it("serves a docs UI at /docs", async () => {
    const res = await t.request({ method: "GET", url: "/docs/" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
  });
});

describe("route access declarations", () => {
  it("make every /v1 route declare its access, failing closed by default", () => {
    for (const route of t.app.routeCatalog.filter((r) => r.url.startsWith("/v1/"))) {
      expect(route.auth, `${route.method} ${route.url}`).toBeDefined();
    }
  });
});
