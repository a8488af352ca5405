import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRONTAB } from "../../src/jobs/worker.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * Attacker report: a member locked a seller's whole stock. Adding a product with all its quantity
 * to a draft took the stock; other buyers got 409 product_out_of_stock, the seller could not delete
 * the product, and the draft never expired. Stock holds are now bounded per member
 * (STOCK_HOLD_MAX_SHARE, 50 % by default) and in time (STOCK_HOLD_MINUTES), expired holds go back
 * (lazily, and by the release-stock-holds job), and buyers' drafts and carts do not stop a delete.
 */

let t: TestContext;
let acme: TestPlatform;
let seller: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  seller = await t.createUser(acme, "member");
});
afterAll(() => t.close());

const as = (u: TestUser) => bearer(u.token);

async function product(quantity: number, name = "Vase"): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: as(seller), payload: { name, price: 2000, quantity } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
/** The attack's first step: a draft the member buys in, with `quantity` of the product. */
const draft = (member: TestUser, productId: string, quantity: number) =>
  t.request({ method: "POST", url: "/v1/contracts", headers: as(member), payload: { buyers: [{ user_id: member.id }], items: [{ product_id: productId, quantity }] } });
const addItem = (member: TestUser, contractId: string, productId: string, quantity: number) =>
  t.request({ method: "POST", url: `/v1/contracts/${contractId}/item`, headers: as(member), payload: { product_id: productId, quantity } });
/** Into the cart, then the cart into a contract: the answer of the first step that fails. */
async function checkout(buyer: TestUser, productId: string, quantity: number) {
  const cart = await t.request({ method: "POST", url: `/v1/carts/auth/product/${productId}`, headers: as(buyer), payload: { quantity } });
  if (cart.statusCode !== 200) return cart;
  return t.request({ method: "POST", url: `/v1/contracts/cart/${cart.json().id}`, headers: as(buyer) });
}
const stock = async (productId: string) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).quantity;
const heldOn = async (productId: string) =>
  (await t.db.contractItem.aggregate({ where: { productId, contract: { status: { in: ["draft", "open", "processing", "paid"] } } }, _sum: { reserved: true } }))._sum.reserved ?? 0;
/** Makes a contract's hold run out now (as STOCK_HOLD_MINUTES later would). */
const expire = (contractId: string) => t.db.contract.update({ where: { id: contractId }, data: { holdExpires: new Date(Date.now() - 1_000) } });
const releaseJob = () => (t.app.services.tasks["release-stock-holds"] as (payload: unknown, helpers: unknown) => Promise<void>)({}, {});

describe("one member cannot take a seller's whole stock", () => {
  it("a draft with all of the stock is refused over the member's share; other buyers still buy the rest", async () => {
    const vase = await product(10);
    const attacker = await t.createUser(acme, "member");
    const all = failed(await draft(attacker, vase.id, 10), 422, "stock_hold_limit");
    expect(all.param).toBe("quantity");
    expect(await stock(vase.id)).toBe(10);

    // Half is the most one member holds, however many drafts they spread it over.
    const first = okContract(await draft(attacker, vase.id, 5), 201);
    expect(first.items[0]).toMatchObject({ product_id: vase.id, quantity: 5 });
    failed(await draft(attacker, vase.id, 1), 422, "stock_hold_limit");
    failed(await addItem(attacker, first.id, vase.id, 1), 422, "stock_hold_limit");
    // Through a cart too.
    failed(await checkout(attacker, vase.id, 1), 422, "stock_hold_limit");
    await t.request({ method: "DELETE", url: "/v1/carts/auth", headers: as(attacker) });
    expect(await stock(vase.id)).toBe(5);

    const buyer = await t.createUser(acme, "member");
    okContract(await checkout(buyer, vase.id, 5), 201);
    expect(await stock(vase.id)).toBe(0);
    expect(await heldOn(vase.id)).toBe(10);
  });

  it("the platform key and editors are not capped (they sell on a buyer's behalf)", async () => {
    const vase = await product(4);
    const buyer = await t.createUser(acme, "member");
    const editor = await t.createUser(acme, "editor");
    okContract(
      await t.request({ method: "POST", url: "/v1/contracts", headers: as(editor), payload: { buyers: [{ user_id: buyer.id }], items: [{ product_id: vase.id, quantity: 3 }] } }),
      201,
    );
    okContract(
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: bearer(acme.apiKey),
        payload: { buyers: [{ user_id: buyer.id }], items: [{ product_id: vase.id, quantity: 1 }] },
      }),
      201,
    );
    expect(await stock(vase.id)).toBe(0);
  });
});

describe("a hold expires", () => {
  it("the last unit held by a draft goes back once the hold expired: the next buyer gets it without waiting for the job; the draft then cannot be sent", async () => {
    const vase = await product(1);
    const attacker = await t.createUser(acme, "member");
    const held = okContract(await draft(attacker, vase.id, 1), 201);
    const row = await t.db.contract.findUniqueOrThrow({ where: { id: held.id } });
    // Held for STOCK_HOLD_MINUTES (30) from the add.
    expect(row.holdExpires!.getTime() - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(row.holdExpires!.getTime() - Date.now()).toBeLessThanOrEqual(30 * 60_000);

    const buyer = await t.createUser(acme, "member");
    failed(await checkout(buyer, vase.id, 1), 409, "product_out_of_stock");

    await expire(held.id);
    const bought = okContract(await checkout(buyer, vase.id, 1), 201);
    expect(bought.items[0]).toMatchObject({ product_id: vase.id, quantity: 1 });
    expect(await stock(vase.id)).toBe(0);
    expect((await t.db.contractItem.findFirstOrThrow({ where: { contractId: held.id } })).reserved).toBe(0);

    // The attacker's draft does not get the unit back by being sent or settled.
    failed(await t.request({ method: "POST", url: `/v1/contracts/${held.id}/send`, headers: as(attacker) }), 409, "product_out_of_stock");
    expect(await stock(vase.id)).toBe(0);
    expect(await heldOn(vase.id)).toBe(1);
  });

  it("the release-stock-holds job (every minute) gives back expired holds, and only those", async () => {
    expect(CRONTAB).toContain("* * * * * release-stock-holds");
    const vase = await product(6);
    const [ann, ben] = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
    const expired = okContract(await draft(ann, vase.id, 3), 201);
    const live = okContract(await draft(ben, vase.id, 2), 201);
    expect(await stock(vase.id)).toBe(1);
    await expire(expired.id);

    await releaseJob();
    expect(await stock(vase.id)).toBe(4);
    expect((await t.db.contractItem.findFirstOrThrow({ where: { contractId: expired.id } })).reserved).toBe(0);
    expect((await t.db.contractItem.findFirstOrThrow({ where: { contractId: live.id } })).reserved).toBe(2);
    // Run again: nothing more goes back.
    await releaseJob();
    expect(await stock(vase.id)).toBe(4);
  });

  it("a draft whose hold expired takes its stock again when sent, if it is still there, and holds it anew", async () => {
    const vase = await product(4);
    const member = await t.createUser(acme, "member");
    const c = okContract(await draft(member, vase.id, 2), 201);
    await expire(c.id);
    await releaseJob();
    expect(await stock(vase.id)).toBe(4);

    const sent = okContract(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/send`, headers: as(member) }));
    expect(sent.status).toBe("open");
    expect(await stock(vase.id)).toBe(2);
    expect((await t.db.contractItem.findFirstOrThrow({ where: { contractId: c.id } })).reserved).toBe(2);
    expect((await t.db.contract.findUniqueOrThrow({ where: { id: c.id } })).holdExpires!.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
  });

  it("settling takes the stock again after an expired hold; a paid contract keeps its stock whatever its hold said", async () => {
    const vase = await product(4);
    const member = await t.createUser(acme, "member");
    await onboardSeller(t, acme, seller.id);
    await addCard(t, acme, member.id);
    const c = okContract(await draft(member, vase.id, 2), 201);
    await expire(c.id);
    await releaseJob();
    expect(await stock(vase.id)).toBe(4);

    const paid = okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: as(member) }));
    expect(paid.status).toBe("paid");
    expect(await stock(vase.id)).toBe(2);
    await expire(c.id);
    await releaseJob();
    await checkout(await t.createUser(acme, "member"), vase.id, 1);
    expect(await stock(vase.id)).toBe(1);
    expect((await t.db.contractItem.findFirstOrThrow({ where: { contractId: c.id } })).reserved).toBe(2);
  });
  it("a contract a buyer subscribed to keeps its stock past its hold time (its cycles are the sales)", async () => {
    const lamp = await product(4, "Lamp care");
    const member = await t.createUser(acme, "member");
    await onboardSeller(t, acme, seller.id);
    await addCard(t, acme, member.id);
    const c = okContract(await draft(member, lamp.id, 2), 201);
    await expire(c.id);
    await releaseJob();
    expect(await stock(lamp.id)).toBe(4);
    // Subscribing (the first cycle is charged at once) takes the expired hold's units again.
    const sub = await t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${c.id}`, headers: as(member), payload: { cycle: "monthly" } });
    expect(sub.statusCode, sub.body).toBe(201);
    expect(await stock(lamp.id)).toBe(2);
    await expire(c.id);
    await releaseJob();
    expect(await stock(lamp.id)).toBe(2);
    expect((await t.db.contractItem.findFirstOrThrow({ where: { contractId: c.id } })).reserved).toBe(2);
  });
});

describe("the seller can delete a product others hold", () => {
  it("a buyer's draft and cart do not stop the delete; the draft can then not be sent", async () => {
    const vase = await product(4);
    const attacker = await t.createUser(acme, "member");
    const held = okContract(await draft(attacker, vase.id, 2), 201);
    expect((await t.request({ method: "POST", url: `/v1/carts/auth/product/${vase.id}`, headers: as(attacker), payload: { quantity: 1 } })).statusCode).toBe(200);

    const deleted = await t.request({ method: "DELETE", url: `/v1/products/${vase.id}`, headers: as(seller) });
    expect(deleted.statusCode, deleted.body).toBe(200);
    expect(await t.db.product.count({ where: { id: vase.id } })).toBe(0);
    expect((await t.request({ method: "GET", url: "/v1/carts/auth", headers: as(attacker) })).json().items).toEqual([]);
    failed(await t.request({ method: "POST", url: `/v1/contracts/${held.id}/send`, headers: as(attacker) }), 409, "product_out_of_stock");
  });

  it("a sent contract not yet paid still stops it (archive instead)", async () => {
    const vase = await product(4);
    const member = await t.createUser(acme, "member");
    const c = okContract(await draft(member, vase.id, 1), 201);
    okContract(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/send`, headers: as(member) }));
    failed(await t.request({ method: "DELETE", url: `/v1/products/${vase.id}`, headers: as(seller) }), 409, "product_in_open_contract");
  });
});

describe("parallel holds never oversell", () => {
  it("members racing for a product: what is held plus what is left is the stock, and left never goes below 0", async () => {
    for (let round = 0; round < 3; round += 1) {
      const vase = await product(6, `Race ${round}`);
      const members = await Promise.all(Array.from({ length: 6 }, () => t.createUser(acme, "member")));
      const answers = await Promise.all(members.map((m) => draft(m, vase.id, 2)));
      const codes = answers.map((a) => a.statusCode);
      expect(codes.filter((c) => c === 201)).toHaveLength(3);
      for (const a of answers) if (a.statusCode !== 201) expect(a.json().error.code).toMatch(/^(product_out_of_stock|insufficient_stock)$/);
      expect(await stock(vase.id)).toBe(0);
      expect(await heldOn(vase.id)).toBe(6);
    }
  });

  it("one member's parallel drafts stay within their share", async () => {
    const vase = await product(8);
    const attacker = await t.createUser(acme, "member");
    const answers = await Promise.all(Array.from({ length: 4 }, () => draft(attacker, vase.id, 3)));
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(1);
    for (const a of answers) if (a.statusCode !== 201) expect(a.json().error.code).toBe("stock_hold_limit");
    expect(await stock(vase.id)).toBe(5);
  });

  it("expired holds released by the job while buyers check out: every unit is sold or left once", async () => {
    const vase = await product(10);
    const holders = await Promise.all(Array.from({ length: 2 }, () => t.createUser(acme, "member")));
    const drafts = [];
    for (const h of holders) drafts.push(okContract(await draft(h, vase.id, 5), 201));
    for (const d of drafts) await expire(d.id);
    const buyers = await Promise.all(Array.from({ length: 6 }, () => t.createUser(acme, "member")));
    const carts = await Promise.all(
      buyers.map(async (b) => {
        const res = await t.request({ method: "POST", url: `/v1/carts/auth/product/${vase.id}`, headers: as(b), payload: { quantity: 2 } });
        expect(res.statusCode, res.body).toBe(200);
        return res.json().id as string;
      }),
    );
    const [, ...answers] = await Promise.all([releaseJob(), ...buyers.map((b, i) => t.request({ method: "POST", url: `/v1/contracts/cart/${carts[i]}`, headers: as(b) }))]);
    expect(answers.map((a) => a.statusCode).sort(), answers.map((a) => a.body).join("\n")).toEqual([201, 201, 201, 201, 201, 409]);
    expect(await stock(vase.id)).toBe(0);
    expect(await heldOn(vase.id)).toBe(10);
  });
});
