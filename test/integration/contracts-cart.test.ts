import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, type Json } from "../helpers/contracts.js";

/** `POST /v1/contracts/cart/:cart_id`: a cart becomes a contract, and the contract takes the stock. */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let potter: TestUser;
let weaver: TestUser;
let editor: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  other = await t.createPlatform({ name: "Other" });
  potter = await t.createUser(acme, "member");
  weaver = await t.createUser(acme, "member");
  editor = await t.createUser(acme, "editor");
});
afterAll(() => t.close());

const as = (u: TestUser) => bearer(u.token);
const key = () => bearer(acme.apiKey);

async function product(payload: Json = {}, seller: TestUser = potter): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: as(seller), payload: { name: "Bowl", price: 3000, ...payload } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function add(buyer: TestUser, productId: string, payload: Json = { quantity: 1 }): Promise<Json> {
  const res = await t.request({ method: "POST", url: `/v1/carts/auth/product/${productId}`, headers: as(buyer), payload });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
const cartOf = async (buyer: TestUser) => (await t.request({ method: "GET", url: "/v1/carts/auth", headers: as(buyer) })).json();
const fromCart = (cartId: string, headers: Record<string, string>, payload?: Json) =>
  t.request({ method: "POST", url: `/v1/contracts/cart/${cartId}`, headers, ...(payload ? { payload } : {}) });
const stock = async (productId: string) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).quantity;

describe("POST /v1/contracts/cart/:cart_id", () => {
  it("turns the signed-in buyer's cart into a draft contract: items at their prices, sellers, buyer; the stock is taken and the cart emptied", async () => {
    const buyer = await t.createUser(acme, "member");
    const bowl = await product({ price: 3000, quantity: 10 });
    const rug = await product({ name: "Rug", price: 12000, type: "service" }, weaver);
    await t.request({
      method: "POST",
      url: `/v1/products/${rug.id}/prices`,
      headers: as(weaver),
      payload: { seasonStart: "2030-06-01T00:00:00Z", seasonEnd: "2030-09-01T00:00:00Z", price: 15000 },
    });
    await t.request({ method: "PUT", url: `/v1/products/${rug.id}/prices/usage`, headers: as(weaver), payload: { useSeasonalPrices: true } });
    await add(buyer, bowl.id, { quantity: 3 });
    const cart = await add(buyer, rug.id, { quantity: 1, startDate: "2030-07-01T00:00:00Z", endDate: "2030-07-08T00:00:00Z" });

    const c = okContract(await fromCart(cart.id, as(buyer), { notes: "Thanks!", due: "2030-06-20T12:00:00+02:00", includeStripeFees: true }), 201);
    expect(c).toMatchObject({
      cart_id: cart.id,
      user_id: buyer.id,
      status: "draft",
      notes: "Thanks!",
      due: "2030-06-20T10:00:00Z",
      currency: "usd",
      includeStripeFees: true,
      includeCandleFees: false,
    });
    expect(c.fees.map((f: Json) => [f.type, f.payer])).toEqual([
      ["stripe:cc", "buyers"],
      ["candle:base", "sellers"],
      ["platform:base", "sellers"],
    ]);
    expect(c.items.map((i: Json) => [i.product_id, i.user_id, i.type, i.quantity, i.price, i.total, i.description, i.startDate])).toEqual([
      [bowl.id, potter.id, "product", 3, 3000, 9000, "Bowl", null],
      [rug.id, weaver.id, "service", 1, 15000, 15000, "Rug", "2030-07-01T00:00:00Z"],
    ]);
    expect(c.buyers.map((b: Json) => [b.user_id, b.amountDue])).toEqual([[buyer.id, c.total]]);
    expect(c.sellers.map((s: Json) => s.user_id)).toEqual([potter.id, weaver.id]);
    expect(c.subTotal).toBe(24000);
    expect(await stock(bowl.id)).toBe(7);
    expect(await stock(rug.id)).toBeNull();
    expect((await cartOf(buyer)).items).toEqual([]);
    // What the buyer sees of it.
    expect(okContract(await t.request({ method: "GET", url: `/v1/contracts/${c.id}`, headers: as(buyer) }))).toEqual(c);
    const mine = await t.request({ method: "GET", url: "/v1/contracts/auth", headers: as(buyer) });
    expect(mine.json().data.map((x: Json) => x.id)).toEqual([c.id]);
  });

  it("races for the last unit: of two buyers one gets the contract, the other 409 naming the product; stock never goes below 0", async () => {
    for (let round = 0; round < 5; round += 1) {
      const last = await product({ name: `Last ${round}`, quantity: 1 });
      const [ann, ben] = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
      // Carts do not reserve stock: both hold the last unit.
      const carts = [await add(ann, last.id), await add(ben, last.id)];
      const answers = await Promise.all([fromCart(carts[0]!.id, as(ann)), fromCart(carts[1]!.id, as(ben))]);
      expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 409]);
      const lost = answers.find((a) => a.statusCode === 409)!.json().error;
      expect(lost).toMatchObject({ code: "product_out_of_stock", param: "product_id" });
      expect(lost.message).toContain(last.id);
      expect(await stock(last.id)).toBe(0);
      // The loser's cart is as it was.
      const loser = answers[0]!.statusCode === 409 ? ann : ben;
      expect((await cartOf(loser)).items.map((i: Json) => i.product_id)).toEqual([last.id]);
    }
  });

  it("ten buyers, three units: exactly three contracts", async () => {
    const scarce = await product({ name: "Scarce", quantity: 3 });
    const buyers = await Promise.all(Array.from({ length: 10 }, () => t.createUser(acme, "member")));
    const carts: Json[] = [];
    for (const b of buyers) carts.push(await add(b, scarce.id));
    const answers = await Promise.all(buyers.map((b, i) => fromCart(carts[i]!.id, as(b))));
    expect(
      answers.filter((a) => a.statusCode === 201),
      answers.map((a) => `${a.statusCode} ${a.body.slice(0, 200)}`).join("\n"),
    ).toHaveLength(3);
    expect(
      answers.filter((a) => a.statusCode === 409),
      answers.map((a) => `${a.statusCode} ${a.body.slice(0, 200)}`).join("\n"),
    ).toHaveLength(7);
    expect(await stock(scarce.id)).toBe(0);
    expect(await t.db.contractItem.aggregate({ where: { productId: scarce.id }, _sum: { reserved: true, quantity: true } })).toEqual({ _sum: { reserved: 3, quantity: 3 } });
  });

  it("asks for more than is left: 409 insufficient_stock; an archived or disabled product: 409", async () => {
    const buyer = await t.createUser(acme, "member");
    const jar = await product({ name: "Jar", quantity: 2 });
    const cart = await add(buyer, jar.id, { quantity: 2 });
    await t.db.product.update({ where: { id: jar.id }, data: { quantity: 1 } });
    expect(failed(await fromCart(cart.id, as(buyer)), 409, "insufficient_stock").param).toBe("product_id");
    await t.db.product.update({ where: { id: jar.id }, data: { quantity: 5, isEnabled: false } });
    failed(await fromCart(cart.id, as(buyer)), 409, "product_disabled");
    await t.request({ method: "PUT", url: `/v1/products/${jar.id}/enable`, headers: as(potter) });
    await t.request({ method: "POST", url: `/v1/products/${jar.id}/archive`, headers: as(potter) });
    failed(await fromCart(cart.id, as(buyer)), 409, "product_archived");
    expect(await stock(jar.id)).toBe(5);
  });

  it("re-checks each listing: one whose publishAt moved to the future, one sent back to review, or one whose seller was suspended is a 409 naming it", async () => {
    const buyer = await t.createUser(acme, "member");
    const seller = await t.createUser(acme, "member");
    const later = await product({ name: "Later vase", quantity: 5 });
    const cart = await add(buyer, later.id);
    const patch = (id: string, payload: Json) => t.request({ method: "PATCH", url: `/v1/products/${id}`, headers: key(), payload });
    // Its publish date moved past now after it was added: not on sale yet, for the buyer nor for the key converting the cart.
    expect((await patch(later.id, { publishAt: "2099-01-01T00:00:00Z" })).statusCode).toBe(200);
    for (const headers of [as(buyer), key()]) {
      const res = await fromCart(cart.id, headers);
      expect(res.statusCode, res.body).toBe(409);
      expect(res.json().error).toMatchObject({ code: "product_not_published", param: "product_id" });
      expect(res.json().error.message).toContain(later.id);
    }
    expect(await stock(later.id)).toBe(5);
    // Back on sale: the cart goes through.
    expect((await patch(later.id, { publishAt: null })).statusCode).toBe(200);
    okContract(await fromCart(cart.id, as(buyer)), 201);

    // Sent back to review after it was added.
    const drafted = await product({ name: "Drafted jug" });
    const cart2 = await add(buyer, drafted.id);
    await t.db.product.update({ where: { id: drafted.id }, data: { adminStatus: "pending" } });
    const unpublished = await fromCart(cart2.id, as(buyer));
    expect(unpublished.statusCode, unpublished.body).toBe(409);
    expect(unpublished.json().error).toMatchObject({ code: "product_not_published", param: "product_id" });

    // Its seller suspended after it was added.
    const buyer3 = await t.createUser(acme, "member");
    const mug = await product({ name: "Suspended mug" }, seller);
    const cart3 = await add(buyer3, mug.id);
    expect((await t.request({ method: "PUT", url: `/v1/users/${seller.id}/suspend`, headers: key() })).statusCode).toBe(200);
    const suspended = await fromCart(cart3.id, as(buyer3));
    expect(suspended.statusCode, suspended.body).toBe(409);
    expect(suspended.json().error).toMatchObject({ code: "seller_suspended", param: "product_id" });
    expect(suspended.json().error.message).toContain(mug.id);
  });

  it("a member's own cart only (404 otherwise); an editor or the key any cart of the platform; 401, 400, 422 for an empty cart", async () => {
    const buyer = await t.createUser(acme, "member");
    const nosy = await t.createUser(acme, "member");
    const vase = await product({ name: "Vase" });
    const cart = await add(buyer, vase.id);
    failed(await fromCart(cart.id, as(nosy)), 404, "resource_missing");
    failed(await fromCart(cart.id, bearer(other.apiKey)), 404);
    failed(await fromCart("cart_missing", key()), 404);
    failed(await t.request({ method: "POST", url: `/v1/contracts/cart/${cart.id}` }), 401);
    expect(failed(await fromCart(cart.id, key(), { total: 1 }), 400, "parameter_not_writable").param).toBe("total");
    expect(failed(await fromCart(cart.id, key(), { due: "soon" }), 400).param).toBe("due");
    const byKey = okContract(await fromCart(cart.id, key()), 201);
    expect(byKey.user_id).toBe(buyer.id);
    expect(failed(await fromCart(cart.id, key()), 422, "cart_empty").param).toBe("cart_id");
    await add(buyer, vase.id);
    okContract(await fromCart(cart.id, as(editor)), 201);
  });

  it("holds the stock until the contract is deleted (draft) or voided (sent); once sent, the product cannot be deleted meanwhile", async () => {
    const buyer = await t.createUser(acme, "member");
    // (A member holds at most half of a product's stock: STOCK_HOLD_MAX_SHARE.)
    const lamp = await product({ name: "Lamp", quantity: 6 });
    const c = okContract(await fromCart((await add(buyer, lamp.id, { quantity: 3 })).id, as(buyer)), 201);
    expect(await stock(lamp.id)).toBe(3);
    okContract(await t.request({ method: "DELETE", url: `/v1/contracts/${c.id}`, headers: as(buyer) }));
    expect(await stock(lamp.id)).toBe(6);

    const sent = okContract(await fromCart((await add(buyer, lamp.id, { quantity: 2 })).id, as(buyer)), 201);
    okContract(await t.request({ method: "POST", url: `/v1/contracts/${sent.id}/send`, headers: as(buyer) }));
    failed(await t.request({ method: "DELETE", url: `/v1/products/${lamp.id}`, headers: as(potter) }), 409, "product_in_open_contract");
    expect(okContract(await t.request({ method: "DELETE", url: `/v1/contracts/${sent.id}`, headers: as(buyer) })).status).toBe("void");
    expect(await stock(lamp.id)).toBe(6);
  });

  it("checkout end to end: cart → contract → settle by the buyer", async () => {
    const buyer = await t.createUser(acme, "member");
    await addCard(t, acme, buyer.id);
    await onboardSeller(t, acme, potter.id);
    const mug = await product({ name: "Mug", price: 1800, quantity: 5 });
    const c = okContract(
      await fromCart((await add(buyer, mug.id, { quantity: 2 })).id, as(buyer), { includeStripeFees: true, includeCandleFees: true, includePlatformFees: true }),
      201,
    );
    const paid = okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: as(buyer) }));
    expect(paid).toMatchObject({ status: "paid" });
    expect(paid.sellers[0]).toMatchObject({ user_id: potter.id, amountOwed: 3600, amountReceived: 3600 });
    expect(await stock(mug.id)).toBe(3);
  });
});
