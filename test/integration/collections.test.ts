import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let seller: TestUser;

beforeAll(async () => {
  // The webhook endpoint's host need not resolve (tests have no DNS); deliveries wait for a worker.
  t = await createTestContext({ WEBHOOKS_ALLOW_PRIVATE: "true" });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  seller = await t.createUser(acme, "member");
});
afterAll(async () => {
  await t.close();
});

type Json = Record<string, unknown>;
const call = (platform: TestPlatform | string, method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE", url: string, payload?: Json) =>
  t.request({ method, url, headers: bearer(typeof platform === "string" ? platform : platform.apiKey), ...(payload ? { payload } : {}) });
const created = async (platform: TestPlatform, url: string, body: Json) => {
  const res = await call(platform, "POST", url, body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Json & { id: string };
};
const product = (body: Json) => created(acme, "/v1/products", { name: "Thing", price: 1000, user_id: seller.id, ...body });
const productIds = async (platform: TestPlatform | string, collection: string, query = "") => {
  const res = await call(platform, "GET", `/v1/collections/${collection}/products${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.map((p: Json) => p.id as string);
};

describe("collections", () => {
  it("curated: products in the chosen order, by id or handle; replacing the list; archived and deleted products drop out", async () => {
    const [a, b, c] = [await product({ name: "A" }), await product({ name: "B" }), await product({ name: "C" })];
    const spring = await created(acme, "/v1/collections", { title: "Spring Sale", product_ids: [c.id, a.id, b.id], metadata: { banner: "green" } });
    expect(spring).toMatchObject({ handle: "spring-sale", type: "curated", product_ids: [c.id, a.id, b.id], rules: null, metadata: { banner: "green" } });
    expect(spring.id).toMatch(/^coll_[0-9a-f]{32}$/);
    expect((await call(acme, "GET", "/v1/collections/spring-sale")).json()).toEqual(spring);
    expect(await productIds(acme, spring.id)).toEqual([c.id, a.id, b.id]);
    const page = (await call(acme, "GET", `/v1/collections/spring-sale/products?per_page=2&page=2`)).json();
    expect(page.data.map((p: Json) => p.id)).toEqual([b.id]);
    expect(page.meta).toMatchObject({ total: 3, current_page: 2, last_page: 2 });

    const changed = await call(acme, "PUT", "/v1/collections/spring-sale", { product_ids: [b.id, c.id], title: "Spring" });
    expect(changed.json()).toMatchObject({ title: "Spring", product_ids: [b.id, c.id] });
    await call(acme, "POST", `/v1/products/${b.id}/archive`);
    expect(await productIds(acme, spring.id)).toEqual([c.id]);
    await call(acme, "DELETE", `/v1/products/${c.id}`);
    expect((await call(acme, "GET", `/v1/collections/${spring.id}`)).json().product_ids).toEqual([b.id]);

    const removed = await call(acme, "DELETE", `/v1/collections/${spring.id}`);
    expect(removed.statusCode).toBe(200);
    expect((await call(acme, "GET", `/v1/collections/${spring.id}`)).statusCode).toBe(404);
    expect((await call(acme, "GET", `/v1/products/${a.id}`)).statusCode).toBe(200);
    const events = (await call(acme, "GET", "/v1/events?filter[type]=collection.created,collection.updated,collection.deleted&per_page=50")).json().data;
    expect(events.filter((e: Json) => (e.data as { object: Json }).object.id === spring.id).map((e: Json) => e.type)).toEqual([
      "collection.deleted",
      "collection.updated",
      "collection.created",
    ]);
  });

  it("rule-based: category with its descendants, price range and tags, matched when read", async () => {
    const outdoor = await created(acme, "/v1/categories", { name: "Outdoor" });
    const tents = await created(acme, "/v1/categories", { name: "Tents", parent_id: outdoor.id });
    const cheapTent = await product({ name: "Cheap tent", price: 5000, category_id: tents.id, tags: ["camping"] });
    await product({ name: "Luxury tent", price: 90000, category_id: tents.id, tags: ["camping"] });
    await product({ name: "Cheap chair", price: 3000, category_id: outdoor.id, tags: ["garden"] });
    await product({ name: "Cheap lamp", price: 2000, tags: ["camping"] });
    const rules = await created(acme, "/v1/collections", {
      title: "Camping under 100",
      type: "rules",
      rules: { category_id: outdoor.id, price_lte: 10000, tags: ["camping"] },
    });
    expect(rules).toMatchObject({ type: "rules", product_ids: [], rules: { category_id: outdoor.id, price_lte: 10000, tags: ["camping"] } });
    expect(await productIds(acme, rules.id)).toEqual([cheapTent.id]);
    // Matched when read: a new product that fits is in it.
    const later = await product({ name: "Another tent", price: 7000, category_id: tents.id, tags: ["camping"] });
    expect(await productIds(acme, rules.id, "?sort=price")).toEqual([cheapTent.id, later.id]);
    const widened = await call(acme, "PATCH", `/v1/collections/${rules.id}`, { rules: { category_id: outdoor.id, price_lte: 10000 } });
    expect(widened.statusCode).toBe(200);
    expect(await productIds(acme, rules.id, "?sort=price")).toHaveLength(3);
  });

  it("refuses bad bodies: rules on curated, product_ids on rules, unknown products and categories, taken handles", async () => {
    const theirs = await created(other, "/v1/products", { name: "Theirs", price: 100, user_id: (await t.createUser(other, "member")).id });
    const cases: Array<[Json, number, string]> = [
      [{ title: "X", type: "rules" }, 400, "rules"],
      [{ title: "X", type: "rules", rules: {} }, 400, "rules"],
      [{ title: "X", rules: { tags: ["a"] } }, 400, "rules"],
      [{ title: "X", type: "rules", rules: { price_gte: 10, price_lte: 5 } }, 400, "rules.price_lte"],
      [{ title: "X", product_ids: [theirs.id] }, 404, "product_ids"],
      [{ title: "X", type: "rules", rules: { category_id: "cat_nope" } }, 404, "rules.category_id"],
    ];
    for (const [body, status, param] of cases) {
      const res = await call(acme, "POST", "/v1/collections", body);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json().error.param, JSON.stringify(body)).toBe(param);
    }
    await created(acme, "/v1/collections", { title: "Unique", handle: "unique" });
    const taken = await call(acme, "POST", "/v1/collections", { title: "Other", handle: "unique" });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe("handle_taken");
    const curated = await created(acme, "/v1/collections", { title: "Curated" });
    expect((await call(acme, "PUT", `/v1/collections/${curated.id}`, { rules: { tags: ["a"] } })).json().error).toMatchObject({ code: "parameter_invalid", param: "rules" });
  });

  it("is the platform's, and only its key, owners and admins write", async () => {
    const mine = await created(acme, "/v1/collections", { title: "Mine", handle: "mine" });
    await created(other, "/v1/collections", { title: "Mine", handle: "mine" });
    expect((await call(other, "GET", `/v1/collections/${mine.id}`)).statusCode).toBe(404);
    expect((await call(other, "GET", `/v1/collections/${mine.id}/products`)).statusCode).toBe(404);
    expect((await call(other, "DELETE", `/v1/collections/${mine.id}`)).statusCode).toBe(404);
    expect((await call(other, "GET", "/v1/collections/mine")).json().id).not.toBe(mine.id);

    const member = await t.createUser(acme, "member");
    const editor = await t.createUser(acme, "editor");
    const admin = await t.createUser(acme, "admin");
    expect((await call(member.token, "GET", `/v1/collections/${mine.id}`)).statusCode).toBe(200);
    expect((await call(member.token, "GET", "/v1/collections")).statusCode).toBe(200);
    expect(await productIds(member.token, mine.id)).toEqual([]);
    for (const token of [member.token, editor.token]) {
      expect((await call(token, "POST", "/v1/collections", { title: "Nope" })).statusCode).toBe(403);
      expect((await call(token, "PATCH", `/v1/collections/${mine.id}`, { title: "Nope" })).statusCode).toBe(403);
      expect((await call(token, "DELETE", `/v1/collections/${mine.id}`)).statusCode).toBe(403);
    }
    expect((await call(admin.token, "PATCH", `/v1/collections/${mine.id}`, { title: "By admin" })).json().title).toBe("By admin");
  });

  it("shows each caller only the products it may see: a draft only to its seller, as in the catalogue", async () => {
    const published = await product({ name: "Out" });
    const draft = await product({ name: "Draft", draft: true });
    const curated = await created(acme, "/v1/collections", { title: "Mixed", product_ids: [draft.id, published.id] });
    const rules = await created(acme, "/v1/collections", { title: "Mixed by rule", type: "rules", rules: { tags: ["mixed"] } });
    await call(acme, "PATCH", `/v1/products/${published.id}`, { tags: ["mixed"] });
    await call(acme, "PATCH", `/v1/products/${draft.id}`, { tags: ["mixed"] });
    const stranger = await t.createUser(acme, "member");
    expect(await productIds(stranger.token, curated.id)).toEqual([published.id]);
    expect(await productIds(stranger.token, rules.id)).toEqual([published.id]);
    expect(await productIds(seller.token, curated.id)).toEqual([draft.id, published.id]);
    // As in GET /v1/products, the catalogue shows the key what members see: published listings.
    expect(await productIds(acme, curated.id)).toEqual([published.id]);
  });

  it("lists collections, filtered by type", async () => {
    const p = await t.createPlatform();
    const key = p.apiKey;
    await call(key, "POST", "/v1/collections", { title: "One" });
    await call(key, "POST", "/v1/collections", { title: "Two", type: "rules", rules: { type: "service" } });
    const all = (await call(key, "GET", "/v1/collections?sort=title")).json();
    expect(all.data.map((c: Json) => c.title)).toEqual(["One", "Two"]);
    expect((await call(key, "GET", "/v1/collections?filter[type]=rules")).json().data.map((c: Json) => c.title)).toEqual(["Two"]);
  });
});

describe("sparse field sets", () => {
  it("fields= cuts each product of a collection, and each collection, down to those fields and its id; an unknown field is a 400 naming fields", async () => {
    const [a, b] = [await product({ name: "Sparse A", price: 1200 }), await product({ name: "Sparse B", price: 3400 })];
    await created(acme, "/v1/collections", { title: "Sparse", product_ids: [b.id, a.id] });
    const res = await call(acme, "GET", "/v1/collections/sparse/products?fields=name,price");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data).toEqual([
      { id: b.id, name: "Sparse B", price: 3400 },
      { id: a.id, name: "Sparse A", price: 1200 },
    ]);
    expect(res.json().meta.total).toBe(2);
    const one = await call(acme, "GET", "/v1/collections/sparse?fields=handle,product_ids");
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json()).toEqual({ id: expect.stringMatching(/^coll/), handle: "sparse", product_ids: [b.id, a.id] });
    const list = await call(acme, "GET", "/v1/collections?fields=title&per_page=100");
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json().data.every((c: Json) => Object.keys(c).sort().join() === "id,title")).toBe(true);
    for (const url of [
      "/v1/collections/sparse/products?fields=colour",
      "/v1/collections/sparse?fields=price",
      "/v1/collections?fields=",
      "/v1/collections/sparse/products?fields=,",
    ]) {
      const bad = await call(acme, "GET", url);
      expect(bad.statusCode, url).toBe(400);
      expect(bad.json().error.param, url).toBe("fields");
    }
  });
});

describe("events and webhooks of the catalogue", () => {
  it("each change records its event with the object as answered, and a subscribed endpoint gets a delivery", async () => {
    const p = await t.createPlatform();
    const key = p.apiKey;
    const endpoint = await call(key, "POST", "/v1/webhooks", { url: "https://hooks.example.com/catalogue", events: ["category.created", "collection.updated"] });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    const category = await call(key, "POST", "/v1/categories", { name: "Evented" });
    const collection = await call(key, "POST", "/v1/collections", { title: "Evented" });
    const updated = await call(key, "PATCH", `/v1/collections/${collection.json().id}`, { title: "Evented again" });
    const events = (await call(key, "GET", "/v1/events?per_page=50")).json().data as Array<{ type: string; request_id: string; data: { object: Json } }>;
    for (const [res, type] of [
      [category, "category.created"],
      [collection, "collection.created"],
      [updated, "collection.updated"],
    ] as const) {
      const found = events.filter((e) => e.request_id === res.headers["request-id"]);
      expect(found.map((e) => e.type)).toEqual([type]);
      expect(found[0]!.data.object).toEqual(res.json());
    }
    const deliveries = (await call(key, "GET", `/v1/webhooks/${endpoint.json().id}/deliveries`)).json().data as Array<{ event_type?: string; type?: string }>;
    expect(deliveries).toHaveLength(2);
  });
});
