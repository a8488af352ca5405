import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { expectInvariants, failed, okContract, type Json } from "../helpers/contracts.js";

/**
 * Contracts: creation, every change and the rebalancing that follows it, access, lists, deletion.
 * Every answer carrying a contract goes through `okContract`, which checks the invariants of
 * docs/architecture.md ("Money and fees"). Settlement and carts: contracts-settlement.test.ts, contracts-cart.test.ts.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let editor: TestUser;
let alice: TestUser; // a member who creates contracts
let bob: TestUser; // buyer
let carol: TestUser; // buyer
let dan: TestUser; // buyer
let sam: TestUser; // seller
let wes: TestUser; // seller
let olly: TestUser; // a member on none of the contracts
let stranger: TestUser; // another platform's member

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  other = await t.createPlatform({ name: "Other" });
  editor = await t.createUser(acme, "editor");
  alice = await t.createUser(acme, "member");
  bob = await t.createUser(acme, "member");
  carol = await t.createUser(acme, "member");
  dan = await t.createUser(acme, "member");
  sam = await t.createUser(acme, "member");
  wes = await t.createUser(acme, "member");
  olly = await t.createUser(acme, "member");
  stranger = await t.createUser(other, "member");
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);
const as = (u: TestUser) => bearer(u.token);
type Headers = Record<string, string>;

async function product(payload: Json = {}, seller: TestUser = sam): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: key(), payload: { user_id: seller.id, name: "Bowl", price: 10000, ...payload } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const create = (payload: Json, headers: Headers = key()) => t.request({ method: "POST", url: "/v1/contracts", headers, payload });
const get = (id: string, headers: Headers = key()) => t.request({ method: "GET", url: `/v1/contracts/${id}`, headers });
const call = (method: "POST" | "PUT" | "DELETE" | "GET", url: string, payload?: Json, headers: Headers = key()) =>
  t.request({ method, url: `/v1/contracts${url}`, headers, ...(payload === undefined ? {} : { payload }) });

/** A contract with one custom line of `price` sold by sam and bought by bob (the key creates it). */
async function simple(price = 10000, extra: Json = {}, headers: Headers = key()): Promise<Json> {
  return okContract(await create({ items: [{ user_id: sam.id, price, description: "Work" }], buyers: [{ user_id: bob.id }], ...extra }, headers), 201);
}

describe("POST /v1/contracts", () => {
  it("creates a draft with the documented fields, its items' sellers among the sellers", async () => {
    const bowl = await product({ price: 2500, quantity: 10 });
    const c = okContract(
      await create({
        notes: "Spring order",
        due: "2026-12-01T00:00:00Z",
        items: [
          { product_id: bowl.id, quantity: 2 },
          { user_id: wes.id, price: 1999, description: "Delivery", type: "service" },
        ],
        buyers: [{ user_id: bob.id }, { user_id: carol.id }],
        fees: [{ amount: 500, description: "Gift wrap" }],
      }),
      201,
    );
    expect(c.id).toMatch(/^inv_[0-9a-f]{32}$/);
    expect(c).toMatchObject({
      platform_id: acme.id,
      mode: "test",
      user_id: null,
      cart_id: null,
      notes: "Spring order",
      due: "2026-12-01T00:00:00Z",
      status: "draft",
      currency: "usd",
      sent: null,
      lastSent: null,
      paid: null,
      lastPaymentAttempt: null,
      includeStripeFees: false,
      includeCandleFees: false,
      includePlatformFees: false,
      subTotal: 5000 + 1999 + 500,
    });
    expect(c.items).toEqual([
      {
        id: expect.stringMatching(/^item_/),
        contract_id: c.id,
        user_id: sam.id,
        type: "product",
        product_id: bowl.id,
        startDate: null,
        endDate: null,
        quantity: 2,
        price: 2500,
        total: 5000,
        description: "Bowl",
        add_ons: [],
      },
      {
        id: expect.stringMatching(/^item_/),
        contract_id: c.id,
        user_id: wes.id,
        type: "service",
        product_id: null,
        startDate: null,
        endDate: null,
        quantity: 1,
        price: 1999,
        total: 1999,
        description: "Delivery",
        add_ons: [],
      },
    ]);
    expect(c.sellers.map((s: Json) => s.user_id)).toEqual([sam.id, wes.id]);
    expect(c.buyers.map((b: Json) => Object.keys(b).sort())).toEqual([
      ["accepted", "acceptedAmount", "amountAuthorized", "amountDue", "amountPaid", "baseAmountDue", "email", "id", "name", "user_id"],
      ["accepted", "acceptedAmount", "amountAuthorized", "amountDue", "amountPaid", "baseAmountDue", "email", "id", "name", "user_id"],
    ]);
    expect(c.buyers.map((b: Json) => [b.accepted, b.acceptedAmount])).toEqual([
      [null, null],
      [null, null],
    ]);
    expect(c.buyers[0]).toMatchObject({ user_id: bob.id, email: bob.email });
    expect(c.fees.map((f: Json) => [f.type, f.payer])).toEqual([
      ["stripe:cc", "sellers"],
      ["candle:base", "sellers"],
      ["platform:base", "sellers"],
      ["custom", "buyers"],
    ]);
    // The stock is held by the contract.
    expect((await t.request({ method: "GET", url: `/v1/products/${bowl.id}`, headers: key() })).json().quantity).toBe(8);
    expect(okContract(await get(c.id))).toEqual(c);
  });

  it("makes the signed-in member the creator; a member cannot create for someone else", async () => {
    const c = await simple(10000, { buyers: [{ user_id: bob.id }, { user_id: alice.id }] }, as(alice));
    expect(c.user_id).toBe(alice.id);
    failed(await create({ user_id: bob.id }, as(alice)), 403, "insufficient_role");
    // A member creates a deal they are in (test/security/trust-consent.test.ts).
    failed(await create({ items: [{ user_id: sam.id, price: 100 }], buyers: [{ user_id: bob.id }] }, as(alice)), 403, "not_contract_party");
    const named = okContract(await create({ user_id: alice.id }, as(editor)), 201);
    expect(named.user_id).toBe(alice.id);
    const empty = okContract(await create({}, as(alice)), 201);
    expect(empty).toMatchObject({ items: [], buyers: [], sellers: [], fees: [], subTotal: 0, total: 0 });
  });

  it("400: unknown and server-owned fields, fractional or negative money, bad dates", async () => {
    expect(failed(await create({ colour: "red" }), 400, "parameter_unknown").param).toBe("colour");
    expect(failed(await create({ total: 5 }), 400, "parameter_not_writable").param).toBe("total");
    expect(failed(await create({ status: "paid" }), 400, "parameter_not_writable").param).toBe("status");
    expect(failed(await create({ items: [{ user_id: sam.id, price: 10.5 }] }), 400).param).toBe("items.0.price");
    expect(failed(await create({ items: [{ user_id: sam.id, price: -1 }] }), 400).param).toBe("items.0.price");
    expect(failed(await create({ items: [{ user_id: sam.id }] }), 400).param).toBe("items.0.price");
    expect(failed(await create({ items: [{ product_id: "prod_x", price: 100 }] }), 400).param).toBe("items.0.price");
    expect(failed(await create({ buyers: [{ user_id: bob.id, dueAmount: 1.5 }] }), 400).param).toBe("buyers.0.dueAmount");
    expect(failed(await create({ due: "tomorrow" }), 400).param).toBe("due");
    expect(failed(await create({ currency: "USD" }), 400).param).toBe("currency");
  });

  it("401 without credentials, 404 for another platform's users and products", async () => {
    failed(await t.request({ method: "POST", url: "/v1/contracts", payload: {} }), 401);
    failed(await create({ buyers: [{ user_id: stranger.id }] }), 404, "resource_missing");
    const theirs = await t.request({ method: "POST", url: "/v1/products", headers: bearer(other.apiKey), payload: { user_id: stranger.id, name: "X", price: 100 } });
    expect(failed(await create({ items: [{ product_id: theirs.json().id }] }), 404).param).toBe("product_id");
  });

  it("409 for a product out of stock or archived; 422 for impossible pins, buyers who sell, other currencies", async () => {
    const last = await product({ quantity: 1 });
    failed(await create({ items: [{ product_id: last.id, quantity: 2 }] }), 409, "insufficient_stock");
    const none = await product({ quantity: 0 });
    failed(await create({ items: [{ product_id: none.id }] }), 409, "product_out_of_stock");
    const archived = await product();
    await t.request({ method: "POST", url: `/v1/products/${archived.id}/archive`, headers: key() });
    failed(await create({ items: [{ product_id: archived.id }] }), 409, "product_archived");

    const pinned = failed(await create({ items: [{ user_id: sam.id, price: 1000 }], buyers: [{ user_id: bob.id, dueAmount: 1500 }] }), 422, "pinned_amounts_exceed_total");
    expect(pinned).toMatchObject({ param: "dueAmount", gap_cents: 500 });
    failed(await create({ items: [{ user_id: sam.id, price: 1000 }], buyers: [{ user_id: sam.id }] }), 422, "buyer_is_seller");
    const euro = await product({ currency: "eur" });
    failed(await create({ items: [{ product_id: euro.id }] }), 422, "currency_mismatch");
    // A failed create leaves nothing behind, the stock included.
    expect((await t.request({ method: "GET", url: `/v1/products/${last.id}`, headers: key() })).json().quantity).toBe(1);
  });
});

describe("the figures (the fee module's worked example)", () => {
  it("prices a $100.00 item at 2.5 % platform fee as documented, for each fee inclusion", async () => {
    const c = await simple(10000);
    const table: [Json, number, number, number][] = [
      [{ feeInclusion: true }, 10690, 340, 10000],
      [{ feeInclusion: false, includeStripeFees: true }, 10330, 330, 9650],
      [{ feeInclusion: false }, 10000, 320, 9330],
    ];
    for (const [body, total, stripe, seller] of table) {
      const next = okContract(await call("PUT", `/${c.id}/fee_inclusion`, body));
      const fee = (type: string) => next.fees.find((f: Json) => f.type === type)?.amount;
      expect([next.total, fee("stripe:cc"), fee("candle:base"), fee("platform:base"), next.sellers[0].amountOwed]).toEqual([total, stripe, 100, 250, seller]);
      expect(next.buyers[0].amountDue).toBe(total);
    }
  });

  it("keeps one row per computed fee, its id stable while its amount changes, and drops it at 0", async () => {
    const c = await simple(10000);
    const stripeRow = c.fees.find((f: Json) => f.type === "stripe:cc");
    const more = okContract(await call("POST", `/${c.id}/item`, { user_id: sam.id, price: 5000 }));
    const again = more.fees.find((f: Json) => f.type === "stripe:cc");
    expect(again.id).toBe(stripeRow.id);
    expect(again.amount).toBeGreaterThan(stripeRow.amount);
    // A platform without a fee has no platform:base row.
    await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { platformFee: 0 } });
    try {
      const synced = okContract(await call("GET", `/${c.id}/sync`));
      expect(synced.fees.map((f: Json) => f.type)).toEqual(["stripe:cc", "candle:base"]);
    } finally {
      await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { platformFee: 2.5 } });
    }
    const back = okContract(await call("PUT", `/${c.id}/sync`, {}));
    expect(back.fees.find((f: Json) => f.type === "platform:base").amount).toBe(375);
  });

  it("splits between buyers evenly (3334/3333/3333) and keeps pinned amounts", async () => {
    const c = await simple(10000, { buyers: [{ user_id: bob.id }, { user_id: carol.id }, { user_id: dan.id }] });
    expect(c.buyers.map((b: Json) => b.amountDue)).toEqual([3334, 3333, 3333]);
    const pinned = okContract(await call("PUT", `/${c.id}/buyer/${carol.id}/due`, { dueAmount: 5000 }));
    expect(pinned.buyers.map((b: Json) => [b.baseAmountDue, b.amountDue])).toEqual([
      [3334, 2500],
      [3333, 5000],
      [3333, 2500],
    ]);
    // Pins survive every change: a new item raises what the others pay.
    const grown = okContract(await call("POST", `/${c.id}/item`, { user_id: sam.id, price: 1000 }));
    expect(grown.buyers.map((b: Json) => b.amountDue)).toEqual([3000, 5000, 3000]);
    const unpinned = okContract(await call("PUT", `/${c.id}/buyer/${carol.id}/due`, { dueAmount: null }));
    expect(unpinned.buyers.map((b: Json) => b.amountDue)).toEqual([3667, 3667, 3666]);
  });

  it("splits between sellers in proportion to their items, and keeps a seller's pin", async () => {
    const c = okContract(
      await create({
        items: [
          { user_id: sam.id, price: 20000 },
          { user_id: wes.id, price: 10000 },
        ],
        buyers: [{ user_id: bob.id }],
        includeStripeFees: true,
        includeCandleFees: true,
        includePlatformFees: true,
      }),
      201,
    );
    expect(c.sellers.map((s: Json) => s.amountOwed)).toEqual([20000, 10000]);
    const pinned = okContract(await call("PUT", `/${c.id}/seller/${wes.id}/owed`, { owedAmount: 12000 }, as(editor)));
    expect(pinned.sellers.map((s: Json) => [s.baseAmountOwed, s.amountOwed])).toEqual([
      [20000, 18000],
      [10000, 12000],
    ]);
  });

  it("refuses (422, with the gap) a change that makes pins impossible, and changes nothing", async () => {
    const c = await simple(10000, {
      items: [
        { user_id: sam.id, price: 6000 },
        { user_id: sam.id, price: 4000 },
      ],
    });
    okContract(await call("PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: 10000 }));
    const before = okContract(await get(c.id));
    const error = failed(await call("DELETE", `/${c.id}/item/${c.items[1].id}`), 422, "pinned_amounts_exceed_total");
    expect(error).toMatchObject({ param: "dueAmount" });
    expect(error.gap_cents).toBe(4000);
    expect(error.message).toContain("4000¢");
    expect(failed(await call("PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: 9999 }), 422, "pinned_amounts_below_total").gap_cents).toBe(1);
    expect(failed(await call("PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: 10002 }), 422, "pinned_amounts_exceed_total").gap_cents).toBe(2);
    const after = okContract(await get(c.id));
    expect(after).toEqual(before);
    expect(after.items).toHaveLength(2);
  });

  it("custom fees: buyers' on top (in subTotal), sellers' deducted; computed fees cannot be changed", async () => {
    const c = await simple(10000);
    const withFee = okContract(await call("POST", `/${c.id}/fee`, { amount: 700, description: "Booking" }));
    const fee = withFee.fees.find((f: Json) => f.type === "custom");
    expect(fee).toMatchObject({ amount: 700, description: "Booking", payer: "buyers", buyer_user_id: null });
    expect(withFee.subTotal).toBe(10700);
    const deducted = okContract(await call("PUT", `/${c.id}/fee/${fee.id}`, { payer: "sellers", amount: 300 }));
    expect(deducted.subTotal).toBe(10000);
    expect(deducted.sellers[0].amountOwed).toBe(10000 - 320 - 100 - 250 - 300);
    const stripeRow = deducted.fees.find((f: Json) => f.type === "stripe:cc");
    failed(await call("PUT", `/${c.id}/fee/${stripeRow.id}`, { amount: 1 }), 422, "fee_not_custom");
    failed(await call("DELETE", `/${c.id}/fee/${stripeRow.id}`), 422, "fee_not_custom");
    failed(await call("PUT", `/${c.id}/fee/fee_missing`, { amount: 1 }), 404);
    failed(await call("PUT", `/${c.id}/fee/${fee.id}`, { amount: -1 }), 400);
    failed(await call("POST", `/${c.id}/fee`, { amount: 20000, payer: "sellers" }), 422, "amount_too_small");
    const removed = okContract(await call("DELETE", `/${c.id}/fee/${fee.id}`));
    expect(removed.fees.some((f: Json) => f.type === "custom")).toBe(false);
  });
});

describe("changes: items, buyers, sellers, fee inclusion, modify", () => {
  it("adds and removes items; a product's stock is held and given back", async () => {
    const vase = await product({ price: 4000, quantity: 3 }, wes);
    const c = await simple(10000);
    const added = okContract(await call("POST", `/${c.id}/item`, { product_id: vase.id, quantity: 2, startDate: "2027-01-01T10:00:00Z", endDate: "2027-01-02T10:00:00Z" }));
    const item = added.items.find((i: Json) => i.product_id === vase.id);
    expect(item).toMatchObject({ user_id: wes.id, price: 4000, quantity: 2, total: 8000, startDate: "2027-01-01T10:00:00Z", endDate: "2027-01-02T10:00:00Z" });
    expect(added.sellers.map((s: Json) => s.user_id)).toEqual([sam.id, wes.id]);
    expect((await t.request({ method: "GET", url: `/v1/products/${vase.id}`, headers: key() })).json().quantity).toBe(1);
    failed(await call("POST", `/${c.id}/item`, { product_id: vase.id, quantity: 2 }), 409, "insufficient_stock");
    const removed = okContract(await call("DELETE", `/${c.id}/item/${item.id}`));
    expect(removed.items).toHaveLength(1);
    // The seller stays; their share is 0 without items.
    expect(removed.sellers.map((s: Json) => [s.user_id, s.amountOwed])).toEqual([
      [sam.id, 9330],
      [wes.id, 0],
    ]);
    expect((await t.request({ method: "GET", url: `/v1/products/${vase.id}`, headers: key() })).json().quantity).toBe(3);
    failed(await call("DELETE", `/${c.id}/item/${item.id}`), 404);
    failed(await call("POST", `/${c.id}/item`, { user_id: sam.id, price: 100, quantity: 0 }), 400);
    failed(await call("POST", `/${c.id}/item`, { user_id: bob.id, price: 100 }), 422, "buyer_is_seller");
    failed(await call("POST", `/${c.id}/item`, { user_id: stranger.id, price: 100 }), 404);
  });

  it("adds and removes buyers and sellers by user id", async () => {
    const c = await simple(10000);
    const two = okContract(await call("POST", `/${c.id}/buyer`, { user_id: carol.id, dueAmount: 2000 }));
    expect(two.buyers.map((b: Json) => [b.user_id, b.amountDue])).toEqual([
      [bob.id, 8000],
      [carol.id, 2000],
    ]);
    failed(await call("POST", `/${c.id}/buyer`, { user_id: carol.id }), 409, "buyer_exists");
    failed(await call("POST", `/${c.id}/buyer`, { user_id: sam.id }), 422, "buyer_is_seller");
    failed(await call("POST", `/${c.id}/buyer`, { user_id: stranger.id }), 404);
    failed(await call("POST", `/${c.id}/buyer`, { user: carol.id }), 400);
    failed(await call("PUT", `/${c.id}/buyer/${dan.id}/due`, { dueAmount: 1 }), 404);
    failed(await call("PUT", `/${c.id}/buyer/${bob.id}/due`, {}), 400);
    const one = okContract(await call("DELETE", `/${c.id}/buyer/${carol.id}`));
    expect(one.buyers.map((b: Json) => [b.user_id, b.amountDue])).toEqual([[bob.id, 10000]]);
    failed(await call("DELETE", `/${c.id}/buyer/${carol.id}`), 404);

    const sellers = okContract(await call("POST", `/${c.id}/seller`, { user_id: wes.id }));
    expect(sellers.sellers.map((s: Json) => s.user_id)).toEqual([sam.id, wes.id]);
    failed(await call("POST", `/${c.id}/seller`, { user_id: wes.id }), 409, "seller_exists");
    failed(await call("POST", `/${c.id}/seller`, { user_id: bob.id }), 422, "buyer_is_seller");
    failed(await call("DELETE", `/${c.id}/seller/${sam.id}`), 409, "seller_has_items");
    failed(await call("PUT", `/${c.id}/seller/${wes.id}/owed`, { owedAmount: "5" }), 400);
    failed(await call("PUT", `/${c.id}/seller/${wes.id}/owed`, { owedAmount: 100_000 }), 422, "pinned_amounts_exceed_total");
    const pinned = okContract(await call("PUT", `/${c.id}/seller/${wes.id}/owed`, { owedAmount: 1000 }));
    expect(pinned.sellers.map((s: Json) => s.amountOwed)).toEqual([8330, 1000]);
    const gone = okContract(await call("DELETE", `/${c.id}/seller/${wes.id}`));
    expect(gone.sellers.map((s: Json) => s.user_id)).toEqual([sam.id]);
    failed(await call("DELETE", `/${c.id}/seller/${wes.id}`), 404);
  });

  it("sets fee inclusion by the SDK's switch or by flags; 400 for an empty body", async () => {
    const c = await simple(10000);
    const all = okContract(await call("PUT", `/${c.id}/fee_inclusion`, { feeInclusion: true }));
    expect([all.includeStripeFees, all.includeCandleFees, all.includePlatformFees]).toEqual([true, true, true]);
    const some = okContract(await call("PUT", `/${c.id}/fee_inclusion`, { includeCandleFees: false }));
    expect([some.includeStripeFees, some.includeCandleFees, some.includePlatformFees]).toEqual([true, false, true]);
    failed(await call("PUT", `/${c.id}/fee_inclusion`, {}), 400);
    failed(await call("PUT", `/${c.id}/fee_inclusion`, { feeInclusion: "yes" }), 400);
  });

  it("modifies notes, due, currency and inclusion; 422 for a currency its products do not have", async () => {
    const bowl = await product({ price: 1000 });
    const c = okContract(await create({ items: [{ product_id: bowl.id }], buyers: [{ user_id: bob.id }] }), 201);
    const changed = okContract(await call("PUT", `/${c.id}`, { notes: "Rush", due: "2027-02-01T12:00:00+01:00", includeStripeFees: true }));
    expect(changed).toMatchObject({ notes: "Rush", due: "2027-02-01T11:00:00Z", includeStripeFees: true });
    expect(changed.total).toBeGreaterThan(c.total);
    failed(await call("PUT", `/${c.id}`, { currency: "eur" }), 422, "currency_mismatch");
    const custom = await simple(1000);
    expect(okContract(await call("PUT", `/${custom.id}`, { currency: "eur" })).currency).toBe("eur");
    failed(await call("PUT", `/${c.id}`, { subTotal: 1 }), 400, "parameter_not_writable");
    expect(okContract(await call("PUT", `/${c.id}`, { notes: null })).notes).toBeNull();
  });

  it("every change route: 401 without credentials, 404 for another platform's contract or a missing one", async () => {
    const c = await simple(10000);
    const routes: ["POST" | "PUT" | "DELETE" | "GET", string, Json | undefined][] = [
      ["GET", `/${c.id}`, undefined],
      ["PUT", `/${c.id}`, { notes: "x" }],
      ["DELETE", `/${c.id}`, undefined],
      ["POST", `/${c.id}/item`, { user_id: sam.id, price: 100 }],
      ["DELETE", `/${c.id}/item/${c.items[0].id}`, undefined],
      ["POST", `/${c.id}/buyer`, { user_id: carol.id }],
      ["PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: 1 }],
      ["DELETE", `/${c.id}/buyer/${bob.id}`, undefined],
      ["POST", `/${c.id}/seller`, { user_id: wes.id }],
      ["PUT", `/${c.id}/seller/${sam.id}/owed`, { owedAmount: 1 }],
      ["DELETE", `/${c.id}/seller/${sam.id}`, undefined],
      ["POST", `/${c.id}/fee`, { amount: 1 }],
      ["PUT", `/${c.id}/fee/${c.fees[0].id}`, { amount: 1 }],
      ["DELETE", `/${c.id}/fee/${c.fees[0].id}`, undefined],
      ["PUT", `/${c.id}/fee_inclusion`, { feeInclusion: true }],
      ["GET", `/${c.id}/sync`, undefined],
      ["PUT", `/${c.id}/sync`, undefined],
      ["POST", `/${c.id}/send`, undefined],
      ["PUT", `/${c.id}/settle`, undefined],
    ];
    for (const [method, url, payload] of routes) {
      failed(await t.request({ method, url: `/v1/contracts${url}`, ...(payload ? { payload } : {}) }), 401);
      expect(failed(await call(method, url, payload, bearer(other.apiKey)), 404, "resource_missing").param, `${method} ${url}`).toBe("id");
      expect(failed(await call(method, url, payload, as(stranger)), 404).param).toBe("id");
      failed(await call(method, url.replace(c.id, "inv_00000000000000000000000000000000"), payload), 404);
    }
    expect(okContract(await get(c.id))).toEqual(c);
  });
});

describe("every change route", () => {
  /** Each route that changes a contract, with a body that would succeed on `c` (made by alice, bought by bob, sold by sam). */
  function changes(c: Json): ["POST" | "PUT" | "DELETE", string, Json | undefined][] {
    const custom = c.fees.find((f: Json) => f.type === "custom");
    return [
      ["PUT", `/${c.id}`, { includeStripeFees: true }],
      ["POST", `/${c.id}/item`, { user_id: sam.id, price: 100 }],
      ["DELETE", `/${c.id}/item/${c.items[0].id}`, undefined],
      ["POST", `/${c.id}/buyer`, { user_id: carol.id }],
      ["PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: null }],
      ["DELETE", `/${c.id}/buyer/${bob.id}`, undefined],
      ["POST", `/${c.id}/seller`, { user_id: wes.id }],
      ["PUT", `/${c.id}/seller/${sam.id}/owed`, { owedAmount: null }],
      ["POST", `/${c.id}/fee`, { amount: 100 }],
      ["PUT", `/${c.id}/fee/${custom.id}`, { amount: 200 }],
      ["DELETE", `/${c.id}/fee/${custom.id}`, undefined],
      ["PUT", `/${c.id}/fee_inclusion`, { feeInclusion: true }],
    ];
  }
  // Alice is also a buyer: a member changes the money only of a deal they are in.
  const fresh = async () =>
    simple(
      10000,
      {
        items: [
          { user_id: sam.id, price: 6000 },
          { user_id: sam.id, price: 4000 },
        ],
        buyers: [{ user_id: bob.id }, { user_id: alice.id }],
        fees: [{ amount: 300 }],
      },
      as(alice),
    );

  it("succeed for the creator in the deal (a seller's pay: that seller or an editor), and keep the invariants", async () => {
    for (const [method, url, payload] of changes(await fresh())) okContract(await call(method, url, payload, as(url.includes("/owed") ? editor : alice)));
  });

  it("403 for the contract's buyers and sellers, 404 for members not on it, nothing changed", async () => {
    const c = await fresh();
    for (const [method, url, payload] of changes(c)) {
      expect(failed(await call(method, url, payload, as(bob)), 403).code, `${method} ${url}`).toBe("not_contract_creator");
      failed(await call(method, url, payload, as(sam)), 403);
      failed(await call(method, url, payload, as(olly)), 404);
    }
    expect(okContract(await get(c.id))).toEqual(c);
  });

  it("409 contract_locked once the contract is void (or paid: contracts-settlement.test.ts)", async () => {
    const c = await fresh();
    okContract(await call("POST", `/${c.id}/send`));
    okContract(await call("DELETE", `/${c.id}`));
    for (const [method, url, payload] of changes(c)) expect(failed(await call(method, url, payload), 409).code, `${method} ${url}`).toBe("contract_locked");
  });

  it("400 for a path id too long to be one", async () => {
    const long = `inv_${"0".repeat(120)}`;
    for (const [method, url, payload] of changes(await fresh())) expect((await call(method, url.replace(/inv_[0-9a-f]{32}/, long), payload)).statusCode).toBe(400);
    expect((await get(long)).statusCode).toBe(400);
  });

  it("sync: 422 when pins no longer add up under new rates", async () => {
    const c = await simple(10000, {
      items: [
        { user_id: sam.id, price: 6000 },
        { user_id: sam.id, price: 4000 },
      ],
      fees: [{ amount: 300 }],
    });
    okContract(await call("PUT", `/${c.id}/fee_inclusion`, { feeInclusion: true }));
    const pinned = okContract(await call("PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: (await get(c.id)).json().total }));
    await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { platformFee: 5 } });
    try {
      const error = failed(await call("GET", `/${c.id}/sync`), 422, "pinned_amounts_below_total");
      expect(error.gap_cents).toBeGreaterThan(0);
      expect(okContract(await get(c.id))).toEqual(pinned);
    } finally {
      await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { platformFee: 2.5 } });
    }
  });
});

describe("access", () => {
  // The key creates these in alice's name: a creator who is not a buyer or seller.
  const aliceOutside = () => simple(10000, { user_id: alice.id });

  it("members read the contracts they created or are on; anyone else gets 404", async () => {
    const c = await aliceOutside();
    for (const who of [alice, bob, sam, editor]) okContract(await get(c.id, as(who)));
    failed(await get(c.id, as(olly)), 404);
    failed(await call("GET", `/${c.id}/sync`, undefined, as(olly)), 404);
    okContract(await call("GET", `/${c.id}/sync`, undefined, as(bob)));
  });

  it("only the creator, an editor or the key change a contract; parties get 403", async () => {
    const c = await aliceOutside();
    failed(await call("PUT", `/${c.id}`, { notes: "mine" }, as(bob)), 403, "not_contract_creator");
    failed(await call("POST", `/${c.id}/item`, { user_id: sam.id, price: 100 }, as(sam)), 403);
    failed(await call("POST", `/${c.id}/send`, undefined, as(bob)), 403);
    failed(await call("DELETE", `/${c.id}`, undefined, as(sam)), 403);
    failed(await call("PUT", `/${c.id}`, { notes: "mine" }, as(olly)), 404);
    okContract(await call("PUT", `/${c.id}`, { notes: "alice's" }, as(alice)));
    okContract(await call("PUT", `/${c.id}`, { notes: "editor's" }, as(editor)));
  });

  it("money taken from a seller needs that seller, an editor or the key", async () => {
    const c = await simple(
      10000,
      {
        items: [
          { user_id: sam.id, price: 5000 },
          { user_id: wes.id, price: 5000 },
        ],
        buyers: [{ user_id: bob.id }, { user_id: alice.id }],
      },
      as(alice),
    );
    failed(await call("PUT", `/${c.id}/seller/${sam.id}/owed`, { owedAmount: 100 }, as(alice)), 403, "seller_pin_forbidden");
    failed(await call("POST", `/${c.id}/fee`, { amount: 100, payer: "sellers" }, as(alice)), 403, "fee_payer_forbidden");
    okContract(await call("POST", `/${c.id}/fee`, { amount: 100 }, as(alice)));
    okContract(await call("PUT", `/${c.id}/seller/${sam.id}/owed`, { owedAmount: 5000 }, as(editor)));
    // A member creating a contract they sell in may pin their own share.
    const own = okContract(
      await create(
        {
          items: [
            { user_id: alice.id, price: 3000 },
            { user_id: wes.id, price: 3000 },
          ],
          buyers: [{ user_id: bob.id }],
        },
        as(alice),
      ),
      201,
    );
    okContract(await call("PUT", `/${own.id}/seller/${alice.id}/owed`, { owedAmount: 2000 }, as(alice)));
  });
});

describe("lists", () => {
  let listed: Json[];
  beforeAll(async () => {
    const p = await t.createPlatform({ name: "Lists" });
    const u = { seller: await t.createUser(p, "member"), buyer: await t.createUser(p, "member"), other: await t.createUser(p, "member"), editor: await t.createUser(p, "editor") };
    const make = async (payload: Json) => okContract(await t.request({ method: "POST", url: "/v1/contracts", headers: bearer(p.apiKey), payload }), 201);
    listed = [
      await make({ items: [{ user_id: u.seller.id, price: 1000 }], buyers: [{ user_id: u.buyer.id }], due: "2027-01-10T00:00:00Z" }),
      await make({ items: [{ user_id: u.seller.id, price: 3000 }], buyers: [{ user_id: u.other.id }], due: "2027-03-10T00:00:00Z" }),
      await make({ items: [{ user_id: u.other.id, price: 2000 }], buyers: [{ user_id: u.buyer.id }] }),
    ];
    await t.request({ method: "POST", url: `/v1/contracts/${listed[1]!.id}/send`, headers: bearer(p.apiKey) });
    Object.assign(lists, { p, u });
  });
  const lists = {} as { p: TestPlatform; u: Record<"seller" | "buyer" | "other" | "editor", TestUser> };
  const list = (url: string, headers?: Headers) => t.request({ method: "GET", url, headers: headers ?? bearer(lists.p.apiKey) });
  const ids = (res: { json(): Json }) => res.json().data.map((c: Json) => c.id);

  it("lists every contract newest first with { data, meta } (editors and the key)", async () => {
    const res = await list("/v1/contracts");
    expect(res.statusCode, res.body).toBe(200);
    expect(ids(res)).toEqual(listed.map((c) => c.id).reverse());
    expect(res.json().meta).toMatchObject({ total: 3, per_page: 15, current_page: 1, last_page: 1, from: 1, to: 3 });
    for (const c of res.json().data) expectInvariants(c);
    expect(ids(await list("/v1/contracts?per_page=2&page=2"))).toEqual([listed[0]!.id]);
    expect((await list("/v1/contracts", bearer(lists.u.editor.token))).statusCode).toBe(200);
    failed(await list("/v1/contracts", bearer(lists.u.buyer.token)), 403);
    failed(await t.request({ method: "GET", url: "/v1/contracts" }), 401);
  });

  it("filters by status, buyer, seller, creator, currency and due range, and sorts", async () => {
    const [a, b, c] = listed.map((x) => x.id);
    expect(ids(await list("/v1/contracts?filter[status]=open"))).toEqual([b]);
    expect(ids(await list("/v1/contracts?filter[status]=draft,open&sort=created"))).toEqual([a, b, c]);
    expect(ids(await list(`/v1/contracts?filter[buyer_user_id]=${lists.u.buyer.id}`))).toEqual([c, a]);
    expect(ids(await list(`/v1/contracts?filter[seller_user_id]=${lists.u.seller.id},${lists.u.other.id}&sort=total`))).toEqual([a, c, b]);
    expect(ids(await list("/v1/contracts?filter[due][gte]=2027-02-01T00:00:00Z"))).toEqual([b]);
    expect(ids(await list("/v1/contracts?filter[due][lte]=2027-02-01T00:00:00Z"))).toEqual([a]);
    expect(ids(await list("/v1/contracts?sort=due"))).toEqual([a, b, c]);
    expect(ids(await list("/v1/contracts?sort=-total"))).toEqual([b, c, a]);
    expect(ids(await list("/v1/contracts?filter[currency]=eur"))).toEqual([]);
    expect(ids(await list("/v1/contracts?filter[user_id]=user_nobody"))).toEqual([]);
    failed(await list("/v1/contracts?filter[status]=lost"), 400);
    failed(await list("/v1/contracts?filter[due][gte]=2027-02-01T00:00:00Z&filter[due][lte]=2027-01-01T00:00:00Z"), 400);
    failed(await list("/v1/contracts?sort=price"), 400);
    failed(await list("/v1/contracts?filter[colour]=red"), 400);
  });

  it("by buyer and by seller: anyone for editors and the key, a member for themself", async () => {
    const [a, b, c] = listed.map((x) => x.id);
    expect(ids(await list(`/v1/contracts/user/${lists.u.buyer.id}/buyer`))).toEqual([c, a]);
    expect(ids(await list(`/v1/contracts/user/${lists.u.seller.id}/seller?filter[status]=open`))).toEqual([b]);
    expect(ids(await list(`/v1/contracts/user/${lists.u.buyer.id}/buyer`, bearer(lists.u.buyer.token)))).toEqual([c, a]);
    failed(await list(`/v1/contracts/user/${lists.u.seller.id}/seller`, bearer(lists.u.buyer.token)), 403);
    failed(await list(`/v1/contracts/user/${stranger.id}/buyer`), 404);
    failed(await list(`/v1/contracts/user/${lists.u.buyer.id}/buyer`, bearer(acme.apiKey)), 404);
    failed(await list(`/v1/contracts/user/${lists.u.buyer.id}/buyer?page=0`), 400);
    failed(await t.request({ method: "GET", url: `/v1/contracts/user/${lists.u.buyer.id}/seller` }), 401);
  });

  it("/contracts/auth: the signed-in user's, as buyer, seller or creator", async () => {
    const [a, b, c] = listed.map((x) => x.id);
    expect(ids(await list("/v1/contracts/auth", bearer(lists.u.other.token)))).toEqual([c, b]);
    expect(ids(await list("/v1/contracts/auth?filter[status]=draft", bearer(lists.u.other.token)))).toEqual([c]);
    expect(ids(await list("/v1/contracts/auth", bearer(lists.u.seller.token)))).toEqual([b, a]);
    failed(await list("/v1/contracts/auth"), 401);
    failed(await list("/v1/contracts/auth?per_page=1000", bearer(lists.u.other.token)), 400);
  });
});

describe("DELETE /v1/contracts/:id", () => {
  it("deletes a draft (answering it as it was) and gives its stock back", async () => {
    const jug = await product({ quantity: 5 });
    const c = okContract(await create({ items: [{ product_id: jug.id, quantity: 4 }], buyers: [{ user_id: bob.id }] }), 201);
    expect((await t.request({ method: "GET", url: `/v1/products/${jug.id}`, headers: key() })).json().quantity).toBe(1);
    const deleted = okContract(await call("DELETE", `/${c.id}`));
    expect(deleted).toEqual(c);
    failed(await get(c.id), 404);
    expect((await t.request({ method: "GET", url: `/v1/products/${jug.id}`, headers: key() })).json().quantity).toBe(5);
  });

  it("voids a sent contract and keeps it; a void contract cannot be deleted or changed again", async () => {
    const jug = await product({ quantity: 2 });
    const c = okContract(await create({ items: [{ product_id: jug.id, quantity: 2 }], buyers: [{ user_id: bob.id }] }), 201);
    okContract(await call("POST", `/${c.id}/send`));
    const voided = okContract(await call("DELETE", `/${c.id}`));
    expect(voided.status).toBe("void");
    expect((await t.request({ method: "GET", url: `/v1/products/${jug.id}`, headers: key() })).json().quantity).toBe(2);
    failed(await call("DELETE", `/${c.id}`), 409, "contract_void");
    failed(await call("POST", `/${c.id}/item`, { user_id: sam.id, price: 100 }), 409, "contract_locked");
    failed(await call("POST", `/${c.id}/send`), 409, "contract_not_sendable");
    failed(await call("PUT", `/${c.id}/settle`), 409, "contract_not_payable");
    failed(await call("DELETE", `/${c.id}`, { force: true }), 400);
  });
});

describe("POST /v1/contracts/:id/send (without the mail worker)", () => {
  it("422 naming what is missing; opens the contract, sets sent once and lastSent each time", async () => {
    const empty = okContract(await create({ buyers: [{ user_id: bob.id }] }), 201);
    expect(failed(await call("POST", `/${empty.id}/send`), 422, "contract_incomplete").param).toBe("sellers");
    const noBuyer = okContract(await create({ items: [{ user_id: sam.id, price: 100 }] }), 201);
    expect(failed(await call("POST", `/${noBuyer.id}/send`), 422, "contract_incomplete").param).toBe("buyers");
    const zero = okContract(await create({ sellers: [{ user_id: sam.id }], buyers: [{ user_id: bob.id }] }), 201);
    expect(failed(await call("POST", `/${zero.id}/send`), 422, "contract_incomplete").param).toBe("items");

    // A member sends only a contract they created and are a buyer or seller of.
    failed(await call("POST", `/${(await simple(10000, { user_id: alice.id })).id}/send`, undefined, as(alice)), 403, "not_contract_party");
    const c = await simple(10000, { buyers: [{ user_id: alice.id }] }, as(alice));
    const sent = okContract(await call("POST", `/${c.id}/send`, undefined, as(alice)));
    expect(sent.status).toBe("open");
    expect(sent.sent).toBe(sent.lastSent);
    await new Promise((r) => setTimeout(r, 1100));
    const again = okContract(await call("POST", `/${c.id}/send`, {}));
    expect(again.sent).toBe(sent.sent);
    expect(again.lastSent > sent.lastSent).toBe(true);
    failed(await call("POST", `/${c.id}/send`, { to: "x" }), 400);
    // One email per buyer per send, queued with the change (their delivery: contracts-send.test.ts).
    const emails = async () => Number((await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'send-email'`)[0]!.n);
    const before = await emails();
    okContract(await call("POST", `/${c.id}/buyer`, { user_id: carol.id }, as(alice)));
    okContract(await call("POST", `/${c.id}/send`, undefined, as(alice)));
    expect((await emails()) - before).toBe(2);
  });
});
