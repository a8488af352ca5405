import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let seller: TestUser;
let seller2: TestUser;
let editor: TestUser;
let buyer: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  seller = await t.createUser(acme, "member");
  seller2 = await t.createUser(acme, "member");
  editor = await t.createUser(acme, "editor");
  buyer = await t.createUser(acme, "member");
  stranger = await t.createUser(other, "member");
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);
type Json = Record<string, any>;

async function create(headers: Record<string, string>, payload: Json) {
  return t.request({ method: "POST", url: "/v1/products", headers, payload });
}
async function product(payload: Json = {}, headers = bearer(seller.token)): Promise<Json> {
  const res = await create(headers, { name: "Clay mug", price: 2500, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

describe("POST /v1/products", () => {
  it("lets a member sell a product: 201 with the documented object", async () => {
    const res = await create(bearer(seller.token), {
      name: "Sample Product",
      description: "This is a sample product description.",
      image: "https://example.com/product.jpg",
      quantity: 100,
      category: "Electronics",
      subcategory: "Mobile Phones",
      tags: ["tag1", "tag2", "tag1"],
      price: 29999,
    });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toMatchObject({
      platform_id: acme.id,
      mode: "test",
      user_id: seller.id,
      parent_product_id: null,
      name: "Sample Product",
      quantity: 100,
      isAvailableInStock: true,
      isEnabled: true,
      archived: null,
      category: "Electronics",
      subcategory: "Mobile Phones",
      tags: ["tag1", "tag2"],
      price: 29999,
      effectivePrice: 29999,
      currency: "usd",
      type: "product",
      cycle: null,
      useSeasonalPrices: false,
      seasonalPrices: [],
      variants: [],
    });
    expect(body.id).toMatch(/^prod_[0-9a-f]{32}$/);
    expect(body.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("takes a recurring service with a cycle and a currency", async () => {
    const p = await product({ type: "service", cycle: "biweekly", currency: "eur", quantity: null });
    expect(p).toMatchObject({ type: "service", cycle: "biweekly", currency: "eur", quantity: null, isAvailableInStock: true });
  });

  it("needs user_id with a platform key alone (400), and takes any seller of the platform with it", async () => {
    const missing = await create(key(), { name: "X", price: 100 });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ code: "parameter_missing", param: "user_id" });
    const ok = await create(key(), { name: "X", price: 100, user_id: seller2.id });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().user_id).toBe(seller2.id);
  });

  it("with the key and a user token (the SDK), the signed-in user sells by default", async () => {
    const res = await create({ api_key: acme.apiKey, mode: "test", authorization: `Bearer ${seller2.token}` }, { name: "SDK", price: 100 });
    expect(res.statusCode).toBe(201);
    expect(res.json().user_id).toBe(seller2.id);
  });

  it("lets an editor name any seller, defaulting to themself", async () => {
    expect((await product({}, bearer(editor.token))).user_id).toBe(editor.id);
    expect((await product({ user_id: seller.id }, bearer(editor.token))).user_id).toBe(seller.id);
  });

  it("is 403 for a member naming another seller, 404 for a seller of another platform", async () => {
    const res = await create(bearer(seller.token), { name: "X", price: 100, user_id: seller2.id });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("not_product_seller");
    const foreign = await create(key(), { name: "X", price: 100, user_id: stranger.id });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().error.param).toBe("user_id");
  });

  it("is 401 without credentials", async () => {
    expect((await create({}, { name: "X", price: 100 })).statusCode).toBe(401);
  });

  it.each([
    [{ name: "X", price: 299.99 }, "price"],
    [{ name: "X", price: -1 }, "price"],
    [{ name: "X", price: "100" }, "price"],
    [{ name: "X", price: 3_000_000_000 }, "price"],
    [{ name: "X" }, "price"],
    [{ price: 100 }, "name"],
    [{ name: " ", price: 100 }, "name"],
    [{ name: "X", price: 100, quantity: -1 }, "quantity"],
    [{ name: "X", price: 100, quantity: 1.5 }, "quantity"],
    [{ name: "X", price: 100, cycle: "fortnightly" }, "cycle"],
    [{ name: "X", price: 100, type: "subscription" }, "type"],
    [{ name: "X", price: 100, currency: "USD" }, "currency"],
    [{ name: "X", price: 100, image: "javascript:alert(1)" }, "image"],
    [{ name: "X", price: 100, tags: "a,b" }, "tags"],
    [{ name: "X", price: 100, isAvailableInStock: true }, "isAvailableInStock"],
    [{ name: "X", price: 100, effectivePrice: 1 }, "effectivePrice"],
    [{ name: "X", price: 100, id: "prod_x" }, "id"],
    [{ name: "X", price: 100, platform_id: "plat_x" }, "platform_id"],
    [{ name: "X", price: 100, colour: "red" }, "colour"],
  ])("is 400 for %j, naming %s, and creates nothing", async (payload, param) => {
    const before = await t.db.product.count();
    const res = await create(bearer(seller.token), payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
    expect(await t.db.product.count()).toBe(before);
  });
});

describe("variants", () => {
  it("hang under their parent (one level), inherit its category and seller, and are listed on it", async () => {
    const parent = await product({ name: "T-shirt", category: "Apparel", subcategory: "Shirts", currency: "eur" });
    const small = await product({ name: "T-shirt S", price: 2000, parent_product_id: parent.id, quantity: 3 });
    expect(small).toMatchObject({ parent_product_id: parent.id, user_id: seller.id, category: "Apparel", subcategory: "Shirts", currency: "eur", variants: [] });
    const fetched = (await t.request({ method: "GET", url: `/v1/products/${parent.id}`, headers: bearer(buyer.token) })).json();
    expect(fetched.variants.map((v: Json) => v.id)).toEqual([small.id]);
    expect(fetched.variants[0]).toMatchObject({ name: "T-shirt S", price: 2000, quantity: 3, isAvailableInStock: true });
    expect(fetched.variants[0].variants).toBeUndefined();

    const nested = await create(bearer(seller.token), { name: "T-shirt S slim", price: 1, parent_product_id: small.id });
    expect(nested.statusCode).toBe(422);
    expect(nested.json().error).toMatchObject({ code: "nested_variant", param: "parent_product_id" });

    const otherSeller = await create(bearer(editor.token), { name: "T-shirt M", price: 1, parent_product_id: parent.id, user_id: seller2.id });
    expect(otherSeller.statusCode).toBe(422);
    expect(otherSeller.json().error.code).toBe("variant_seller_mismatch");

    const notMine = await create(bearer(seller2.token), { name: "T-shirt L", price: 1, parent_product_id: parent.id });
    expect(notMine.statusCode).toBe(403);
  });

  it("are 404 under another platform's parent", async () => {
    const theirs = await product({}, bearer(stranger.token));
    const res = await create(bearer(seller.token), { name: "X", price: 1, parent_product_id: theirs.id });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.param).toBe("parent_product_id");
  });

  it("cannot be made of a product that has variants, nor of itself", async () => {
    const parent = await product();
    await product({ parent_product_id: parent.id });
    const other = await product();
    const res = await t.request({ method: "PUT", url: `/v1/products/${parent.id}`, headers: bearer(seller.token), payload: { parent_product_id: other.id } });
    expect(res.statusCode).toBe(422);
    const self = await t.request({ method: "PUT", url: `/v1/products/${other.id}`, headers: bearer(seller.token), payload: { parent_product_id: other.id } });
    expect(self.statusCode).toBe(422);
    const ok = await t.request({ method: "PUT", url: `/v1/products/${other.id}`, headers: bearer(seller.token), payload: { parent_product_id: parent.id } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().parent_product_id).toBe(parent.id);
  });
});

describe("GET /v1/products/:id", () => {
  it("lets anyone on the platform read a product", async () => {
    const p = await product();
    for (const headers of [bearer(buyer.token), key(), bearer(editor.token)]) {
      const res = await t.request({ method: "GET", url: `/v1/products/${p.id}`, headers });
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(p.id);
    }
  });

  it("is 404 for another platform's product or an unknown id, 401 without credentials, 400 for a bad `at`", async () => {
    const theirs = await product({}, bearer(stranger.token));
    expect((await t.request({ method: "GET", url: `/v1/products/${theirs.id}`, headers: key() })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/products/${newId("product")}`, headers: key() })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/products/${theirs.id}` })).statusCode).toBe(401);
    const bad = await t.request({ method: "GET", url: `/v1/products/${theirs.id}?at=tomorrow`, headers: key() });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("at");
  });

  it("derives isAvailableInStock from stock, isEnabled and archived", async () => {
    expect((await product({ quantity: 0 })).isAvailableInStock).toBe(false);
    expect((await product({ quantity: null })).isAvailableInStock).toBe(true);
    expect((await product({ isEnabled: false })).isAvailableInStock).toBe(false);
  });
});

describe("PUT and PATCH /v1/products/:id", () => {
  it.each(["PUT", "PATCH"] as const)("%s changes only the fields sent", async (method) => {
    const p = await product({ description: "Keep me", tags: ["a"] });
    const res = await t.request({ method, url: `/v1/products/${p.id}`, headers: bearer(seller.token), payload: { name: "Renamed", price: 999, quantity: 4 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: "Renamed", price: 999, quantity: 4, description: "Keep me", tags: ["a"], user_id: seller.id });
  });

  it("is 403 for a member who does not sell it; fine for an editor and the key", async () => {
    const p = await product();
    const res = await t.request({ method: "PUT", url: `/v1/products/${p.id}`, headers: bearer(seller2.token), payload: { name: "Mine now" } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("not_product_seller");
    expect((await t.request({ method: "PUT", url: `/v1/products/${p.id}`, headers: bearer(editor.token), payload: { name: "E" } })).statusCode).toBe(200);
    expect((await t.request({ method: "PATCH", url: `/v1/products/${p.id}`, headers: key(), payload: { name: "K" } })).json().name).toBe("K");
  });

  it("lets only editors move a product to another seller, taking its variants along", async () => {
    const parent = await product();
    const variant = await product({ parent_product_id: parent.id });
    const member = await t.request({ method: "PUT", url: `/v1/products/${parent.id}`, headers: bearer(seller.token), payload: { user_id: seller2.id } });
    expect(member.statusCode).toBe(403);
    const moved = await t.request({ method: "PUT", url: `/v1/products/${parent.id}`, headers: bearer(editor.token), payload: { user_id: seller2.id } });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().user_id).toBe(seller2.id);
    expect(moved.json().variants[0].user_id).toBe(seller2.id);
    expect((await t.db.product.findUniqueOrThrow({ where: { id: variant.id } })).userId).toBe(seller2.id);
    const variantAlone = await t.request({ method: "PUT", url: `/v1/products/${variant.id}`, headers: key(), payload: { user_id: seller.id } });
    expect(variantAlone.statusCode).toBe(422);
  });

  it("is 400 for bad values and server-owned fields, and changes nothing", async () => {
    const p = await product();
    for (const [payload, param] of [
      [{ price: 10.5 }, "price"],
      [{ isAvailableInStock: false }, "isAvailableInStock"],
      [{ archived: "2026-01-01T00:00:00Z" }, "archived"],
      [{ seasonalPrices: [] }, "seasonalPrices"],
    ] as const) {
      const res = await t.request({ method: "PUT", url: `/v1/products/${p.id}`, headers: bearer(seller.token), payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
    const after = (await t.request({ method: "GET", url: `/v1/products/${p.id}`, headers: key() })).json();
    expect(after.price).toBe(p.price);
  });

  it("is 404 for another platform's product and 401 without credentials", async () => {
    const theirs = await product({}, bearer(stranger.token));
    expect((await t.request({ method: "PUT", url: `/v1/products/${theirs.id}`, headers: key(), payload: { name: "X" } })).statusCode).toBe(404);
    expect((await t.request({ method: "PUT", url: `/v1/products/${theirs.id}`, payload: { name: "X" } })).statusCode).toBe(401);
  });
});

describe("enable, disable, archive, unarchive", () => {
  it("toggle isEnabled", async () => {
    const p = await product();
    const off = await t.request({ method: "PUT", url: `/v1/products/${p.id}/disable`, headers: bearer(seller.token) });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ isEnabled: false, isAvailableInStock: false });
    const on = await t.request({ method: "PUT", url: `/v1/products/${p.id}/enable`, headers: bearer(seller.token) });
    expect(on.json()).toMatchObject({ isEnabled: true, isAvailableInStock: true });
  });

  it("archive hides a product from lists (unless filter[archived]=true), keeping the first date; unarchive restores it", async () => {
    const p = await product({ category: "ArchiveTest" });
    const listed = async (query = "") =>
      (await t.request({ method: "GET", url: `/v1/products?filter[category]=ArchiveTest${query}`, headers: key() })).json().data.map((x: Json) => x.id);
    expect(await listed()).toEqual([p.id]);
    const archived = await t.request({ method: "POST", url: `/v1/products/${p.id}/archive`, headers: bearer(seller.token) });
    expect(archived.statusCode).toBe(200);
    expect(archived.json().archived).toMatch(/Z$/);
    expect(archived.json().isAvailableInStock).toBe(false);
    const again = await t.request({ method: "POST", url: `/v1/products/${p.id}/archive`, headers: bearer(seller.token) });
    expect(again.json().archived).toBe(archived.json().archived);
    expect(await listed()).toEqual([]);
    expect(await listed("&filter[archived]=true")).toEqual([p.id]);
    const back = await t.request({ method: "POST", url: `/v1/products/${p.id}/unarchive`, headers: bearer(seller.token) });
    expect(back.json().archived).toBeNull();
    expect(await listed()).toEqual([p.id]);
  });

  it("are 403 for someone else's product, 404 across platforms, 401 without credentials, 400 with a body", async () => {
    const p = await product();
    const theirs = await product({}, bearer(stranger.token));
    for (const [method, action] of [
      ["PUT", "enable"],
      ["PUT", "disable"],
      ["POST", "archive"],
      ["POST", "unarchive"],
    ] as const) {
      expect((await t.request({ method, url: `/v1/products/${p.id}/${action}`, headers: bearer(buyer.token) })).statusCode).toBe(403);
      expect((await t.request({ method, url: `/v1/products/${theirs.id}/${action}`, headers: key() })).statusCode).toBe(404);
      expect((await t.request({ method, url: `/v1/products/${p.id}/${action}` })).statusCode).toBe(401);
      const body = await t.request({ method, url: `/v1/products/${p.id}/${action}`, headers: key(), payload: { isEnabled: true } });
      expect(body.statusCode).toBe(400);
    }
  });
});

describe("DELETE /v1/products/:id", () => {
  it("deletes a product with its variants and prices, answering it as it was", async () => {
    const p = await product();
    const v = await product({ parent_product_id: p.id });
    const res = await t.request({ method: "DELETE", url: `/v1/products/${p.id}`, headers: bearer(seller.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: p.id, variants: [{ id: v.id }] });
    expect(await t.db.product.count({ where: { id: { in: [p.id, v.id] } } })).toBe(0);
    expect((await t.request({ method: "DELETE", url: `/v1/products/${p.id}`, headers: bearer(seller.token) })).statusCode).toBe(404);
  });

  it("is not stopped by a buyer's cart (or draft): the product's cart lines go with it", async () => {
    const p = await product({ quantity: 5 });
    const v = await product({ parent_product_id: p.id });
    await t.request({ method: "POST", url: `/v1/carts/auth/product/${p.id}`, headers: bearer(buyer.token), payload: { quantity: 1, variant: v.id } });
    expect((await t.request({ method: "DELETE", url: `/v1/products/${p.id}`, headers: bearer(seller.token) })).statusCode).toBe(200);
    expect(await t.db.cartItem.count({ where: { productId: { in: [p.id, v.id] } } })).toBe(0);
    expect((await t.request({ method: "GET", url: "/v1/carts/auth", headers: bearer(buyer.token) })).json().items).toEqual([]);
  });

  it("is 409 while a sent contract not yet paid names it, but not while it is a draft, nor once it is paid or void", async () => {
    const p = await product();
    const contractId = newId("contract");
    await t.db.contract.create({
      data: {
        id: contractId,
        platformId: acme.id,
        mode: "test",
        status: "open",
        items: { create: { id: newId("contractItem"), platformId: acme.id, mode: "test", userId: seller.id, productId: p.id, quantity: 1, price: 2500, total: 2500 } },
      },
    });
    for (const status of ["open", "processing"] as const) {
      await t.db.contract.update({ where: { id: contractId }, data: { status } });
      const res = await t.request({ method: "DELETE", url: `/v1/products/${p.id}`, headers: key() });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe("product_in_open_contract");
    }
    await t.db.contract.update({ where: { id: contractId }, data: { status: "draft" } });
    expect((await t.request({ method: "DELETE", url: `/v1/products/${p.id}`, headers: key() })).statusCode).toBe(200);
    const q = await product();
    await t.db.contractItem.updateMany({ where: { contractId }, data: { productId: q.id } });
    await t.db.contract.update({ where: { id: contractId }, data: { status: "paid" } });
    expect((await t.request({ method: "DELETE", url: `/v1/products/${q.id}`, headers: key() })).statusCode).toBe(200);
  });

  it("is 403 for another member, 404 across platforms, 401 without credentials", async () => {
    const p = await product();
    const theirs = await product({}, bearer(stranger.token));
    expect((await t.request({ method: "DELETE", url: `/v1/products/${p.id}`, headers: bearer(buyer.token) })).statusCode).toBe(403);
    expect((await t.request({ method: "DELETE", url: `/v1/products/${theirs.id}`, headers: key() })).statusCode).toBe(404);
    expect((await t.request({ method: "DELETE", url: `/v1/products/${p.id}` })).statusCode).toBe(401);
    expect(await t.db.product.count({ where: { id: { in: [p.id, theirs.id] } } })).toBe(2);
  });
});

describe("lists", () => {
  let shopper: TestPlatform;
  let s1: TestUser;
  let s2: TestUser;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    shopper = await t.createPlatform({ name: "Lists" });
    s1 = await t.createUser(shopper, "member");
    s2 = await t.createUser(shopper, "member");
    const make = async (name: string, payload: Json, who: TestUser) => {
      const res = await create(bearer(who.token), { name, ...payload });
      expect(res.statusCode, res.body).toBe(201);
      ids[name] = res.json().id;
    };
    await make("Red Mug", { price: 1200, category: "Kitchen", subcategory: "Mugs", tags: ["red", "ceramic"], description: "A mug for COFFEE" }, s1);
    await make("Blue Mug", { price: 1500, category: "Kitchen", subcategory: "Mugs", tags: ["blue", "ceramic"] }, s1);
    await make("Teapot", { price: 4000, category: "Kitchen", subcategory: "Teapots", tags: ["ceramic"] }, s2);
    await make("Pottery class", { price: 9000, category: "Lessons", type: "service", cycle: "weekly", tags: ["class"], isEnabled: false }, s2);
    await make("Gift card", { price: 5000 }, s2);
    await make("Red Mug XL", { price: 1800, parent_product_id: ids["Red Mug"] }, s1);
  });

  const get = async (query: string, who: TestUser = s1) => {
    const res = await t.request({ method: "GET", url: `/v1/products${query}`, headers: bearer(who.token) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { data: Json[]; meta: Json };
  };
  const names = async (query: string) => (await get(query)).data.map((p) => p.name);

  it("lists top-level products, newest first, with variants nested under their parent", async () => {
    const page = await get("");
    expect(page.data.map((p) => p.name)).toEqual(["Gift card", "Pottery class", "Teapot", "Blue Mug", "Red Mug"]);
    expect(page.meta).toMatchObject({ total: 5, per_page: 15, current_page: 1, last_page: 1, from: 1, to: 5 });
    expect(page.data.find((p) => p.name === "Red Mug")!.variants.map((v: Json) => v.name)).toEqual(["Red Mug XL"]);
  });

  it("lists a product's variants with filter[parent_product_id]", async () => {
    expect(await names(`?filter[parent_product_id]=${ids["Red Mug"]}`)).toEqual(["Red Mug XL"]);
  });

  it("filters by category, subcategory, tags (any of), seller, isEnabled, type and price range", async () => {
    expect(await names("?filter[category]=Kitchen&sort=name")).toEqual(["Blue Mug", "Red Mug", "Teapot"]);
    expect(await names("?filter[category]=Kitchen,Lessons&sort=name")).toEqual(["Blue Mug", "Pottery class", "Red Mug", "Teapot"]);
    expect(await names("?filter[subcategory]=Mugs&sort=name")).toEqual(["Blue Mug", "Red Mug"]);
    expect(await names("?filter[tags]=red,class&sort=name")).toEqual(["Pottery class", "Red Mug"]);
    expect(await names(`?filter[user_id]=${s2.id}&sort=name`)).toEqual(["Gift card", "Pottery class", "Teapot"]);
    expect(await names("?filter[isEnabled]=false")).toEqual(["Pottery class"]);
    expect(await names("?filter[type]=service")).toEqual(["Pottery class"]);
    expect(await names("?filter[price][gte]=1500&filter[price][lte]=5000&sort=price")).toEqual(["Blue Mug", "Teapot", "Gift card"]);
  });

  it("searches name and description, case-insensitively", async () => {
    expect(await names("?search=MUG&sort=name")).toEqual(["Blue Mug", "Red Mug"]);
    expect(await names("?search=coffee")).toEqual(["Red Mug"]);
    // LIKE wildcards in the text are matched literally.
    expect(await names("?search=%25")).toEqual([]);
    expect(await names("?search=_")).toEqual([]);
  });

  it("sorts by price, created and name, both ways, and paginates", async () => {
    expect(await names("?sort=price")).toEqual(["Red Mug", "Blue Mug", "Teapot", "Gift card", "Pottery class"]);
    expect(await names("?sort=-price")).toEqual(["Pottery class", "Gift card", "Teapot", "Blue Mug", "Red Mug"]);
    expect(await names("?sort=created")).toEqual(["Red Mug", "Blue Mug", "Teapot", "Pottery class", "Gift card"]);
    expect(await names("?sort=-name")).toEqual(["Teapot", "Red Mug", "Pottery class", "Gift card", "Blue Mug"]);
    const page2 = await get("?sort=price&per_page=2&page=2");
    expect(page2.data.map((p) => p.name)).toEqual(["Teapot", "Gift card"]);
    expect(page2.meta).toMatchObject({ total: 5, per_page: 2, current_page: 2, last_page: 3, from: 3, to: 4 });
  });

  it("is 400 for unknown sorts, filters and malformed values, naming the parameter", async () => {
    for (const [query, param] of [
      ["?sort=quantity", "sort"],
      ["?filter[colour]=red", "filter[colour]"],
      ["?filter[price][gte]=1.5", "filter[price][gte]"],
      ["?filter[price][gte]=500&filter[price][lte]=100", "filter[price][lte]"],
      ["?filter[isEnabled]=yes", "filter[isEnabled]"],
      ["?filter[type]=subscription", "filter[type]"],
      ["?per_page=101", "per_page"],
    ]) {
      const res = await t.request({ method: "GET", url: `/v1/products${query}`, headers: bearer(s1.token) });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
  });

  it("GET /v1/products/user/:user_id lists one seller's products; 404 for another platform's user", async () => {
    const res = await t.request({ method: "GET", url: `/v1/products/user/${s1.id}?sort=name`, headers: bearer(s2.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json().data.map((p: Json) => p.name)).toEqual(["Blue Mug", "Red Mug"]);
    expect((await t.request({ method: "GET", url: `/v1/products/user/${stranger.id}`, headers: bearer(s1.token) })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/products/user/${s1.id}` })).statusCode).toBe(401);
  });

  it("never shows another platform's products", async () => {
    const ours = await get("?per_page=100");
    expect(ours.data.every((p) => p.platform_id === shopper.id)).toBe(true);
    expect((await t.request({ method: "GET", url: "/v1/products" })).statusCode).toBe(401);
  });

  it("GET /v1/products/categories counts listed products per category and subcategory", async () => {
    const res = await t.request({ method: "GET", url: "/v1/products/categories", headers: bearer(s1.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      data: [
        {
          category: "Kitchen",
          count: 3,
          subcategories: [
            { subcategory: "Mugs", count: 2 },
            { subcategory: "Teapots", count: 1 },
          ],
        },
        { category: "Lessons", count: 1, subcategories: [] },
      ],
    });
    expect((await t.request({ method: "GET", url: "/v1/products/categories" })).statusCode).toBe(401);
  });
});
