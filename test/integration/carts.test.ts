import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let potter: TestUser;
let weaver: TestUser;
let buyer: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  potter = await t.createUser(acme, "member");
  weaver = await t.createUser(acme, "member");
  buyer = await t.createUser(acme, "member");
  stranger = await t.createUser(other, "member");
});
afterAll(() => t.close());

type Json = Record<string, any>;
const as = (u: TestUser) => bearer(u.token);

async function product(payload: Json = {}, seller: TestUser = potter): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: as(seller), payload: { name: "Bowl", price: 3000, ...payload } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const add = (productId: string, payload: Json, who: TestUser = buyer) => t.request({ method: "POST", url: `/v1/carts/auth/product/${productId}`, headers: as(who), payload });
const cartOf = async (who: TestUser = buyer) => {
  const res = await t.request({ method: "GET", url: "/v1/carts/auth", headers: as(who) });
  expect(res.statusCode).toBe(200);
  return res.json();
};
const clear = (who: TestUser = buyer) => t.request({ method: "DELETE", url: "/v1/carts/auth", headers: as(who) });

describe("the signed-in user's cart", () => {
  it("starts empty: one cart per user, in the platform's currency", async () => {
    const user = await t.createUser(acme, "member");
    const cart = await cartOf(user);
    expect(cart).toMatchObject({ platform_id: acme.id, mode: "test", user_id: user.id, items: [], sellers: [], total: 0, currency: "usd" });
    expect(cart.id).toMatch(/^cart_[0-9a-f]{32}$/);
    expect((await cartOf(user)).id).toBe(cart.id);
  });

  it("adds products, merges the same product and dates, and sums per seller", async () => {
    await clear();
    const bowl = await product({ price: 3000, quantity: 10 });
    const rug = await product({ name: "Rug", price: 12000, type: "service" }, weaver);
    const first = await add(bowl.id, { quantity: 2 });
    expect(first.statusCode, first.body).toBe(200);
    const item = first.json().items[0];
    expect(item).toMatchObject({
      cart_id: first.json().id,
      type: "product",
      quantity: 2,
      startDate: null,
      endDate: null,
      price: 3000,
      total: 6000,
      currency: "usd",
      product_id: bowl.id,
      parent_product_id: null,
      name: "Bowl",
      user_id: potter.id,
      isAvailable: true,
    });
    expect(item.id).toMatch(/^citem_[0-9a-f]{32}$/);
    const again = await add(bowl.id, { quantity: 3 });
    expect(again.json().items).toHaveLength(1);
    expect(again.json().items[0]).toMatchObject({ id: item.id, quantity: 5, total: 15000 });

    await add(rug.id, { quantity: 1, startDate: "2026-07-01T00:00:00Z", endDate: "2026-07-08T00:00:00Z" });
    await add(rug.id, { quantity: 1, startDate: "2026-08-01T00:00:00Z", endDate: "2026-08-08T00:00:00Z" });
    const merged = await add(rug.id, { quantity: 1, startDate: "2026-07-01T00:00:00+00:00", endDate: "2026-07-08T00:00:00Z" });
    const cart = merged.json();
    expect(cart.items.map((i: Json) => [i.product_id, i.quantity, i.startDate, i.type])).toEqual([
      [bowl.id, 5, null, "product"],
      [rug.id, 2, "2026-07-01T00:00:00Z", "service"],
      [rug.id, 1, "2026-08-01T00:00:00Z", "service"],
    ]);
    expect(cart.sellers).toEqual([
      { user_id: potter.id, subTotal: 15000 },
      { user_id: weaver.id, subTotal: 36000 },
    ]);
    expect(cart.total).toBe(51000);
    expect(await cartOf()).toEqual(cart);
  });

  it("prices items at the seasonal price in force at their startDate (now without dates)", async () => {
    await clear();
    const cabin = await product({ name: "Cabin", price: 10000 });
    await t.request({
      method: "POST",
      url: `/v1/products/${cabin.id}/prices`,
      headers: as(potter),
      payload: { seasonStart: "2030-06-01T00:00:00Z", seasonEnd: "2030-09-01T00:00:00Z", price: 15000 },
    });
    await t.request({ method: "PUT", url: `/v1/products/${cabin.id}/prices/usage`, headers: as(potter), payload: { useSeasonalPrices: true } });
    await add(cabin.id, { quantity: 1, startDate: "2030-08-31T23:59:59Z", endDate: "2030-09-02T00:00:00Z" });
    await add(cabin.id, { quantity: 1, startDate: "2030-09-01T00:00:00Z", endDate: "2030-09-02T00:00:00Z" });
    const cart = await add(cabin.id, { quantity: 1 });
    expect(cart.json().items.map((i: Json) => i.price)).toEqual([15000, 10000, 10000]);
    expect(cart.json().total).toBe(35000);
  });

  it("puts a variant in the cart when `variant` names one; a product with variants needs it", async () => {
    await clear();
    const shirt = await product({ name: "Shirt", price: 2000 });
    const small = await product({ name: "Shirt S", price: 1800, parent_product_id: shirt.id, quantity: 2 });
    const noVariant = await add(shirt.id, { quantity: 1 });
    expect(noVariant.statusCode).toBe(422);
    expect(noVariant.json().error).toMatchObject({ code: "variant_required", param: "variant" });
    const res = await add(shirt.id, { quantity: 1, variant: small.id });
    expect(res.statusCode).toBe(200);
    expect(res.json().items[0]).toMatchObject({ product_id: small.id, parent_product_id: shirt.id, price: 1800, name: "Shirt S" });
    const other = await product();
    const wrong = await add(other.id, { quantity: 1, variant: small.id });
    expect(wrong.statusCode).toBe(404);
    expect(wrong.json().error.param).toBe("variant");
    // Adding the variant by its own id is the same line.
    expect((await add(small.id, { quantity: 1 })).json().items[0].quantity).toBe(2);
    // A disabled parent makes its variants unbuyable.
    await t.request({ method: "PUT", url: `/v1/products/${shirt.id}/disable`, headers: as(potter) });
    const blocked = await add(shirt.id, { quantity: 1, variant: small.id });
    expect(blocked.statusCode).toBe(409);
    expect(blocked.json().error.param).toBe("product_id");
    expect((await cartOf()).items[0].isAvailable).toBe(false);
  });

  it.each([
    ["disabled", { isEnabled: false }, "product_disabled"],
    ["archived", {}, "product_archived"],
    ["out of stock", { quantity: 0 }, "product_out_of_stock"],
  ])("is 409 naming the product when it is %s", async (_what, payload, code) => {
    const p = await product(payload);
    if (code === "product_archived") await t.request({ method: "POST", url: `/v1/products/${p.id}/archive`, headers: as(potter) });
    const res = await add(p.id, { quantity: 1 });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code, param: "product_id" });
    expect(res.json().error.message).toContain(p.id);
  });

  it("is 409 when the cart would hold more than the stock, counting what it already holds", async () => {
    await clear();
    const p = await product({ quantity: 3 });
    const tooMany = await add(p.id, { quantity: 4 });
    expect(tooMany.statusCode).toBe(409);
    expect(tooMany.json().error).toMatchObject({ code: "insufficient_stock", param: "quantity" });
    expect((await add(p.id, { quantity: 2 })).statusCode).toBe(200);
    expect((await add(p.id, { quantity: 2, startDate: "2030-01-01T00:00:00Z" })).statusCode).toBe(409);
    expect((await add(p.id, { quantity: 1 })).statusCode).toBe(200);
    expect((await add(p.id, { quantity: 1 })).statusCode).toBe(409);
    expect((await cartOf()).items.find((i: Json) => i.product_id === p.id).quantity).toBe(3);
  });

  it("never holds more than the stock, even under parallel adds", async () => {
    const user = await t.createUser(acme, "member");
    const p = await product({ quantity: 5 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => add(p.id, { quantity: 1 }, user)));
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(5);
    expect(answers.filter((a) => a.statusCode === 409).every((a) => a.json().error.code === "insufficient_stock")).toBe(true);
    expect(answers.filter((a) => a.statusCode !== 200)).toHaveLength(7);
    const cart = await cartOf(user);
    expect(cart.items).toHaveLength(1);
    expect(cart.items[0].quantity).toBe(5);
    expect(await t.db.cart.count({ where: { userId: user.id } })).toBe(1);
  });

  it("lets two buyers each hold the last unit (carts do not reserve stock; contracts settle the race)", async () => {
    const last = await product({ quantity: 1 });
    const [a, b] = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
    const answers = await Promise.all([add(last.id, { quantity: 1 }, a), add(last.id, { quantity: 1 }, b)]);
    expect(answers.map((r) => r.statusCode)).toEqual([200, 200]);
    for (const user of [a, b]) expect((await cartOf(user)).items[0].quantity).toBe(1);
  });

  it("refuses a seller's own product (422) and another currency than the cart's (422)", async () => {
    await clear(potter);
    const mine = await product();
    const res = await add(mine.id, { quantity: 1 }, potter);
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ code: "own_product", param: "product_id" });
    await clear();
    await add((await product({ currency: "usd" })).id, { quantity: 1 });
    const eur = await add((await product({ currency: "eur" })).id, { quantity: 1 });
    expect(eur.statusCode).toBe(422);
    expect(eur.json().error.code).toBe("currency_mismatch");
  });

  it.each([
    [{}, "quantity"],
    [{ quantity: 0 }, "quantity"],
    [{ quantity: 1.5 }, "quantity"],
    [{ quantity: 10_001 }, "quantity"],
    [{ quantity: "2" }, "quantity"],
    [{ quantity: 1, endDate: "2026-07-08T00:00:00Z" }, "startDate"],
    [{ quantity: 1, startDate: "2026-07-08T00:00:00Z", endDate: "2026-07-01T00:00:00Z" }, "endDate"],
    [{ quantity: 1, startDate: "next week" }, "startDate"],
    [{ quantity: 1, price: 1 }, "price"],
    [{ quantity: 1, cart_id: "cart_x" }, "cart_id"],
  ])("POST is 400 for %j, naming %s", async (payload, param) => {
    const p = await product();
    const res = await add(p.id, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
  });

  it("POST is 404 for another platform's product or an unknown one", async () => {
    const theirs = await product({}, stranger);
    for (const id of [theirs.id, newId("product")]) {
      const res = await add(id, { quantity: 1 });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.param).toBe("product_id");
    }
  });

  it("needs a user token: 401 with nothing or with the platform key alone; the SDK's key + token works", async () => {
    const p = await product();
    expect((await t.request({ method: "GET", url: "/v1/carts/auth" })).statusCode).toBe(401);
    const keyOnly = await t.request({ method: "POST", url: `/v1/carts/auth/product/${p.id}`, headers: bearer(acme.apiKey), payload: { quantity: 1 } });
    expect(keyOnly.statusCode).toBe(401);
    expect(keyOnly.json().error.code).toBe("user_token_required");
    for (const [method, url] of [
      ["DELETE", "/v1/carts/auth"],
      ["DELETE", `/v1/carts/auth/item/${newId("cartItem")}`],
    ] as const) {
      expect((await t.request({ method, url })).statusCode).toBe(401);
    }
    const sdk = await t.request({
      method: "POST",
      url: `/v1/carts/auth/product/${p.id}`,
      headers: { api_key: acme.apiKey, mode: "test", authorization: `Bearer ${weaver.token}` },
      payload: { quantity: 1 },
    });
    expect(sdk.statusCode).toBe(200);
    expect(sdk.json().user_id).toBe(weaver.id);
  });

  it("DELETE /item/:id removes one item; another user's item is 404", async () => {
    await clear();
    const p = await product();
    const q = await product();
    await add(p.id, { quantity: 1 });
    const cart = (await add(q.id, { quantity: 1 })).json();
    const [first, second] = cart.items;
    const res = await t.request({ method: "DELETE", url: `/v1/carts/auth/item/${first.id}`, headers: as(buyer) });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((i: Json) => i.id)).toEqual([second.id]);
    expect((await t.request({ method: "DELETE", url: `/v1/carts/auth/item/${first.id}`, headers: as(buyer) })).statusCode).toBe(404);
    const theirs = await t.request({ method: "DELETE", url: `/v1/carts/auth/item/${second.id}`, headers: as(weaver) });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.param).toBe("cart_item_id");
    expect((await cartOf()).items).toHaveLength(1);
  });

  it("DELETE /carts/auth empties the cart and keeps it", async () => {
    await add((await product()).id, { quantity: 1 });
    const before = await cartOf();
    const res = await clear();
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: before.id, items: [], sellers: [], total: 0 });
    expect((await t.request({ method: "DELETE", url: "/v1/carts/auth", headers: as(buyer), payload: { items: [] } })).statusCode).toBe(400);
  });

  it("shows items that stopped being available (stock lowered, product disabled) as not available", async () => {
    await clear();
    const p = await product({ quantity: 5 });
    await add(p.id, { quantity: 4 });
    await t.request({ method: "PUT", url: `/v1/products/${p.id}`, headers: as(potter), payload: { quantity: 3 } });
    expect((await cartOf()).items[0].isAvailable).toBe(false);
    await t.request({ method: "PUT", url: `/v1/products/${p.id}`, headers: as(potter), payload: { quantity: null } });
    expect((await cartOf()).items[0].isAvailable).toBe(true);
  });
});

describe("PUT /v1/carts/auth/item/:cart_item_id: a line's quantity", () => {
  const setQuantity = (itemId: string, quantity: number, who: TestUser = buyer, headers: Json = {}) =>
    t.request({ method: "PUT", url: `/v1/carts/auth/item/${itemId}`, headers: { ...as(who), ...headers }, payload: { quantity } });

  it("lowers and raises a line, checked against the stock with the cart's other lines; 0 removes it", async () => {
    const user = await t.createUser(acme, "member");
    const p = await product({ quantity: 5 });
    const line = (await add(p.id, { quantity: 3 }, user)).json().items[0];
    const lowered = await setQuantity(line.id, 1, user);
    expect(lowered.statusCode, lowered.body).toBe(200);
    expect(lowered.json().items[0]).toMatchObject({ id: line.id, quantity: 1, total: 3000 });
    expect(lowered.json().total).toBe(3000);
    expect((await setQuantity(line.id, 5, user)).json().items[0].quantity).toBe(5);
    const past = await setQuantity(line.id, 6, user);
    expect(past.statusCode).toBe(409);
    expect(past.json().error).toMatchObject({ code: "insufficient_stock", param: "quantity" });
    // Another line of the product (other dates) counts: 4 + 2 > 5.
    await setQuantity(line.id, 3, user);
    const dated = (await add(p.id, { quantity: 2, startDate: "2030-01-01T00:00:00Z" }, user)).json().items[1];
    expect((await setQuantity(line.id, 4, user)).statusCode).toBe(409);
    expect((await setQuantity(dated.id, 1, user)).statusCode).toBe(200);
    expect((await setQuantity(line.id, 4, user)).statusCode).toBe(200);
    const removed = await setQuantity(line.id, 0, user);
    expect(removed.statusCode).toBe(200);
    expect(removed.json().items.map((i: Json) => i.id)).toEqual([dated.id]);
    expect((await setQuantity(line.id, 1, user)).statusCode).toBe(404);
  });

  it("raises only what is for sale: out of stock, disabled (409); lowering is always allowed", async () => {
    const user = await t.createUser(acme, "member");
    const p = await product({ quantity: 4 });
    const line = (await add(p.id, { quantity: 2 }, user)).json().items[0];
    await t.request({ method: "PUT", url: `/v1/products/${p.id}`, headers: as(potter), payload: { quantity: 0 } });
    const out = await setQuantity(line.id, 3, user);
    expect(out.statusCode).toBe(409);
    expect(out.json().error.code).toBe("product_out_of_stock");
    expect((await setQuantity(line.id, 1, user)).statusCode).toBe(200);
    await t.request({ method: "PUT", url: `/v1/products/${p.id}`, headers: as(potter), payload: { quantity: 4 } });
    await t.request({ method: "PUT", url: `/v1/products/${p.id}/disable`, headers: as(potter) });
    expect((await setQuantity(line.id, 2, user)).json().error.code).toBe("product_disabled");
  });

  it("counts the stock other buyers' unpaid contracts hold", async () => {
    const user = await t.createUser(acme, "member");
    const rival = await t.createUser(acme, "member");
    const p = await product({ quantity: 4 });
    const line = (await add(p.id, { quantity: 1 }, user)).json().items[0];
    const rivalCart = (await add(p.id, { quantity: 2 }, rival)).json();
    const held = await t.request({ method: "POST", url: `/v1/contracts/cart/${rivalCart.id}`, headers: as(rival) });
    expect(held.statusCode, held.body).toBe(201);
    expect((await setQuantity(line.id, 2, user)).statusCode).toBe(200);
    const past = await setQuantity(line.id, 3, user);
    expect(past.statusCode).toBe(409);
    expect(past.json().error.code).toBe("insufficient_stock");
    expect((await cartOf(user)).items[0].quantity).toBe(2);
  });

  it("never lets parallel raises hold more than the stock", async () => {
    const user = await t.createUser(acme, "member");
    const p = await product({ quantity: 5 });
    const a = (await add(p.id, { quantity: 1 }, user)).json().items[0];
    const b = (await add(p.id, { quantity: 1, startDate: "2030-01-01T00:00:00Z" }, user)).json().items[1];
    const answers = await Promise.all([setQuantity(a.id, 4, user), setQuantity(b.id, 4, user), setQuantity(a.id, 3, user), setQuantity(b.id, 3, user)]);
    expect(answers.filter((r) => r.statusCode !== 200).every((r) => r.statusCode === 409 && r.json().error.code === "insufficient_stock")).toBe(true);
    const lines = (await cartOf(user)).items as Json[];
    expect(lines.reduce((sum, l) => sum + l.quantity, 0)).toBeLessThanOrEqual(5);
    expect(answers.some((r) => r.statusCode === 409)).toBe(true);
  });

  it("is the signed-in user's own line only: another user's is 404, bad quantities 400, and an Idempotency-Key replays", async () => {
    const user = await t.createUser(acme, "member");
    const p = await product({ quantity: 5 });
    const line = (await add(p.id, { quantity: 1 }, user)).json().items[0];
    const theirs = await setQuantity(line.id, 2, weaver);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json().error.param).toBe("cart_item_id");
    for (const quantity of [-1, 1.5, 10_001]) expect((await setQuantity(line.id, quantity, user)).statusCode).toBe(400);
    const key = { "idempotency-key": newId("event") };
    const first = await setQuantity(line.id, 2, user, key);
    await setQuantity(line.id, 3, user);
    const again = await setQuantity(line.id, 2, user, key);
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
    expect((await cartOf(user)).items[0].quantity).toBe(3);
  });
});
