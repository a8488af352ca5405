import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { okContract } from "../helpers/contracts.js";

/**
 * Add-ons (docs/api/add-ons.md): the seed's six endpoints, who may change them (the listing's
 * seller, editors, the key) and read them (whoever reads the listing), their choice on cart lines
 * and contract items, and their price in the contract's figures — which still add up.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let editor: TestUser;
let seller: TestUser;
let buyer: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  [acme, other] = await Promise.all([t.createPlatform({ name: "Acme" }), t.createPlatform({ name: "Other" })]);
  [editor, seller, buyer] = await Promise.all([t.createUser(acme, "editor"), t.createUser(acme, "member"), t.createUser(acme, "member")]);
});
afterAll(() => t.close());

type Json = Record<string, any>;
const key = (p: TestPlatform = acme) => bearer(p.apiKey);
const as = (u: TestUser) => bearer(u.token);
const call = (headers: Record<string, string>, method: string, url: string, payload?: unknown) =>
  t.request({ method: method as "GET", url: `/v1${url}`, headers, ...(payload !== undefined ? { payload: payload as Json } : {}) });

async function product(payload: Json = {}): Promise<Json> {
  const res = await call(as(seller), "POST", "/products", { name: "Oak chair", price: 10_000, quantity: 20, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function addOn(productId: string, payload: Json = {}, headers = as(seller)): Promise<Json> {
  const res = await call(headers, "POST", `/products/${productId}/add_ons`, { title: "Gift wrap", price: 500, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe("the add-on endpoints", () => {
  it("create, list, count, retrieve, update and delete", async () => {
    const p = await product();
    const wrap = await addOn(p.id, { description: "Recycled paper" });
    expect(wrap).toMatchObject({ product_id: p.id, title: "Gift wrap", price: 500, description: "Recycled paper" });
    expect(wrap.id).toMatch(/^addon_/);
    const warranty = await addOn(p.id, { title: "Warranty", price: 1_250 }, as(editor));
    expect((await call(as(buyer), "GET", `/products/${p.id}/add_ons`)).json().map((a: Json) => a.id)).toEqual([wrap.id, warranty.id]);
    expect((await call(as(buyer), "GET", `/products/${p.id}/add_ons/count`)).json()).toEqual({ count: 2 });
    expect((await call(as(buyer), "GET", `/products/${p.id}`)).json().add_ons).toHaveLength(2);
    expect((await call(as(buyer), "GET", `/add_ons/${wrap.id}`)).json()).toEqual(wrap);
    const patched = await call(as(seller), "PATCH", `/add_ons/${wrap.id}`, { price: 600 });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ id: wrap.id, title: "Gift wrap", price: 600 });
    const removed = await call(as(seller), "DELETE", `/products/${p.id}/add_ons/${wrap.id}`);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().id).toBe(wrap.id);
    expect((await call(as(buyer), "GET", `/add_ons/${wrap.id}`)).statusCode).toBe(404);
    expect((await call(as(seller), "DELETE", `/listings/${p.id}/add_ons/${wrap.id}`)).statusCode).toBe(404);
    const events = (await call(key(), "GET", `/events?filter[object_id]=${p.id}&per_page=100`)).json().data as Json[];
    expect(events.filter((e) => e.type === "product.updated")).toHaveLength(4);
  });

  it("answer in the seed's shapes under /listings, with the same rights and events", async () => {
    const p = await product();
    const created = await call(as(seller), "POST", `/listings/${p.id}/add_ons`, { title: "Gift wrap", price: 500, description: "Recycled paper" });
    expect(created.statusCode, created.body).toBe(201);
    const wrap = created.json().add_on;
    expect(Object.keys(created.json())).toEqual(["add_on"]);
    expect(wrap).toMatchObject({ listing_id: p.id, title: "Gift wrap", price: 500, description: "Recycled paper" });
    expect(wrap).not.toHaveProperty("product_id");
    expect((await call(as(buyer), "GET", `/listings/${p.id}/add_ons`)).json()).toEqual({ add_ons: [wrap] });
    expect((await call(as(buyer), "GET", `/listings/${p.id}/add_ons/count`)).json()).toEqual({ count: "1" });
    expect((await call(as(buyer), "GET", `/listings/add_ons/${wrap.id}`)).json()).toEqual({ add_on: wrap });
    for (const method of ["PUT", "PATCH"]) {
      const changed = await call(as(seller), method, `/listings/add_ons/${wrap.id}`, { price: 700 });
      expect(changed.statusCode, changed.body).toBe(200);
      expect(changed.json()).toEqual({ success: true, message: "Add-on has been updated" });
    }
    expect((await call(as(buyer), "GET", `/add_ons/${wrap.id}`)).json()).toMatchObject({ product_id: p.id, price: 700 });
    // The same rights as under /products: another member may not change it, another platform does not see it.
    expect((await call(as(buyer), "PATCH", `/listings/add_ons/${wrap.id}`, { price: 1 })).statusCode).toBe(403);
    expect((await call(as(buyer), "DELETE", `/listings/${p.id}/add_ons/${wrap.id}`)).statusCode).toBe(403);
    expect((await call(key(other), "GET", `/listings/add_ons/${wrap.id}`)).statusCode).toBe(404);
    expect((await call(key(other), "GET", `/listings/${p.id}/add_ons`)).statusCode).toBe(404);
    const bad = await call(as(seller), "POST", `/listings/${p.id}/add_ons`, { title: "X", price: 1.5 });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("price");
    const removed = await call(as(seller), "DELETE", `/listings/${p.id}/add_ons/${wrap.id}`);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json()).toEqual({ success: true, message: "Add-on deleted" });
    expect((await call(as(buyer), "GET", `/listings/${p.id}/add_ons/count`)).json()).toEqual({ count: "0" });
    expect((await call(as(buyer), "GET", `/listings/add_ons/${wrap.id}`)).statusCode).toBe(404);
    const events = (await call(key(), "GET", `/events?filter[object_id]=${p.id}&per_page=100`)).json().data as Json[];
    expect(events.filter((e) => e.type === "product.updated")).toHaveLength(4);
  });

  it("refuses bad input, naming the field", async () => {
    const p = await product();
    for (const [body, param] of [
      [{ price: 100 }, "title"],
      [{ title: "X", price: 1.5 }, "price"],
      [{ title: "X", price: -1 }, "price"],
      [{ title: "X", price: 100, colour: "red" }, "colour"],
    ] as const) {
      const res = await call(as(seller), "POST", `/products/${p.id}/add_ons`, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
  });

  it("are changed only by whoever may change the listing, and seen by nobody of another platform", async () => {
    const p = await product();
    const wrap = await addOn(p.id);
    // Another member: they see the listing, but change none of it.
    expect((await call(as(buyer), "POST", `/products/${p.id}/add_ons`, { title: "Mine", price: 1 })).statusCode).toBe(403);
    expect((await call(as(buyer), "PUT", `/add_ons/${wrap.id}`, { price: 1 })).statusCode).toBe(403);
    expect((await call(as(buyer), "DELETE", `/products/${p.id}/add_ons/${wrap.id}`)).statusCode).toBe(403);
    // Another platform: nothing is there.
    for (const [method, url] of [
      ["GET", `/products/${p.id}/add_ons`],
      ["GET", `/add_ons/${wrap.id}`],
      ["PUT", `/add_ons/${wrap.id}`],
      ["DELETE", `/products/${p.id}/add_ons/${wrap.id}`],
      ["POST", `/products/${p.id}/add_ons`],
    ] as const) {
      const res = await call(key(other), method, url, method === "PUT" || method === "POST" ? { title: "X", price: 1 } : undefined);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    // A draft's add-ons are as hidden as the draft.
    const draft = await product({ draft: true });
    const hidden = await addOn(draft.id);
    expect((await call(as(buyer), "GET", `/add_ons/${hidden.id}`)).statusCode).toBe(404);
    expect((await call(as(buyer), "GET", `/products/${draft.id}/add_ons`)).statusCode).toBe(404);
  });
});

describe("add-ons bought", () => {
  it("price a cart line once per unit, and the contract made from the cart keeps them", async () => {
    const p = await product();
    const wrap = await addOn(p.id, { price: 500 });
    const warranty = await addOn(p.id, { title: "Warranty", price: 1_250 });
    const added = await call(as(buyer), "POST", `/carts/auth/product/${p.id}`, { quantity: 2, add_ons: [warranty.id, wrap.id] });
    expect(added.statusCode, added.body).toBe(200);
    // The same product without add-ons is another line.
    await call(as(buyer), "POST", `/carts/auth/product/${p.id}`, { quantity: 1 });
    const cart = (await call(as(buyer), "GET", "/carts/auth")).json();
    const line = cart.items.find((i: Json) => i.add_ons.length > 0);
    expect(line.add_ons.map((a: Json) => [a.id, a.total])).toEqual([
      [wrap.id, 1_000],
      [warranty.id, 2_500],
    ]);
    expect(line.total).toBe(2 * 10_000 + 1_000 + 2_500);
    expect(cart.total).toBe(line.total + 10_000);

    const made = okContract(await call(as(buyer), "POST", `/contracts/cart/${cart.id}`, { includeStripeFees: true }), 201);
    const item = made.items.find((i: Json) => i.add_ons.length > 0);
    expect(item.total).toBe(23_500);
    expect(item.add_ons).toEqual([
      { add_on_id: wrap.id, title: "Gift wrap", price: 500, quantity: 2, total: 1_000 },
      { add_on_id: warranty.id, title: "Warranty", price: 1_250, quantity: 2, total: 2_500 },
    ]);
    expect(made.subTotal).toBe(33_500);
    // A later price change leaves the contract as it was priced.
    await call(as(seller), "PATCH", `/add_ons/${wrap.id}`, { price: 9_999 });
    expect((await call(as(buyer), "GET", `/contracts/${made.id}`)).json().items.find((i: Json) => i.add_ons.length > 0).total).toBe(23_500);
  });

  it("price a contract item added by its product, and refuse another listing's add-on", async () => {
    const p = await product();
    const q = await product({ name: "Ash table" });
    const wrap = await addOn(p.id, { price: 700 });
    const foreign = await addOn(q.id);
    const made = okContract(
      await call(key(), "POST", "/contracts", {
        items: [{ product_id: p.id, quantity: 3, add_ons: [wrap.id] }],
        buyers: [{ user_id: buyer.id }],
        includeStripeFees: true,
        includeCandleFees: true,
        includePlatformFees: true,
      }),
      201,
    );
    expect(made.items[0]).toMatchObject({ price: 10_000, quantity: 3, total: 32_100 });
    const refused = await call(key(), "POST", `/contracts/${made.id}/item`, { product_id: p.id, add_ons: [foreign.id] });
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json().error).toMatchObject({ code: "add_on_not_offered", param: "add_ons" });
    const cartRefused = await call(as(buyer), "POST", `/carts/auth/product/${p.id}`, { quantity: 1, add_ons: [foreign.id] });
    expect(cartRefused.statusCode).toBe(422);
    const custom = await call(key(), "POST", `/contracts/${made.id}/item`, { user_id: seller.id, price: 100, add_ons: [wrap.id] });
    expect(custom.statusCode).toBe(400);
    expect(custom.json().error.param).toBe("add_ons");
  });

  it("of a parent are chosen with its variant", async () => {
    const parent = await product({ name: "Mug" });
    const variant = await product({ name: "Mug, blue", parent_product_id: parent.id });
    const glaze = await addOn(parent.id, { title: "Glaze", price: 300 });
    const added = await call(as(buyer), "POST", `/carts/auth/product/${parent.id}`, { quantity: 1, variant: variant.id, add_ons: [glaze.id] });
    expect(added.statusCode, added.body).toBe(200);
    expect(added.json().items.find((i: Json) => i.product_id === variant.id).total).toBe(10_300);
  });
});
