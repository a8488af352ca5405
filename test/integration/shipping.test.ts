import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * Shipping rates (the platform's and sellers'), the shipping lines carts and contracts carry and
 * how the money goes (the buyer pays, the rate's owner is paid), abandoned carts for admins,
 * order numbers and the new contract filters — with the role and tenancy attacks on each.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let potter: TestUser;
let weaver: TestUser;
let editor: TestUser;
let admin: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  other = await t.createPlatform({ name: "Other" });
  potter = await t.createUser(acme, "member");
  weaver = await t.createUser(acme, "member");
  editor = await t.createUser(acme, "editor");
  admin = await t.createUser(acme, "admin");
  stranger = await t.createUser(other, "admin");
});
afterAll(() => t.close());

const as = (u: TestUser) => bearer(u.token);
const key = (p: TestPlatform = acme) => bearer(p.apiKey);

async function product(payload: Json, seller: TestUser): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: as(seller), payload: { name: "Bowl", price: 3000, ...payload } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function add(buyer: TestUser, productId: string, quantity = 1): Promise<Json> {
  const res = await t.request({ method: "POST", url: `/v1/carts/auth/product/${productId}`, headers: as(buyer), payload: { quantity } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
async function rate(headers: Record<string, string>, payload: Json): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/shipping_rates", headers, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const removeRate = (id: string) => t.request({ method: "DELETE", url: `/v1/shipping_rates/${id}`, headers: key() });
const fromCart = (cartId: string, headers: Record<string, string>, payload?: Json) =>
  t.request({ method: "POST", url: `/v1/contracts/cart/${cartId}`, headers, ...(payload ? { payload } : {}) });

describe("shipping rates", () => {
  it("a seller writes their own rates, an admin or the key the platform's; nobody else (403), another platform sees none (404)", async () => {
    const own = await rate(as(potter), { user_id: potter.id, title: "Potter post", kind: "flat", price: 400, step_price: 100 });
    expect(own).toMatchObject({ user_id: potter.id, kind: "flat", currency: "usd", price: 400, step_price: 100, bands: null });
    expect(own.id).toMatch(/^shiprate_[0-9a-f]{32}$/);
    // A member names no one else, and never the platform.
    failed(
      await t.request({ method: "POST", url: "/v1/shipping_rates", headers: as(weaver), payload: { user_id: potter.id, title: "x", kind: "flat", price: 1 } }),
      403,
      "not_shipping_rate_owner",
    );
    failed(await t.request({ method: "POST", url: "/v1/shipping_rates", headers: as(weaver), payload: { title: "x", kind: "flat", price: 1 } }), 403, "not_shipping_rate_owner");
    failed(await t.request({ method: "POST", url: "/v1/shipping_rates", headers: as(editor), payload: { title: "x", kind: "flat", price: 1 } }), 403, "not_shipping_rate_owner");
    failed(await t.request({ method: "PATCH", url: `/v1/shipping_rates/${own.id}`, headers: as(weaver), payload: { price: 1 } }), 403, "not_shipping_rate_owner");
    failed(await t.request({ method: "DELETE", url: `/v1/shipping_rates/${own.id}`, headers: as(weaver) }), 403, "not_shipping_rate_owner");
    // An editor manages a seller's rate; the seller changes their own.
    const patched = await t.request({ method: "PATCH", url: `/v1/shipping_rates/${own.id}`, headers: as(editor), payload: { title: "Potter parcel" } });
    expect(patched.json()).toMatchObject({ title: "Potter parcel", price: 400 });
    const platformRate = await rate(as(admin), {
      title: "Standard",
      kind: "price",
      bands: [
        { from: 0, to: 5000, price: 700 },
        { from: 5000, to: null, price: 0 },
      ],
    });
    expect(platformRate).toMatchObject({ user_id: null, kind: "price", price: 0 });

    // Another platform: nothing to see or change.
    failed(await t.request({ method: "GET", url: `/v1/shipping_rates/${own.id}`, headers: as(stranger) }), 404);
    failed(await t.request({ method: "PATCH", url: `/v1/shipping_rates/${own.id}`, headers: key(other), payload: { price: 1 } }), 404);
    failed(await t.request({ method: "DELETE", url: `/v1/shipping_rates/${platformRate.id}`, headers: key(other) }), 404);
    expect((await t.request({ method: "GET", url: "/v1/shipping_rates", headers: key(other) })).json().data).toEqual([]);
    failed(await t.request({ method: "POST", url: "/v1/shipping_rates", headers: key(other), payload: { user_id: potter.id, title: "x", kind: "flat", price: 1 } }), 404);

    const mine = await t.request({ method: "GET", url: `/v1/shipping_rates?filter[user_id]=${potter.id}`, headers: as(weaver) });
    expect(mine.json().data.map((r: Json) => r.id)).toEqual([own.id]);
    const platform = await t.request({ method: "GET", url: "/v1/shipping_rates?filter[user_id]=platform", headers: as(weaver) });
    expect(platform.json().data.map((r: Json) => r.id)).toEqual([platformRate.id]);

    expect((await removeRate(own.id)).statusCode).toBe(200);
    expect((await removeRate(platformRate.id)).statusCode).toBe(200);
    failed(await t.request({ method: "GET", url: `/v1/shipping_rates/${own.id}`, headers: key() }), 404);
  });

  it("refuses malformed rates with 400 naming the field, and fields of another kind with 422", async () => {
    const bad = async (payload: Json, param: string) => {
      const error = failed(await t.request({ method: "POST", url: "/v1/shipping_rates", headers: key(), payload }), 400);
      expect(error.param).toBe(param);
    };
    await bad({ title: "x", kind: "flat" }, "price");
    await bad({ title: "x", kind: "weight" }, "bands");
    await bad({ title: "x", kind: "flat", price: 1.5 }, "price");
    await bad({ title: "x", kind: "flat", price: 100, bands: [{ from: 0, to: null, price: 1 }] }, "bands");
    await bad(
      {
        title: "x",
        kind: "weight",
        bands: [
          { from: 0, to: 1000, price: 1 },
          { from: 500, to: null, price: 2 },
        ],
      },
      "bands.1.from",
    );
    await bad({ title: "x", kind: "weight", bands: [{ from: 10, to: 5, price: 1 }] }, "bands.0.to");
    await bad({ title: "x", kind: "flat", price: 1, colour: "red" }, "colour");
    const flat = await rate(key(), { title: "Flat", kind: "flat", price: 100 });
    failed(
      await t.request({ method: "PUT", url: `/v1/shipping_rates/${flat.id}`, headers: key(), payload: { bands: [{ from: 0, to: null, price: 1 }] } }),
      422,
      "shipping_rate_kind",
    );
    await removeRate(flat.id);
  });
});

describe("shipping lines", () => {
  it("prices each seller's items at their cheapest applicable rate, else the platform's; weights unknown skip weight bands", async () => {
    const buyer = await t.createUser(acme, "member");
    const bowl = await product({ name: "Bowl", price: 3000 }, potter);
    const rug = await product({ name: "Rug", price: 2000 }, weaver);
    const own = await rate(as(potter), { user_id: potter.id, title: "Potter post", kind: "flat", price: 400, step_price: 100 });
    const byWeight = await rate(key(), {
      title: "By weight",
      kind: "weight",
      bands: [
        { from: 0, to: 1000, price: 300 },
        { from: 1000, to: null, price: 900 },
      ],
    });
    const byPrice = await rate(key(), { title: "Standard", kind: "price", bands: [{ from: 0, to: 10000, price: 650 }] });
    try {
      await add(buyer, bowl.id, 2);
      let cart = await add(buyer, rug.id, 1);
      expect(cart.shipping).toEqual([
        { shipping_rate_id: own.id, user_id: potter.id, payee: "seller", title: "Potter post", amount: 500 },
        // The rug has no weight: the weight rate does not apply, the price band does.
        { shipping_rate_id: byPrice.id, user_id: weaver.id, payee: "platform", title: "Standard", amount: 650 },
      ]);
      expect(cart.shippingTotal).toBe(1150);
      expect(cart.total).toBe(8000 + 1150);

      // With a weight, the cheaper weight band wins.
      await t.db.product.update({ where: { id: rug.id }, data: { weight: 800 } });
      cart = (await t.request({ method: "GET", url: "/v1/carts/auth", headers: as(buyer) })).json();
      expect(cart.shipping[1]).toMatchObject({ shipping_rate_id: byWeight.id, amount: 300 });

      // Checkout keeps the lines: the buyer pays them, the seller is paid theirs, the platform keeps its own.
      await addCard(t, acme, buyer.id);
      await onboardSeller(t, acme, potter.id);
      await onboardSeller(t, acme, weaver.id);
      const c = okContract(await fromCart(cart.id, as(buyer), { includeStripeFees: true, includeCandleFees: true, includePlatformFees: true }), 201);
      expect(c.shipping.map((l: Json) => [l.user_id, l.payee, l.amount])).toEqual([
        [potter.id, "seller", 500],
        [weaver.id, "platform", 300],
      ]);
      expect(c.shippingTotal).toBe(800);
      expect(c.fees.find((f: Json) => f.type === "shipping")).toMatchObject({ amount: 300, payer: "buyers" });
      expect(c.sellers.map((s: Json) => [s.user_id, s.amountOwed])).toEqual([
        [potter.id, 6500],
        [weaver.id, 2000],
      ]);
      // A rate changed after checkout leaves the contract's lines alone.
      await t.request({ method: "PATCH", url: `/v1/shipping_rates/${own.id}`, headers: key(), payload: { price: 9999 } });
      const paid = okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: as(buyer) }));
      expect(paid).toMatchObject({ status: "paid", shippingTotal: 800 });
      // The books: what was charged went out to the sellers and to the fees, the platform's shipping with the platform's fee.
      const rows = await t.db.transaction.findMany({ where: { transferGroup: c.id } });
      const total = (type: string) => rows.filter((r) => r.type === type).reduce((s, r) => s + r.amount, 0);
      expect(total("incoming")).toBe(paid.total);
      expect(total("outgoing") + total("fee_stripe") + total("fee_candle") + total("fee_platform")).toBe(paid.total);
      expect(total("fee_platform")).toBe(paid.fees.filter((f: Json) => ["platform:base", "shipping", "custom"].includes(f.type)).reduce((s: number, f: Json) => s + f.amount, 0));
      expect(total("outgoing")).toBe(6500 + 2000);
    } finally {
      for (const r of [own, byWeight, byPrice]) await removeRate(r.id);
    }
  });

  it("a seller removed from a contract takes their shipping line along", async () => {
    const buyer = await t.createUser(acme, "member");
    const bowl = await product({ name: "Cup", price: 1000 }, potter);
    const own = await rate(as(potter), { user_id: potter.id, title: "Potter post", kind: "flat", price: 400 });
    try {
      const cart = await add(buyer, bowl.id, 1);
      const c = okContract(await fromCart(cart.id, key()), 201);
      expect(c.shippingTotal).toBe(400);
      const item = c.items[0].id;
      okContract(await t.request({ method: "DELETE", url: `/v1/contracts/${c.id}/item/${item}`, headers: key() }));
      const after = okContract(await t.request({ method: "DELETE", url: `/v1/contracts/${c.id}/seller/${potter.id}`, headers: key() }));
      expect(after).toMatchObject({ shipping: [], shippingTotal: 0, total: 0 });
    } finally {
      await removeRate(own.id);
    }
  });
});

describe("abandoned carts", () => {
  it("lists carts with items left for the configured time to owners, admins and the key; members and editors get 403, other platforms nothing", async () => {
    const left = await t.createUser(acme, "member");
    const fresh = await t.createUser(acme, "member");
    const vase = await product({ name: "Vase", price: 5000 }, potter);
    const leftCart = await add(left, vase.id, 1);
    const freshCart = await add(fresh, vase.id, 1);
    // Left three hours ago.
    await t.db.cart.update({ where: { id: leftCart.id }, data: { updated: new Date(Date.now() - 3 * 3600_000) } });

    const list = async (headers: Record<string, string>, query = "") => t.request({ method: "GET", url: `/v1/carts${query}`, headers });
    const ids = (res: Awaited<ReturnType<typeof list>>) => {
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data.map((c: Json) => c.id);
    };
    const byDefault = ids(await list(as(admin)));
    expect(byDefault).toContain(leftCart.id);
    expect(byDefault).not.toContain(freshCart.id);
    expect(ids(await list(key(), "?filter[idle_minutes]=0"))).toEqual(expect.arrayContaining([leftCart.id, freshCart.id]));
    expect(ids(await list(key(), `?filter[idle_minutes]=0&filter[user_id]=${fresh.id}`))).toEqual([freshCart.id]);
    expect(ids(await list(key(), "?filter[idle_minutes]=240"))).not.toContain(leftCart.id);
    failed(await list(key(), "?filter[idle_minutes]=-1"), 400);

    const one = await t.request({ method: "GET", url: `/v1/carts/${leftCart.id}`, headers: as(admin) });
    expect(one.json()).toMatchObject({ id: leftCart.id, user_id: left.id, total: 5000 });
    expect(one.json().items).toHaveLength(1);

    for (const who of [left, editor]) {
      failed(await list(as(who)), 403);
      failed(await t.request({ method: "GET", url: `/v1/carts/${leftCart.id}`, headers: as(who) }), 403);
    }
    expect(ids(await list(as(stranger), "?filter[idle_minutes]=0"))).toEqual([]);
    failed(await t.request({ method: "GET", url: `/v1/carts/${leftCart.id}`, headers: key(other) }), 404);
    // The buyer's own cart route is still theirs.
    expect((await t.request({ method: "GET", url: "/v1/carts/auth", headers: as(left) })).json().id).toBe(leftCart.id);
  });
});

describe("order numbers", () => {
  const create = (headers: Record<string, string>, payload: Json = {}) => t.request({ method: "POST", url: "/v1/contracts", headers, payload });

  it("numbers a platform's contracts 1, 2, 3… without gaps or duplicates under parallel creation; a refused creation takes none", async () => {
    const shop = await t.createPlatform({ name: "Numbers" });
    const seller = await t.createUser(shop, "member");
    const first = okContract(await create(key(shop)), 201);
    expect(first.number).toBe(1);
    // Refused (an unknown buyer): rolled back, number and all.
    failed(await create(key(shop), { buyers: [{ user_id: "user_nobody" }] }), 404);
    // On a loaded machine a creation may be answered 503 (the database busy, nothing kept): a client
    // retries it, and the retried one must still find no gap left behind.
    const retrying = async (payload: Json) => {
      for (let attempt = 0; ; attempt++) {
        const res = await create(key(shop), payload);
        if (res.statusCode !== 503 || attempt === 20) return res;
      }
    };
    const parallel = await Promise.all(Array.from({ length: 12 }, (_, i) => retrying({ items: [{ user_id: seller.id, price: 100 + i, description: `line ${i}` }] })));
    const numbers = parallel.map((res) => okContract(res, 201).number).sort((a: number, b: number) => a - b);
    expect(numbers).toEqual(Array.from({ length: 12 }, (_, i) => i + 2));
    // Numbers are per platform and mode: another platform starts at 1 whatever this one did.
    const elsewhere = await t.createPlatform({ name: "Elsewhere" });
    expect(okContract(await create(key(elsewhere)), 201).number).toBe(1);
    // Shown on retrieval, and filterable.
    const got = await t.request({ method: "GET", url: `/v1/contracts/${first.id}`, headers: key(shop) });
    expect(got.json().number).toBe(1);
    const filtered = await t.request({ method: "GET", url: "/v1/contracts?filter[number]=1,3&sort=number", headers: key(shop) });
    expect(filtered.json().data.map((c: Json) => c.number)).toEqual([1, 3]);
    failed(await t.request({ method: "GET", url: "/v1/contracts?filter[number]=0", headers: key(shop) }), 400);
    failed(await t.request({ method: "GET", url: "/v1/contracts?filter[number]=abc", headers: key(shop) }), 400);
  });

  it("filters by id, cart_id, and created/updated with gt, gte, lt, lte", async () => {
    const shop = await t.createPlatform({ name: "Filters" });
    const a = okContract(await create(key(shop)), 201);
    const b = okContract(await create(key(shop)), 201);
    await t.db.contract.update({ where: { id: a.id }, data: { created: new Date("2026-01-01T00:00:00Z") } });
    const list = async (query: string) => {
      const res = await t.request({ method: "GET", url: `/v1/contracts?${query}`, headers: key(shop) });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data.map((c: Json) => c.id);
    };
    expect(await list(`filter[id]=${a.id}`)).toEqual([a.id]);
    expect(await list(`filter[id]=${a.id},${b.id}&sort=created`)).toEqual([a.id, b.id]);
    expect(await list("filter[created][lt]=2026-01-01T00:00:01Z")).toEqual([a.id]);
    expect(await list("filter[created][lte]=2026-01-01T00:00:00Z")).toEqual([a.id]);
    expect(await list("filter[created][gt]=2026-01-01T00:00:00Z")).toEqual([b.id]);
    expect(await list("filter[created][gte]=2026-01-01T00:00:00Z&sort=created")).toEqual([a.id, b.id]);
    expect(await list(`filter[updated][gte]=${b.updated}`)).toEqual(expect.arrayContaining([b.id]));
    expect(await list("filter[updated][lt]=2000-01-01T00:00:00Z")).toEqual([]);
    failed(await t.request({ method: "GET", url: "/v1/contracts?filter[created][gte]=yesterday", headers: key(shop) }), 400);

    // A cart's contract, by cart.
    const buyer = await t.createUser(acme, "member");
    const bowl = await product({ name: "Plate", price: 1500 }, potter);
    const cart = await add(buyer, bowl.id, 1);
    const c = okContract(await fromCart(cart.id, as(buyer)), 201);
    const byCart = await t.request({ method: "GET", url: `/v1/contracts?filter[cart_id]=${cart.id}`, headers: key() });
    expect(byCart.json().data.map((x: Json) => x.id)).toEqual([c.id]);
    // Another platform's contract ids find nothing.
    expect(await list(`filter[id]=${c.id}`)).toEqual([]);
  });
});
