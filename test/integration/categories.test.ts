import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let seller: TestUser;

beforeAll(async () => {
  t = await createTestContext();
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
const create = async (platform: TestPlatform, body: Json) => {
  const res = await call(platform, "POST", "/v1/categories", body);
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Json & { id: string };
};
const product = async (body: Json) => {
  const res = await call(acme, "POST", "/v1/products", { name: "Thing", price: 1000, user_id: seller.id, ...body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as Json & { id: string };
};

describe("categories", () => {
  it("CRUD: create with a slug made from the name, retrieve, list, change, delete; events recorded", async () => {
    const p = await t.createPlatform();
    const garden = await create(p, { name: "Garden & Outdoor", description: "All things green", position: 2 });
    expect(garden).toMatchObject({ slug: "garden-outdoor", name: "Garden & Outdoor", parent_id: null, position: 2, image: null, platform_id: p.id });
    expect(garden.id).toMatch(/^cat_[0-9a-f]{32}$/);
    const tools = await create(p, { name: "Tools", slug: "tools", parent_id: garden.id });
    expect(tools.parent_id).toBe(garden.id);

    expect((await call(p, "GET", `/v1/categories/${tools.id}`)).json()).toEqual(tools);
    const list = (await call(p, "GET", "/v1/categories?sort=name")).json();
    expect(list.data.map((c: Json) => c.slug)).toEqual(["garden-outdoor", "tools"]);
    expect(list.meta.total).toBe(2);
    const top = (await call(p, "GET", "/v1/categories?filter[parent_id]=null")).json();
    expect(top.data.map((c: Json) => c.id)).toEqual([garden.id]);

    const renamed = await call(p, "PUT", `/v1/categories/${tools.id}`, { name: "Hand tools", image: "https://cdn.example/tools.png" });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ name: "Hand tools", slug: "tools", image: "https://cdn.example/tools.png" });

    const removed = await call(p, "DELETE", `/v1/categories/${tools.id}`);
    expect(removed.statusCode).toBe(200);
    expect((await call(p, "GET", `/v1/categories/${tools.id}`)).statusCode).toBe(404);

    const events = (await call(p, "GET", "/v1/events?per_page=20")).json().data.map((e: Json) => e.type);
    expect(events).toEqual(expect.arrayContaining(["category.created", "category.updated", "category.deleted"]));
  });

  it("the tree: nested, each level in position order", async () => {
    const p = await t.createPlatform();
    const b = await create(p, { name: "B", position: 2 });
    const a = await create(p, { name: "A", position: 1 });
    const b2 = await create(p, { name: "B two", parent_id: b.id, position: 2 });
    const b1 = await create(p, { name: "B one", parent_id: b.id, position: 1 });
    const deep = await create(p, { name: "Deep", parent_id: b1.id });
    const tree = (await call(p, "GET", "/v1/categories/tree")).json();
    const shape = (nodes: Array<Json & { children: Json[] }>): unknown => nodes.map((n) => [n.name, shape(n.children as never)]);
    expect(shape(tree.data)).toEqual([
      ["A", []],
      [
        "B",
        [
          ["B one", [["Deep", []]]],
          ["B two", []],
        ],
      ],
    ]);
    expect(tree.data[1].children[0].children[0].id).toBe(deep.id);
    expect([a.id, b2.id]).toHaveLength(2);
  });

  it("moves a category with its subtree, and refuses cycles (422 category_cycle)", async () => {
    const p = await t.createPlatform();
    const root = await create(p, { name: "Root" });
    const child = await create(p, { name: "Child", parent_id: root.id });
    const grandchild = await create(p, { name: "Grandchild", parent_id: child.id });
    const elsewhere = await create(p, { name: "Elsewhere" });

    for (const target of [root.id, child.id, grandchild.id]) {
      const res = await call(p, "PATCH", `/v1/categories/${root.id}`, { parent_id: target });
      expect(res.statusCode, target).toBe(422);
      expect(res.json().error).toMatchObject({ code: "category_cycle", param: "parent_id" });
    }
    const moved = await call(p, "PATCH", `/v1/categories/${child.id}`, { parent_id: elsewhere.id });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().parent_id).toBe(elsewhere.id);
    expect((await call(p, "GET", `/v1/categories/${grandchild.id}`)).json().parent_id).toBe(child.id);
    const toTop = await call(p, "PUT", `/v1/categories/${child.id}`, { parent_id: null });
    expect(toTop.json().parent_id).toBeNull();
    expect((await call(p, "PUT", `/v1/categories/${child.id}`, { parent_id: "cat_nope" })).json().error).toMatchObject({ code: "resource_missing", param: "parent_id" });
  });

  it("refuses a tree deeper than 10 levels", async () => {
    const p = await t.createPlatform();
    let parent: string | null = null;
    for (let level = 1; level <= 10; level++) parent = (await create(p, { name: `L${level}`, parent_id: parent })).id;
    const res = await call(p, "POST", "/v1/categories", { name: "L11", parent_id: parent });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe("category_too_deep");
  });

  it("slugs are unique per platform: 409 on the same platform, fine on another", async () => {
    const p = await t.createPlatform();
    const q = await t.createPlatform();
    await create(p, { name: "Shoes" });
    const again = await call(p, "POST", "/v1/categories", { name: "Other shoes", slug: "shoes" });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: "slug_taken", param: "slug" });
    await create(q, { name: "Shoes" });
    const boots = await create(p, { name: "Boots" });
    expect((await call(p, "PATCH", `/v1/categories/${boots.id}`, { slug: "shoes" })).statusCode).toBe(409);
    expect((await call(p, "POST", "/v1/categories", { name: "Bad", slug: "Not A Slug" })).json().error).toMatchObject({ code: "parameter_invalid", param: "slug" });
  });

  it("is the platform's: another platform's category is a 404 everywhere, also as a parent or a product's category", async () => {
    const theirs = await create(other, { name: "Theirs" });
    for (const [method, url, body] of [
      ["GET", `/v1/categories/${theirs.id}`, undefined],
      ["PUT", `/v1/categories/${theirs.id}`, { name: "Mine now" }],
      ["DELETE", `/v1/categories/${theirs.id}`, undefined],
    ] as const) {
      expect((await call(acme, method, url, body)).statusCode, `${method} ${url}`).toBe(404);
    }
    const child = await call(acme, "POST", "/v1/categories", { name: "Child", parent_id: theirs.id });
    expect(child.statusCode).toBe(404);
    expect(child.json().error.param).toBe("parent_id");
    const p = await call(acme, "POST", "/v1/products", { name: "Thing", price: 100, user_id: seller.id, category_id: theirs.id });
    expect(p.statusCode).toBe(404);
    expect(p.json().error.param).toBe("category_id");
    expect((await call(acme, "GET", "/v1/categories/tree")).json().data.map((c: Json) => c.id)).not.toContain(theirs.id);
  });

  it("members (and editors) read but cannot write; admins write", async () => {
    const member = await t.createUser(acme, "member");
    const editor = await t.createUser(acme, "editor");
    const admin = await t.createUser(acme, "admin");
    const cat = await create(acme, { name: "Readable" });
    expect((await call(member.token, "GET", `/v1/categories/${cat.id}`)).statusCode).toBe(200);
    expect((await call(member.token, "GET", "/v1/categories/tree")).statusCode).toBe(200);
    for (const token of [member.token, editor.token]) {
      expect((await call(token, "POST", "/v1/categories", { name: "Nope" })).statusCode).toBe(403);
      expect((await call(token, "PUT", `/v1/categories/${cat.id}`, { name: "Nope" })).statusCode).toBe(403);
      expect((await call(token, "DELETE", `/v1/categories/${cat.id}`)).statusCode).toBe(403);
    }
    expect((await call(admin.token, "PUT", `/v1/categories/${cat.id}`, { name: "By admin" })).statusCode).toBe(200);
  });

  it("deleting is refused while subcategories or products remain (409)", async () => {
    const parent = await create(acme, { name: "Parent in use" });
    const child = await create(acme, { name: "Child in use", parent_id: parent.id });
    const withChildren = await call(acme, "DELETE", `/v1/categories/${parent.id}`);
    expect(withChildren.statusCode).toBe(409);
    expect(withChildren.json().error.code).toBe("category_has_children");
    const p = await product({ category_id: child.id });
    const inUse = await call(acme, "DELETE", `/v1/categories/${child.id}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json().error.code).toBe("category_in_use");
    await call(acme, "PATCH", `/v1/products/${p.id}`, { category_id: null });
    expect((await call(acme, "DELETE", `/v1/categories/${child.id}`)).statusCode).toBe(200);
    expect((await call(acme, "DELETE", `/v1/categories/${parent.id}`)).statusCode).toBe(200);
  });
});

describe("products in categories", () => {
  it("category_id sets the free-text category to its name; renaming follows; free text alone unlinks; old free-text products untouched", async () => {
    const lamps = await create(acme, { name: "Lamps" });
    const legacy = await product({ category: "Lighting", subcategory: "Desk" });
    expect(legacy).toMatchObject({ category: "Lighting", subcategory: "Desk", category_id: null });
    const linked = await product({ category_id: lamps.id, category: "ignored" });
    expect(linked).toMatchObject({ category_id: lamps.id, category: "Lamps" });

    await call(acme, "PUT", `/v1/categories/${lamps.id}`, { name: "Lamps & Lights" });
    expect((await call(acme, "GET", `/v1/products/${linked.id}`)).json()).toMatchObject({ category_id: lamps.id, category: "Lamps & Lights" });

    // An old client sending back what it read keeps the link; another text unlinks it.
    const same = await call(acme, "PUT", `/v1/products/${linked.id}`, { category: "Lamps & Lights", name: "Renamed" });
    expect(same.json()).toMatchObject({ category_id: lamps.id, category: "Lamps & Lights" });
    const unlinked = await call(acme, "PUT", `/v1/products/${linked.id}`, { category: "Furniture" });
    expect(unlinked.json()).toMatchObject({ category_id: null, category: "Furniture" });
    expect((await call(acme, "GET", `/v1/products/${legacy.id}`)).json()).toMatchObject({ category: "Lighting", category_id: null });
    expect((await call(acme, "GET", `/v1/products?filter[category]=Lighting`)).json().data.map((x: Json) => x.id)).toEqual([legacy.id]);

    const variant = await product({ parent_product_id: legacy.id });
    expect(variant.category_id).toBeNull();
    const relink = await call(acme, "PATCH", `/v1/products/${legacy.id}`, { category_id: lamps.id });
    expect(relink.json()).toMatchObject({ category_id: lamps.id, category: "Lamps & Lights" });
    expect((await product({ parent_product_id: legacy.id })).category_id).toBe(lamps.id);
  });

  it("filter[category_id] takes the category's descendants too, and nothing of other categories", async () => {
    const home = await create(acme, { name: "Home" });
    const kitchen = await create(acme, { name: "Kitchen", parent_id: home.id });
    const knives = await create(acme, { name: "Knives", parent_id: kitchen.id });
    const garage = await create(acme, { name: "Garage" });
    const a = await product({ name: "Sofa", category_id: home.id });
    const b = await product({ name: "Pan", category_id: kitchen.id });
    const c = await product({ name: "Santoku", category_id: knives.id });
    await product({ name: "Wrench", category_id: garage.id });
    const ids = async (id: string) => (await call(acme, "GET", `/v1/products?filter[category_id]=${id}&sort=name&per_page=100`)).json().data.map((p: Json) => p.id as string);
    // Sorted by name: Pan, Santoku, Sofa.
    expect(await ids(home.id)).toEqual([b.id, c.id, a.id]);
    expect(await ids(kitchen.id)).toEqual([b.id, c.id]);
    expect(await ids(knives.id)).toEqual([c.id]);
    const theirs = await create(other, { name: "Home" });
    expect(await ids(theirs.id)).toEqual([]);
  });
});
