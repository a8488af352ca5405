import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/** The list conventions of the OAuth2 API seed: page links in `meta`, and `metadata=true` aggregates on contract lists. */

let t: TestContext;
let platform: TestPlatform;

const call = (method: string, url: string, payload?: unknown) =>
  t.request({
    method: method as "GET",
    url,
    headers: { ...bearer(platform.apiKey), ...(payload ? { "content-type": "application/json" } : {}) },
    payload: payload ? JSON.stringify(payload) : undefined,
  });

beforeAll(async () => {
  t = await createTestContext({ PUBLIC_URL: "https://api.example.com" });
  platform = await t.createPlatform({ name: "Lists" });
  const seller = await t.createUser(platform, "member");
  const buyer = await t.createUser(platform, "member");
  for (const [price, currency] of [
    [1000, "usd"],
    [2500, "usd"],
    [4000, "eur"],
  ] as const) {
    const product = await call("POST", "/v1/products", { user_id: seller.id, name: `Item ${price}`, price, quantity: 5, currency });
    expect(product.statusCode, product.body).toBe(201);
    const contract = await call("POST", "/v1/contracts", { items: [{ product_id: product.json().id, quantity: 1 }], buyers: [{ user_id: buyer.id }], currency });
    expect(contract.statusCode, contract.body).toBe(201);
  }
});
afterAll(() => t?.close());

describe("page links", () => {
  it("every page links to the first, last, next and previous page, keeping the query", async () => {
    const first = await call("GET", "/v1/products?per_page=2&sort=-created");
    expect(first.statusCode).toBe(200);
    expect(first.json().meta).toMatchObject({
      total: 3,
      current_page: 1,
      last_page: 2,
      path: "https://api.example.com/v1/products",
      first_page_url: "https://api.example.com/v1/products?per_page=2&sort=-created&page=1",
      last_page_url: "https://api.example.com/v1/products?per_page=2&sort=-created&page=2",
      next_page_url: "https://api.example.com/v1/products?per_page=2&sort=-created&page=2",
      prev_page_url: null,
    });
    const next = await call("GET", new URL(first.json().meta.next_page_url).pathname + new URL(first.json().meta.next_page_url).search);
    expect(next.json().meta).toMatchObject({ current_page: 2, next_page_url: null, prev_page_url: "https://api.example.com/v1/products?per_page=2&sort=-created&page=1" });
    expect(next.json().data).toHaveLength(1);
  });

  it("a page past the end still links back to the last page", async () => {
    const res = await call("GET", "/v1/contracts?page=9");
    expect(res.json().meta).toMatchObject({ current_page: 9, last_page: 1, next_page_url: null, prev_page_url: "https://api.example.com/v1/contracts?page=1" });
  });
});

describe("list metadata", () => {
  it("metadata=true sums every matching contract by currency, not only the page", async () => {
    const res = await call("GET", "/v1/contracts?per_page=1&metadata=true");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toHaveLength(1);
    const totals = res.json().metadata.totals as { currency: string; count: number; subTotal: number; total: number; paid: number }[];
    expect(totals.map((m) => [m.currency, m.count, m.subTotal, m.paid])).toEqual([
      ["eur", 1, 4000, 0],
      ["usd", 2, 3500, 0],
    ]);
    const filtered = await call("GET", "/v1/contracts?metadata=true&filter[currency]=usd");
    expect(filtered.json().metadata.totals).toHaveLength(1);
  });

  it("is absent unless asked for", async () => {
    expect((await call("GET", "/v1/contracts")).json().metadata).toBeUndefined();
  });
});
