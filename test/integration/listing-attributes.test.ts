import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { multipart, PNG_1PX } from "../helpers/images.js";

/**
 * Listing attributes (docs/api/products.md): slug and retrieval by it, external_id and sku, the
 * gallery of uploads, weight, minQuantity on carts and contracts, visibility, publishAt, onHomepage
 * and `fields=` — with the role and tenancy attacks on each.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let editor: TestUser;
let seller: TestUser;
let buyer: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  [acme, other] = await Promise.all([t.createPlatform({ name: "Acme" }), t.createPlatform({ name: "Other" })]);
  [editor, seller, buyer, stranger] = await Promise.all([t.createUser(acme, "editor"), t.createUser(acme), t.createUser(acme), t.createUser(other)]);
});
afterAll(() => t.close());

type Json = Record<string, any>;
const key = (p: TestPlatform = acme) => bearer(p.apiKey);
const as = (u: TestUser) => bearer(u.token);
const call = (headers: Record<string, string>, method: string, url: string, payload?: unknown) =>
  t.request({ method: method as "GET", url: `/v1${url}`, headers, ...(payload !== undefined ? { payload: payload as Json } : {}) });

async function listing(payload: Json = {}, headers = as(seller)): Promise<Json> {
  const res = await call(headers, "POST", "/products", { name: "Oak chair", price: 2500, ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
function failed(res: { statusCode: number; body: string; json(): Json }, status: number, code?: string, param?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  if (code) expect(res.json().error.code).toBe(code);
  if (param) expect(res.json().error.param).toBe(param);
}
const ids = (res: { json(): Json }) => (res.json().data as Json[]).map((p) => p.id);
async function upload(platform: TestPlatform): Promise<string> {
  const body = multipart("media", "p.png", PNG_1PX);
  const res = await t.request({ method: "POST", url: "/v1/utils/media/upload", headers: { ...key(platform), ...body.headers }, payload: body.payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

describe("slug", () => {
  it("is made from the name (accents dropped), told apart by the id's end when taken, and kept on rename", async () => {
    const first = await listing({ name: "Chaise en Chêne — Ø 40" });
    expect(first.slug).toBe("chaise-en-chene-40");
    const second = await listing({ name: "Chaise en chêne Ø 40!" });
    expect(second.slug).toBe(`chaise-en-chene-40-${second.id.slice(-8)}`);
    const renamed = await call(as(seller), "PATCH", `/products/${first.id}`, { name: "Pine chair" });
    expect(renamed.json().slug).toBe("chaise-en-chene-40");
    expect((await listing({ name: "!!!" })).slug).toMatch(/^product/);
  });

  it("gives each of many same-named products created at once its own slug", async () => {
    const made = await Promise.all(Array.from({ length: 4 }, () => call(as(seller), "POST", "/products", { name: "Race stool", price: 100 })));
    for (const res of made) expect(res.statusCode, res.body).toBe(201);
    expect(new Set(made.map((r) => r.json().slug)).size).toBe(4);
  });

  it("takes a slug of the client's, unique per platform (409 slug_taken), checked in form (400)", async () => {
    const mine = await listing({ slug: "walnut-desk" });
    expect(mine.slug).toBe("walnut-desk");
    failed(await call(as(seller), "POST", "/products", { name: "Desk", price: 1, slug: "walnut-desk" }), 409, "slug_taken", "slug");
    failed(await call(as(seller), "PATCH", `/products/${(await listing()).id}`, { slug: "walnut-desk" }), 409, "slug_taken", "slug");
    for (const slug of ["Walnut", "walnut--desk", "-desk", "walnut desk", ""])
      failed(await call(as(seller), "POST", "/products", { name: "x", price: 1, slug }), 400, undefined, "slug");
    // Another platform has its own slugs.
    const theirs = await call(key(other), "POST", "/products", { name: "Desk", price: 1, slug: "walnut-desk", user_id: stranger.id });
    expect(theirs.statusCode, theirs.body).toBe(201);
  });

  it("GET /products/slug/:slug reads it as GET /products/:id does; another platform's is 404; filter[slug] lists it", async () => {
    const desk = await listing({ slug: "birch-desk" });
    const read = await call(as(buyer), "GET", "/products/slug/birch-desk");
    expect(read.statusCode, read.body).toBe(200);
    expect(read.json()).toEqual((await call(as(buyer), "GET", `/products/${desk.id}`)).json());
    failed(await call(key(other), "GET", "/products/slug/birch-desk"), 404, "resource_missing", "slug");
    failed(await call(as(stranger), "GET", "/products/slug/birch-desk"), 404);
    failed(await call({}, "GET", "/products/slug/birch-desk"), 401);
    expect(ids(await call(as(buyer), "GET", "/products?filter[slug]=birch-desk"))).toEqual([desk.id]);
  });
});

describe("external_id, sku, weight", () => {
  it("are written and filtered; external_id and sku are unique per platform (409)", async () => {
    const parent = await listing({ external_id: "ERP-1", weight: 2300 });
    const variant = await listing({ parent_product_id: parent.id, name: "Oak chair, red", sku: "CHAIR-RED", external_id: "ERP-1-R", weight: 2350 });
    expect(parent).toMatchObject({ external_id: "ERP-1", sku: null, weight: 2300 });
    expect(variant).toMatchObject({ external_id: "ERP-1-R", sku: "CHAIR-RED", weight: 2350 });
    expect((await call(as(buyer), "GET", `/products/${parent.id}`)).json().variants[0]).toMatchObject({ sku: "CHAIR-RED", weight: 2350 });
    failed(await call(as(seller), "POST", "/products", { name: "x", price: 1, external_id: "ERP-1" }), 409, "external_id_taken", "external_id");
    failed(await call(as(seller), "POST", "/products", { name: "x", price: 1, parent_product_id: parent.id, sku: "CHAIR-RED" }), 409, "sku_taken", "sku");
    expect(ids(await call(as(buyer), "GET", "/products?filter[external_id]=ERP-1"))).toEqual([parent.id]);
    expect(ids(await call(as(buyer), "GET", `/products?filter[parent_product_id]=${parent.id}&filter[sku]=CHAIR-RED`))).toEqual([variant.id]);
    failed(await call(as(seller), "POST", "/products", { name: "x", price: 1, weight: 1.5 }), 400, undefined, "weight");
    failed(await call(as(seller), "POST", "/products", { name: "x", price: 1, weight: -1 }), 400, undefined, "weight");
    // The same reference on another platform is another product's.
    expect((await call(key(other), "POST", "/products", { name: "x", price: 1, external_id: "ERP-1", user_id: stranger.id })).statusCode).toBe(201);
    expect(ids(await call(key(other), "GET", "/products?filter[external_id]=ERP-1"))).not.toContain(parent.id);
  });
});

describe("gallery", () => {
  it("keeps the platform's uploads in order, answered with their URLs; another platform's media or an unknown one is 404", async () => {
    const [a, b, theirs] = [await upload(acme), await upload(acme), await upload(other)];
    const product = await listing({ gallery: [b, a] });
    expect(product.gallery.map((g: Json) => g.id)).toEqual([b, a]);
    expect(product.gallery[0].url).toMatch(/^http/);
    const reordered = await call(as(seller), "PATCH", `/products/${product.id}`, { gallery: [a] });
    expect(reordered.json().gallery.map((g: Json) => g.id)).toEqual([a]);
    failed(await call(as(seller), "PATCH", `/products/${product.id}`, { gallery: [a, theirs] }), 404, "resource_missing", "gallery");
    failed(await call(as(seller), "PATCH", `/products/${product.id}`, { gallery: ["media_0192f1a0c3d87b4e9a1f2b3c4d5e6f70"] }), 404, "resource_missing", "gallery");
    failed(await call(as(seller), "PATCH", `/products/${product.id}`, { gallery: [a, a] }), 400, undefined, "gallery");
    expect((await call(as(seller), "GET", `/products/${product.id}`)).json().gallery.map((g: Json) => g.id)).toEqual([a]);
  });
});

describe("minQuantity", () => {
  it("is enforced on cart adds, cart lines lowered, and contract items (422 quantity_below_minimum)", async () => {
    const crate = await listing({ name: "Apple crate", minQuantity: 3, quantity: 50 });
    failed(await call(as(buyer), "POST", `/carts/auth/product/${crate.id}`, { quantity: 2 }), 422, "quantity_below_minimum", "quantity");
    const added = await call(as(buyer), "POST", `/carts/auth/product/${crate.id}`, { quantity: 3 });
    expect(added.statusCode, added.body).toBe(200);
    const line = (added.json().items as Json[]).find((i) => i.product_id === crate.id)!;
    failed(await call(as(buyer), "PUT", `/carts/auth/item/${line.id}`, { quantity: 2 }), 422, "quantity_below_minimum", "quantity");
    expect((await call(as(buyer), "PUT", `/carts/auth/item/${line.id}`, { quantity: 4 })).statusCode).toBe(200);
    expect((await call(as(buyer), "PUT", `/carts/auth/item/${line.id}`, { quantity: 0 })).statusCode).toBe(200);
    failed(await call(key(), "POST", "/contracts", { items: [{ product_id: crate.id, quantity: 1 }], buyers: [{ user_id: buyer.id }] }), 422, "quantity_below_minimum");
    const ok = await call(key(), "POST", "/contracts", { items: [{ product_id: crate.id, quantity: 3 }], buyers: [{ user_id: buyer.id }] });
    expect(ok.statusCode, ok.body).toBe(201);
    failed(await call(as(seller), "POST", "/products", { name: "x", price: 1, minQuantity: 0 }), 400, undefined, "minQuantity");
  });

  it("checks a cart's lines again at checkout when the minimum was raised since", async () => {
    const jar = await listing({ name: "Honey jar", quantity: 50 });
    const shopper = await t.createUser(acme);
    expect((await call(as(shopper), "POST", `/carts/auth/product/${jar.id}`, { quantity: 2 })).statusCode).toBe(200);
    expect((await call(as(seller), "PATCH", `/products/${jar.id}`, { minQuantity: 5 })).statusCode).toBe(200);
    const cart = (await call(as(shopper), "GET", "/carts/auth")).json();
    failed(await call(as(shopper), "POST", `/contracts/cart/${cart.id}`), 422, "quantity_below_minimum");
  });
});

describe("visibility and publishAt", () => {
  it("visibility decides which lists show a listing to members; reading it by id does not change", async () => {
    const tag = `vis-${Date.now()}`;
    const [both, catalog, search, none] = (await Promise.all(
      (["both", "catalog", "search", "none"] as const).map((visibility) => listing({ name: `Lamp ${tag} ${visibility}`, visibility, tags: [tag] })),
    )) as [Json, Json, Json, Json];
    const listed = async (headers: Record<string, string>, extra = "") => ids(await call(headers, "GET", `/products?filter[tags]=${tag}${extra}`)).sort();
    expect(await listed(as(buyer))).toEqual([both.id, catalog.id].sort());
    expect(await listed(as(buyer), `&search=${tag}`)).toEqual([both.id, search.id].sort());
    // The seller and editors and up see all of them.
    expect(await listed(as(seller))).toEqual([both.id, catalog.id, search.id, none.id].sort());
    expect(await listed(as(editor), `&search=${tag}`)).toEqual([both.id, catalog.id, search.id, none.id].sort());
    expect(await listed(key())).toHaveLength(4);
    // A seller's page follows the same rule.
    expect(ids(await call(as(buyer), "GET", `/products/user/${seller.id}?filter[tags]=${tag}`)).sort()).toEqual([both.id, catalog.id].sort());
    for (const p of [none, search]) {
      expect((await call(as(buyer), "GET", `/products/${p.id}`)).statusCode).toBe(200);
      expect((await call(as(buyer), "GET", `/products/slug/${p.slug}`)).statusCode).toBe(200);
    }
    expect((await call(as(buyer), "POST", `/carts/auth/product/${none.id}`, { quantity: 1 })).statusCode).toBe(200);
    failed(await call(as(seller), "POST", "/products", { name: "x", price: 1, visibility: "hidden" }), 400, undefined, "visibility");
  });

  it("before publishAt only the seller and editors and up see a listing: 404 and left out of lists for others, not for sale", async () => {
    const tag = `soon-${Date.now()}`;
    const soon = await listing({ name: "Future sofa", publishAt: "2099-01-01T00:00:00Z", tags: [tag] });
    const past = await listing({ name: "Past sofa", publishAt: "2020-01-01T00:00:00Z", tags: [tag] });
    expect(soon.publishAt).toBe("2099-01-01T00:00:00Z");
    failed(await call(as(buyer), "GET", `/products/${soon.id}`), 404, "resource_missing");
    failed(await call(as(buyer), "GET", `/products/slug/${soon.slug}`), 404);
    failed(await call(as(buyer), "POST", `/carts/auth/product/${soon.id}`, { quantity: 1 }), 404);
    failed(await call(as(buyer), "POST", "/contracts", { items: [{ product_id: soon.id, quantity: 1 }], buyers: [{ user_id: buyer.id }] }), 404);
    expect(ids(await call(as(buyer), "GET", `/products?filter[tags]=${tag}`))).toEqual([past.id]);
    for (const who of [as(seller), as(editor), key()]) {
      expect((await call(who, "GET", `/products/${soon.id}`)).statusCode).toBe(200);
      expect(ids(await call(who, "GET", `/products?filter[tags]=${tag}`)).sort()).toEqual([soon.id, past.id].sort());
    }
    // A variant before its date is left out of its parent for members.
    const variant = await listing({ parent_product_id: past.id, name: "Past sofa, blue", publishAt: "2099-01-01T00:00:00Z" });
    expect((await call(as(buyer), "GET", `/products/${past.id}`)).json().variants).toEqual([]);
    expect((await call(as(seller), "GET", `/products/${past.id}`)).json().variants.map((v: Json) => v.id)).toEqual([variant.id]);
    // Published now: everyone sees it.
    expect((await call(as(seller), "PATCH", `/products/${soon.id}`, { publishAt: null })).statusCode).toBe(200);
    expect((await call(as(buyer), "GET", `/products/${soon.id}`)).statusCode).toBe(200);
  });
});

describe("onHomepage", () => {
  it("is picked by editors and up and the key (403 field_forbidden for a seller), and filtered", async () => {
    failed(await call(as(seller), "POST", "/products", { name: "x", price: 1, onHomepage: true }), 403, "field_forbidden", "onHomepage");
    const mine = await listing({ onHomepage: false });
    failed(await call(as(seller), "PATCH", `/products/${mine.id}`, { onHomepage: true }), 403, "field_forbidden", "onHomepage");
    expect((await call(as(editor), "PATCH", `/products/${mine.id}`, { onHomepage: true })).json().onHomepage).toBe(true);
    // The seller sending it unchanged (a whole object back) is fine; taking it off is the platform's too.
    expect((await call(as(seller), "PUT", `/products/${mine.id}`, { onHomepage: true, name: "Oak chair" })).statusCode).toBe(200);
    failed(await call(as(seller), "PATCH", `/products/${mine.id}`, { onHomepage: false }), 403, "field_forbidden");
    const picked = await listing({ onHomepage: true, user_id: seller.id }, key());
    const home = ids(await call(as(buyer), "GET", "/products?filter[on_homepage]=true&per_page=100"));
    expect(home).toEqual(expect.arrayContaining([mine.id, picked.id]));
    expect(ids(await call(as(buyer), "GET", "/products?filter[on_homepage]=false&per_page=100"))).not.toContain(mine.id);
    failed(await call(as(buyer), "GET", "/products?filter[on_homepage]=yes"), 400, undefined, "filter[on_homepage]");
  });
});

describe("fields=", () => {
  it("answers only the named fields and id, on lists, retrieve and slug; an unknown field is a 400 naming it", async () => {
    const p = await listing({ name: "Sparse lamp", slug: "sparse-lamp" });
    const one = await call(as(buyer), "GET", `/products/${p.id}?fields=name,price,slug`);
    expect(one.json()).toEqual({ id: p.id, name: "Sparse lamp", price: 2500, slug: "sparse-lamp" });
    expect((await call(as(buyer), "GET", "/products/slug/sparse-lamp?fields=minQuantity")).json()).toEqual({ id: p.id, minQuantity: 1 });
    const page = await call(as(buyer), "GET", "/products?filter[slug]=sparse-lamp&fields=name,variants");
    expect(page.json()).toEqual({ data: [{ id: p.id, name: "Sparse lamp", variants: [] }], meta: expect.objectContaining({ total: 1 }) });
    const wrong = await call(as(buyer), "GET", `/products/${p.id}?fields=name,colour`);
    failed(wrong, 400, "parameter_invalid", "fields");
    expect(wrong.json().error.message).toContain("colour");
    failed(await call(as(buyer), "GET", `/products?fields=colour`), 400, undefined, "fields");
    failed(await call(as(buyer), "GET", `/products?fields=,`), 400, undefined, "fields");
    // fields= does not widen what the caller may see.
    const draft = await listing({ draft: true });
    failed(await call(as(buyer), "GET", `/products/${draft.id}?fields=id`), 404);
  });
});
