import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import { createCandleClient, type CandleClient, type ErrorCode, type Schemas } from "../../clients/typescript/src/index.js";
import { createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/** The typed client generated from openapi.json (clients/typescript), over HTTP against the server. */
let t: TestContext;
let acme: TestPlatform;
let candle: CandleClient;
let baseUrl: string;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  await t.app.listen({ port: 0, host: "127.0.0.1" });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  candle = createCandleClient({ baseUrl, token: acme.apiKey });
});
afterAll(() => t.close());

describe("clients/typescript", () => {
  it("creates and reads objects with typed bodies and answers", async () => {
    const seller = await candle.POST("/v1/users", { body: { email: "seller@acme.test", firstName: "Ada" } });
    expect(seller.response.status).toBe(201);
    expect(seller.data?.email).toBe("seller@acme.test");

    const created = await candle.POST("/v1/products", {
      body: { name: "Beeswax candle", price: 2500, user_id: seller.data!.id },
      headers: { "idempotency-key": "typed-client-1" },
    });
    expect(created.error).toBeUndefined();
    const product: Schemas["Product"] | undefined = created.data;
    expect(product).toMatchObject({ name: "Beeswax candle", price: 2500, user_id: seller.data!.id });

    const read = await candle.GET("/v1/products/{id}", { params: { path: { id: product!.id } } });
    expect(read.data?.id).toBe(product!.id);
    expectTypeOf(read.data!.price).toEqualTypeOf<number>();
  });

  it("answers errors in the typed envelope, with a code from the enum", async () => {
    const missing = await candle.GET("/v1/products/{id}", { params: { path: { id: "prod_0192f1a0c3d87b4e9a1f2b3c4d5e6f70" } } });
    expect(missing.response.status).toBe(404);
    const code: ErrorCode | undefined = missing.error?.error.code;
    expect(code).toBe("resource_missing");
    const unauthenticated = await createCandleClient({ baseUrl }).GET("/v1/events");
    expect(unauthenticated.error?.error.code).toBe("credentials_missing");
  });

  it("pages events with cursors", async () => {
    const first = await candle.GET("/v1/events", { params: { query: { limit: 1 } } });
    expect(first.data && "has_more" in first.data && first.data.has_more).toBe(true);
    const newest = first.data!.data[0]!;
    const next = await candle.GET("/v1/events", { params: { query: { limit: 1, starting_after: newest.id } } });
    expect(next.data!.data[0]!.id).not.toBe(newest.id);
  });
});
