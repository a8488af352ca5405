import fs from "node:fs/promises";
import path from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { EVENT_TYPES } from "../../src/modules/events/event-types.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { PNG_1PX } from "../helpers/images.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";

/**
 * The events of products (fields, seller, stock, seasonal prices, enable/disable, archive,
 * images, deletion) and carts: each change records its event — the object as the API renders it
 * after the change (deletions: as it was) — in the change's own transaction; a change refused
 * records none, a change whose event cannot be written is not made, and webhook endpoints receive
 * the new types.
 */

interface ApiEvent {
  id: string;
  platform_id: string;
  mode: string;
  type: string;
  object_type: string;
  object_id: string;
  data: { object: Record<string, any> };
  request_id: string | null;
  created: string;
}
type Json = Record<string, any>;

let t: TestContext;
let acme: TestPlatform;
let editor: TestUser;
const receivers: Receiver[] = [];

beforeAll(async () => {
  t = await createTestContext({ PUBLIC_URL: "http://api.test", WEBHOOKS_ALLOW_PRIVATE: "true", JOBS_WORKER: "true", WEBHOOK_RETRY_BASE: "1", WEBHOOK_TIMEOUT: "2000" });
  acme = await t.createPlatform({ name: "Acme" });
  editor = await t.createUser(acme, "editor");
});
afterAll(async () => {
  await t.close();
  await Promise.all(receivers.map((r) => r.close()));
});

const key = () => bearer(acme.apiKey);
const as = (u: TestUser) => bearer(u.token);

async function events(query = ""): Promise<{ data: ApiEvent[]; meta: { total: number } }> {
  const res = await t.request({ method: "GET", url: `/v1/events${query}`, headers: key() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const total = async () => (await events("?per_page=1")).meta.total;

/** The events about one object, oldest first. */
async function eventsAbout(objectId: string): Promise<ApiEvent[]> {
  return (await events(`?filter[object_id]=${objectId}&per_page=100`)).data.reverse();
}
const typesAbout = async (objectId: string) => (await eventsAbout(objectId)).map((e) => e.type);

/** The events a request's changes recorded, oldest first. */
async function eventsOf(res: LightMyRequestResponse): Promise<ApiEvent[]> {
  const requestId = res.headers["request-id"];
  expect(requestId).toBeTruthy();
  return (await events("?per_page=100")).data.filter((e) => e.request_id === requestId).reverse();
}

/** The request succeeded and recorded exactly one event, of `type`, holding `object` (default: what it answered). */
async function expectOnlyEventOf(res: LightMyRequestResponse, type: string, object: Json = res.json(), objectType = type.split(".")[0]) {
  expect(res.statusCode, res.body).toBeLessThan(300);
  const recorded = await eventsOf(res);
  expect(recorded.map((e) => e.type)).toEqual([type]);
  expect(recorded[0]).toMatchObject({ type, object_type: objectType, object_id: object.id, platform_id: acme.id, mode: "test", request_id: res.headers["request-id"] });
  expect(recorded[0]!.data.object).toEqual(object);
  return recorded[0]!;
}

/** The request succeeded and recorded nothing. */
async function expectNoEventOf(res: LightMyRequestResponse) {
  expect(res.statusCode, res.body).toBeLessThan(300);
  expect(await eventsOf(res)).toEqual([]);
}

const createProduct = (who: TestUser, payload: Json) => t.request({ method: "POST", url: "/v1/products", headers: as(who), payload: { name: "Bowl", price: 3000, ...payload } });
async function product(who: TestUser, payload: Json = {}): Promise<Json> {
  const res = await createProduct(who, payload);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const retrieve = async (id: string) => (await t.request({ method: "GET", url: `/v1/products/${id}`, headers: key() })).json();
const act = (who: TestUser | "key", method: "POST" | "PUT" | "PATCH" | "DELETE", url: string, payload?: Json) =>
  t.request({ method, url: `/v1/products${url}`, headers: who === "key" ? key() : as(who), ...(payload ? { payload } : {}) });

// ── products ─────────────────────────────────────────────────────────────────────────────────────

describe("products", () => {
  it("product.created for a product and for a variant, each with the product as answered", async () => {
    const seller = await t.createUser(acme);
    const created = await createProduct(seller, { name: "Mug", quantity: 5, tags: ["clay"] });
    expect(created.statusCode).toBe(201);
    await expectOnlyEventOf(created, "product.created");
    const variant = await createProduct(seller, { name: "Mug, blue", parent_product_id: created.json().id });
    expect(variant.statusCode).toBe(201);
    const event = await expectOnlyEventOf(variant, "product.created");
    expect(event.data.object).toMatchObject({ parent_product_id: created.json().id, user_id: seller.id, variants: [] });
  });

  it("product.updated for PUT and PATCH — fields and stock — with the product after the change", async () => {
    const seller = await t.createUser(acme);
    const p = await product(seller, { quantity: 10 });
    const put = await act(seller, "PUT", `/${p.id}`, { name: "Big bowl", price: 3500, quantity: 3 });
    const event = await expectOnlyEventOf(put, "product.updated");
    expect(event.data.object).toMatchObject({ name: "Big bowl", price: 3500, quantity: 3, isAvailableInStock: true });
    const soldOut = await act(seller, "PATCH", `/${p.id}`, { quantity: 0 });
    expect((await expectOnlyEventOf(soldOut, "product.updated")).data.object).toMatchObject({ quantity: 0, isAvailableInStock: false });
    expect(await retrieve(p.id)).toEqual(soldOut.json());
    expect(await typesAbout(p.id)).toEqual(["product.created", "product.updated", "product.updated"]);
  });

  it("a new seller: product.updated for the parent, then for each variant that followed it (archived ones too)", async () => {
    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const parent = await product(seller, { name: "Lamp" });
    const red = await product(seller, { name: "Lamp, red", parent_product_id: parent.id });
    const green = await product(seller, { name: "Lamp, green", parent_product_id: parent.id });
    expect((await act(seller, "POST", `/${green.id}/archive`)).statusCode).toBe(200);

    const moved = await act(editor, "PUT", `/${parent.id}`, { user_id: buyer.id });
    expect(moved.statusCode, moved.body).toBe(200);
    const recorded = await eventsOf(moved);
    expect(recorded.map((e) => [e.type, e.object_id])).toEqual([
      ["product.updated", parent.id],
      ["product.updated", red.id],
      ["product.updated", green.id],
    ]);
    expect(recorded[0]!.data.object).toEqual(moved.json());
    expect(recorded[1]!.data.object).toEqual(await retrieve(red.id));
    expect(recorded[2]!.data.object).toEqual(await retrieve(green.id));
    for (const e of recorded) expect(e.data.object.user_id).toBe(buyer.id);
  });

  it("product.updated when seasonal prices are turned on or off; not when they already are", async () => {
    const seller = await t.createUser(acme);
    const p = await product(seller);
    const on = await act(seller, "PUT", `/${p.id}/prices/usage`, { useSeasonalPrices: true });
    expect((await expectOnlyEventOf(on, "product.updated")).data.object.useSeasonalPrices).toBe(true);
    await expectNoEventOf(await act(seller, "PUT", `/${p.id}/prices/usage`, { useSeasonalPrices: true }));
    const off = await act(seller, "PUT", `/${p.id}/prices/usage`, { useSeasonalPrices: false });
    expect((await expectOnlyEventOf(off, "product.updated")).data.object.useSeasonalPrices).toBe(false);
  });

  it("product.disabled / .enabled, once each: doing it again records nothing", async () => {
    const seller = await t.createUser(acme);
    const p = await product(seller);
    await expectNoEventOf(await act(seller, "PUT", `/${p.id}/enable`));
    const off = await act(seller, "PUT", `/${p.id}/disable`);
    expect((await expectOnlyEventOf(off, "product.disabled")).data.object).toMatchObject({ isEnabled: false, isAvailableInStock: false });
    await expectNoEventOf(await act(seller, "PUT", `/${p.id}/disable`));
    const on = await act("key", "PUT", `/${p.id}/enable`);
    expect((await expectOnlyEventOf(on, "product.enabled")).data.object).toMatchObject({ isEnabled: true, isAvailableInStock: true });
    expect(await typesAbout(p.id)).toEqual(["product.created", "product.disabled", "product.enabled"]);
  });

  it("product.archived (keeping the first date) / .unarchived, once each", async () => {
    const seller = await t.createUser(acme);
    const p = await product(seller);
    await expectNoEventOf(await act(seller, "POST", `/${p.id}/unarchive`));
    const archived = await act(seller, "POST", `/${p.id}/archive`);
    const event = await expectOnlyEventOf(archived, "product.archived");
    expect(event.data.object.archived).toEqual(expect.any(String));
    const again = await act(seller, "POST", `/${p.id}/archive`);
    await expectNoEventOf(again);
    expect(again.json().archived).toBe(event.data.object.archived);
    const back = await act(seller, "POST", `/${p.id}/unarchive`);
    expect((await expectOnlyEventOf(back, "product.unarchived")).data.object.archived).toBeNull();
    expect(await typesAbout(p.id)).toEqual(["product.created", "product.archived", "product.unarchived"]);
  });

  it("product.submitted / .approved / .rejected with the product after the change; a refused transition records nothing", async () => {
    const seller = await t.createUser(acme);
    const review = (on: boolean) => t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { requireListingReview: on } });
    expect((await review(true)).statusCode).toBe(200);
    try {
      const draft = await product(seller, { draft: true });
      const submitted = await act(seller, "PUT", `/${draft.id}/submit`);
      expect((await expectOnlyEventOf(submitted, "product.submitted")).data.object.adminStatus).toBe("pending");
      const rejected = await act("key", "PUT", `/${draft.id}/reject`, { reason: "Blurry photo" });
      expect((await expectOnlyEventOf(rejected, "product.rejected")).data.object).toMatchObject({ adminStatus: "rejected", rejectionReason: "Blurry photo" });
      const refused = await act("key", "PUT", `/${draft.id}/approve`);
      expect(refused.statusCode).toBe(409);
      expect(await eventsOf(refused)).toEqual([]);
      await act(seller, "PUT", `/${draft.id}/submit`);
      const approved = await act("key", "PUT", `/${draft.id}/approve`);
      expect((await expectOnlyEventOf(approved, "product.approved")).data.object.adminStatus).toBe("published");
      expect(await typesAbout(draft.id)).toEqual(["product.created", "product.submitted", "product.rejected", "product.submitted", "product.approved"]);
    } finally {
      expect((await review(false)).statusCode).toBe(200);
    }
  });

  it("product.price_added / .price_removed with the product after the change", async () => {
    const seller = await t.createUser(acme);
    const p = await product(seller, { useSeasonalPrices: true });
    const added = await act(seller, "POST", `/${p.id}/prices`, { seasonStart: "2031-12-01T00:00:00Z", seasonEnd: "2032-01-01T00:00:00Z", price: 3900 });
    const event = await expectOnlyEventOf(added, "product.price_added");
    expect(event.data.object.seasonalPrices).toEqual([{ id: expect.any(String), seasonStart: "2031-12-01T00:00:00Z", seasonEnd: "2032-01-01T00:00:00Z", price: 3900 }]);
    const priceId = event.data.object.seasonalPrices[0].id as string;
    const removed = await act(seller, "DELETE", `/${p.id}/prices/${priceId}`);
    expect((await expectOnlyEventOf(removed, "product.price_removed")).data.object.seasonalPrices).toEqual([]);
    expect(await typesAbout(p.id)).toEqual(["product.created", "product.price_added", "product.price_removed"]);
  });

  it("product.deleted with the product as it was, then one for each of its variants", async () => {
    const seller = await t.createUser(acme);
    const parent = await product(seller, { name: "Chair" });
    const oak = await product(seller, { name: "Chair, oak", parent_product_id: parent.id });
    await act(seller, "POST", `/${oak.id}/prices`, { seasonStart: "2031-01-01T00:00:00Z", seasonEnd: "2031-02-01T00:00:00Z", price: 100 });
    const oakBefore = await retrieve(oak.id);
    const parentBefore = await retrieve(parent.id);
    const deleted = await act(seller, "DELETE", `/${parent.id}`);
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(deleted.json()).toEqual(parentBefore);
    const recorded = await eventsOf(deleted);
    expect(recorded.map((e) => [e.type, e.object_id])).toEqual([
      ["product.deleted", parent.id],
      ["product.deleted", oak.id],
    ]);
    expect(recorded[0]!.data.object).toEqual(parentBefore);
    expect(recorded[1]!.data.object).toEqual(oakBefore);
    expect(recorded[1]!.data.object.seasonalPrices).toHaveLength(1);
  });

  it("product.updated when an upload sets the image (with the upload's request id); the same image again records nothing", async () => {
    const seller = await t.createUser(acme);
    const p = await product(seller);
    const grant = (await act(seller, "PUT", `/${p.id}/images`, { contentType: "image/png" })).json();
    const u = new URL(grant.url);
    const put = await t.request({ method: "PUT", url: `${u.pathname}${u.search}`, headers: { "content-type": "image/png" }, payload: PNG_1PX });
    expect(put.statusCode, put.body).toBe(200);
    const after = await retrieve(p.id);
    expect(after.image).toBe(`http://api.test/media/${grant.key}`);
    await expectOnlyEventOf(put, "product.updated", after);
    await expectNoEventOf(await act(seller, "POST", `/${p.id}/images/confirm`, { key: grant.key }));
  });

  it("product.updated when a confirm sets the image from an object already in storage", async () => {
    const seller = await t.createUser(acme);
    const p = await product(seller);
    const grant = (await act(seller, "PUT", `/${p.id}/images`, { contentType: "image/png" })).json();
    // The bytes arrive at storage without going through our upload route (as with S3).
    const file = path.join(t.dataDir, "media", grant.key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, PNG_1PX);
    const confirmed = await act(seller, "POST", `/${p.id}/images/confirm`, { key: grant.key });
    expect((await expectOnlyEventOf(confirmed, "product.updated")).data.object.image).toBe(`http://api.test/media/${grant.key}`);
  });

  it("records nothing for a change refused", async () => {
    const seller = await t.createUser(acme);
    const member = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const p = await product(seller, { useSeasonalPrices: true });
    const variant = await product(seller, { parent_product_id: p.id });
    await act(seller, "POST", `/${p.id}/prices`, { seasonStart: "2031-06-01T00:00:00Z", seasonEnd: "2031-07-01T00:00:00Z", price: 100 });
    const before = await total();
    const refused = [
      await createProduct(editor, { user_id: newId("user") }), // 404: no such seller
      await createProduct(seller, { parent_product_id: variant.id }), // 422: nested variant
      await act(seller, "PUT", `/${p.id}`, { parent_product_id: variant.id }), // 422
      await act(member, "PUT", `/${p.id}`, { name: "Mine now" }), // 403
      await act(member, "PUT", `/${p.id}/disable`), // 403
      await act(member, "POST", `/${p.id}/archive`), // 403
      await act(seller, "POST", `/${p.id}/prices`, { seasonStart: "2031-06-15T00:00:00Z", seasonEnd: "2031-08-01T00:00:00Z", price: 200 }), // 409 overlap
      await act(seller, "DELETE", `/${p.id}/prices/${newId("seasonalPrice")}`), // 404
      await act(seller, "PUT", `/${p.id}/images`, { contentType: "image/png" }), // a URL handed out is no change
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([404, 422, 422, 403, 403, 403, 409, 404, 200]);
    // On a sent contract: deleting is refused after the product and its variants were read and locked.
    expect((await t.request({ method: "POST", url: `/v1/carts/auth/product/${p.id}`, headers: as(buyer), payload: { quantity: 1, variant: variant.id } })).statusCode).toBe(200);
    const afterCart = await total();
    expect(afterCart).toBe(before + 1);
    await t.db.contract.create({
      data: {
        id: newId("contract"),
        platformId: acme.id,
        mode: "test",
        status: "open",
        items: { create: { id: newId("contractItem"), platformId: acme.id, mode: "test", userId: seller.id, productId: variant.id, quantity: 1, price: 100, total: 100 } },
      },
    });
    expect((await act(seller, "DELETE", `/${p.id}`)).json().error.code).toBe("product_in_open_contract");
    expect(await total()).toBe(afterCart);
    expect(await t.db.product.count({ where: { id: { in: [p.id, variant.id] } } })).toBe(2);
  });

  it("a change whose event cannot be written is not made: the change and its event commit together", async () => {
    const seller = await t.createUser(acme);
    const p = await product(seller, { quantity: 4 });
    const before = await total();
    await t.db.$executeRawUnsafe(`ALTER TABLE events ADD CONSTRAINT test_no_product_events CHECK (object_type <> 'product') NOT VALID`);
    try {
      const refused = [
        await act(seller, "PUT", `/${p.id}`, { quantity: 1, name: "Never" }),
        await act(seller, "PUT", `/${p.id}/disable`),
        await act(seller, "POST", `/${p.id}/archive`),
        await act(seller, "POST", `/${p.id}/prices`, { seasonStart: "2031-01-01T00:00:00Z", seasonEnd: "2031-02-01T00:00:00Z", price: 1 }),
        await act(seller, "DELETE", `/${p.id}`),
        await createProduct(seller, { name: "Never either" }),
      ];
      expect(refused.map((r) => r.statusCode)).toEqual([500, 500, 500, 500, 500, 500]);
    } finally {
      await t.db.$executeRawUnsafe(`ALTER TABLE events DROP CONSTRAINT test_no_product_events`);
    }
    expect(await total()).toBe(before);
    expect(await t.db.product.findUniqueOrThrow({ where: { id: p.id }, include: { seasonalPrices: true } })).toMatchObject({
      name: "Bowl",
      quantity: 4,
      isEnabled: true,
      archived: null,
      seasonalPrices: [],
    });
    expect(await t.db.product.count({ where: { userId: seller.id } })).toBe(1);
  });
});

// ── carts ────────────────────────────────────────────────────────────────────────────────────────

describe("carts", () => {
  const add = (who: TestUser, productId: string, payload: Json = { quantity: 1 }) =>
    t.request({ method: "POST", url: `/v1/carts/auth/product/${productId}`, headers: as(who), payload });
  const cartOf = async (who: TestUser) => (await t.request({ method: "GET", url: "/v1/carts/auth", headers: as(who) })).json();

  it("cart.updated for an added line, a merged one and a removed one, with the cart as GET /v1/carts/auth renders it", async () => {
    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const bowl = await product(seller, { quantity: 10 });
    const rug = await product(seller, { name: "Rug", price: 12_000 });

    // Reading the cart creates it, and records nothing.
    await expectNoEventOf(await t.request({ method: "GET", url: "/v1/carts/auth", headers: as(buyer) }));

    const first = await add(buyer, bowl.id, { quantity: 2 });
    const event = await expectOnlyEventOf(first, "cart.updated");
    expect(event.data.object).toEqual(await cartOf(buyer));
    expect(event.data.object).toMatchObject({ user_id: buyer.id, items: [{ product_id: bowl.id, quantity: 2 }], total: 6000 });

    const merged = await add(buyer, bowl.id, { quantity: 3 });
    expect((await expectOnlyEventOf(merged, "cart.updated")).data.object.items).toMatchObject([{ product_id: bowl.id, quantity: 5 }]);
    const second = await add(buyer, rug.id);
    expect((await expectOnlyEventOf(second, "cart.updated")).data.object).toMatchObject({ items: [{ quantity: 5 }, { product_id: rug.id }], total: 27_000 });

    const line = second.json().items[0].id as string;
    const removed = await t.request({ method: "DELETE", url: `/v1/carts/auth/item/${line}`, headers: as(buyer) });
    const removal = await expectOnlyEventOf(removed, "cart.updated");
    expect(removal.data.object).toMatchObject({ items: [{ product_id: rug.id }], total: 12_000 });
    expect(removal.data.object).toEqual(await cartOf(buyer));
    expect(new Date(removal.data.object.updated).getTime()).toBeGreaterThanOrEqual(new Date(second.json().updated).getTime());

    expect(await typesAbout(first.json().id)).toEqual(["cart.updated", "cart.updated", "cart.updated", "cart.updated"]);
  });

  it("cart.updated when a line's quantity is set (lowered, raised, 0 removes it); the same quantity records nothing", async () => {
    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const bowl = await product(seller, { quantity: 10 });
    const line = (await add(buyer, bowl.id, { quantity: 2 })).json().items[0].id as string;
    const set = (quantity: number) => t.request({ method: "PUT", url: `/v1/carts/auth/item/${line}`, headers: as(buyer), payload: { quantity } });
    const raised = await set(5);
    const event = await expectOnlyEventOf(raised, "cart.updated");
    expect(event.data.object).toEqual(await cartOf(buyer));
    expect(event.data.object.items).toMatchObject([{ id: line, quantity: 5 }]);
    await expectNoEventOf(await set(5));
    expect((await expectOnlyEventOf(await set(1), "cart.updated")).data.object.items).toMatchObject([{ quantity: 1 }]);
    expect((await expectOnlyEventOf(await set(0), "cart.updated")).data.object).toMatchObject({ items: [], total: 0 });
  });

  it("cart.cleared with the empty cart; clearing an empty cart records nothing", async () => {
    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const stranger = await t.createUser(acme);
    await expectNoEventOf(await t.request({ method: "DELETE", url: "/v1/carts/auth", headers: as(stranger) }));
    await add(buyer, (await product(seller)).id);
    await add(buyer, (await product(seller, { name: "Cup" })).id);
    const cleared = await t.request({ method: "DELETE", url: "/v1/carts/auth", headers: as(buyer) });
    const event = await expectOnlyEventOf(cleared, "cart.cleared");
    expect(event.data.object).toMatchObject({ items: [], sellers: [], total: 0 });
    expect(event.data.object).toEqual(await cartOf(buyer));
    await expectNoEventOf(await t.request({ method: "DELETE", url: "/v1/carts/auth", headers: as(buyer) }));
    expect(await typesAbout(cleared.json().id)).toEqual(["cart.updated", "cart.updated", "cart.cleared"]);
  });

  it("a cart turned into a contract: cart.cleared with the empty cart, then contract.created", async () => {
    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const cart = (await add(buyer, (await product(seller, { quantity: 4 })).id, { quantity: 2 })).json();
    const made = await t.request({ method: "POST", url: `/v1/contracts/cart/${cart.id}`, headers: as(buyer) });
    expect(made.statusCode, made.body).toBe(201);
    const recorded = await eventsOf(made);
    expect(recorded.map((e) => [e.type, e.object_id])).toEqual([
      ["cart.cleared", cart.id],
      ["contract.created", made.json().id],
    ]);
    expect(recorded[0]!.data.object).toMatchObject({ id: cart.id, user_id: buyer.id, items: [], sellers: [], total: 0 });
    expect(recorded[0]!.data.object).toEqual(await cartOf(buyer));
    expect(recorded[1]!.data.object).toEqual(made.json());
  });

  it("records nothing for a change refused", async () => {
    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const few = await product(seller, { quantity: 2 });
    const none = await product(seller, { name: "Gone", quantity: 0 });
    const off = await product(seller, { name: "Off" });
    await act(seller, "PUT", `/${off.id}/disable`);
    const euro = await product(seller, { name: "Euro", currency: "eur" });
    const own = await product(buyer, { name: "Mine" });
    expect((await add(buyer, few.id, { quantity: 2 })).statusCode).toBe(200);
    const before = await total();
    const refused = [
      await add(buyer, few.id, { quantity: 1 }), // 409 insufficient_stock
      await add(buyer, none.id), // 409 out of stock
      await add(buyer, off.id), // 409 disabled
      await add(buyer, euro.id), // 422 currency
      await add(buyer, own.id), // 422 own product
      await add(buyer, newId("product")), // 404
      await t.request({ method: "DELETE", url: `/v1/carts/auth/item/${newId("cartItem")}`, headers: as(buyer) }), // 404
    ];
    expect(refused.map((r) => r.statusCode)).toEqual([409, 409, 409, 422, 422, 404, 404]);
    expect(await total()).toBe(before);
    expect((await cartOf(buyer)).items).toMatchObject([{ product_id: few.id, quantity: 2 }]);
  });

  it("a change whose event cannot be written is not made", async () => {
    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const bowl = await product(seller);
    expect((await add(buyer, bowl.id)).statusCode).toBe(200);
    const line = (await cartOf(buyer)).items[0].id as string;
    const before = await total();
    await t.db.$executeRawUnsafe(`ALTER TABLE events ADD CONSTRAINT test_no_cart_events CHECK (object_type <> 'cart') NOT VALID`);
    try {
      const refused = [
        await add(buyer, bowl.id),
        await add(buyer, (await product(seller, { name: "Cup" })).id),
        await t.request({ method: "DELETE", url: `/v1/carts/auth/item/${line}`, headers: as(buyer) }),
        await t.request({ method: "DELETE", url: "/v1/carts/auth", headers: as(buyer) }),
      ];
      expect(refused.map((r) => r.statusCode)).toEqual([500, 500, 500, 500]);
    } finally {
      await t.db.$executeRawUnsafe(`ALTER TABLE events DROP CONSTRAINT test_no_cart_events`);
    }
    // Only the product.created of the Cup, made before the cart's failed change.
    expect(await total()).toBe(before + 1);
    expect((await cartOf(buyer)).items).toMatchObject([{ id: line, product_id: bowl.id, quantity: 1 }]);
  });
});

// ── erasure ──────────────────────────────────────────────────────────────────────────────────────

describe("erasing a user", () => {
  it("product.archived for each product it withdraws; the events of their cart keep an empty one", async () => {
    const user = await t.createUser(acme);
    const seller = await t.createUser(acme);
    const lamp = await product(user, { name: "Lamp" });
    const shade = await product(user, { name: "Lamp, shade", parent_product_id: lamp.id });
    const old = await product(user, { name: "Old" });
    await act(user, "POST", `/${old.id}/archive`);
    const cartId = (
      await t.request({ method: "POST", url: `/v1/carts/auth/product/${(await product(seller, { name: "Secret gift" })).id}`, headers: as(user), payload: { quantity: 1 } })
    ).json().id;
    expect(JSON.stringify(await eventsAbout(cartId))).toContain("Secret gift");

    await t.db.user.update({ where: { id: user.id }, data: { scheduledDeletion: new Date(Date.now() - 1000) } });
    await t.app.services.users.eraseDueUsers();

    for (const p of [lamp, shade]) {
      const last = (await eventsAbout(p.id)).at(-1)!;
      expect(last).toMatchObject({ type: "product.archived", request_id: null, object_type: "product" });
      expect(last.data.object).toEqual(await retrieve(p.id));
      expect(last.data.object).toMatchObject({ isEnabled: false, archived: expect.any(String), user_id: user.id });
    }
    expect(await typesAbout(old.id)).toEqual(["product.created", "product.archived"]);
    const history = await eventsAbout(cartId);
    expect(history.length).toBeGreaterThan(0);
    for (const e of history) {
      expect(e.data.object).toMatchObject({ id: cartId, user_id: user.id, items: [], sellers: [], total: 0 });
      expect(JSON.stringify(e.data)).not.toContain("Secret gift");
    }
    const erased = (await events("?filter[type]=user.deleted")).data.find((e) => e.object_id === user.id)!;
    const archivedEvents = (await events("?filter[type]=product.archived&per_page=100")).data.filter((e) => e.object_id === lamp.id || e.object_id === shade.id);
    for (const e of archivedEvents) expect(e.created <= erased.created).toBe(true);
  });
});

// ── webhook endpoints receive the new types ──────────────────────────────────────────────────────

describe("webhook deliveries", () => {
  it("an endpoint subscribed to product.created, product.price_added, cart.updated and cart.cleared receives exactly those", async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const endpoint = await t.request({
      method: "POST",
      url: "/v1/webhooks",
      headers: key(),
      payload: { url: receiver.url, events: ["product.created", "product.price_added", "cart.updated", "cart.cleared"] },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);

    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    const created = await createProduct(seller, { name: "Hooked", useSeasonalPrices: true });
    await act(seller, "PUT", `/${created.json().id}`, { name: "Not sent" });
    const priced = await act(seller, "POST", `/${created.json().id}/prices`, { seasonStart: "2031-01-01T00:00:00Z", seasonEnd: "2031-02-01T00:00:00Z", price: 10 });
    await act(seller, "PUT", `/${created.json().id}/disable`);
    await act(seller, "PUT", `/${created.json().id}/enable`);
    const added = await t.request({ method: "POST", url: `/v1/carts/auth/product/${created.json().id}`, headers: as(buyer), payload: { quantity: 1 } });
    const cleared = await t.request({ method: "DELETE", url: "/v1/carts/auth", headers: as(buyer) });

    const got = await receiver.waitFor(4);
    expect(got.map((r) => r.headers["candle-event-type"])).toEqual(["product.created", "product.price_added", "cart.updated", "cart.cleared"]);
    const bodies = got.map((r) => JSON.parse(r.body) as ApiEvent);
    expect(bodies.map((b) => b.data.object)).toEqual([created.json(), priced.json(), added.json(), cleared.json()]);
    for (const body of bodies) expect(await t.request({ method: "GET", url: `/v1/events/${body.id}`, headers: key() }).then((r) => r.json())).toEqual(body);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(4);
  });
});

describe("event types", () => {
  it("every recorded type is a known type, and every product and cart type was recorded", async () => {
    const all = (await t.db.event.findMany({ select: { type: true }, distinct: ["type"] })).map((e) => e.type);
    for (const type of all) expect(EVENT_TYPES).toContain(type);
    const ours = EVENT_TYPES.filter((type) => type.startsWith("product.") || type.startsWith("cart."));
    expect(ours).toHaveLength(14);
    for (const type of ours) expect(all).toContain(type);
  });
});
