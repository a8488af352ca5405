import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

/**
 * A transaction that cannot finish in DATABASE_TRANSACTION_TIMEOUT — here, because another session
 * holds the row it must lock — is answered 503 database_busy, and nothing it wrote is kept. (3 s, not
 * less: the setup and the retry run under the same limit, on a machine that may be busy.)
 */

let t: TestContext;
let acme: TestPlatform;
let seller: TestUser;
let buyer: TestUser;
let other: pg.Client;

beforeAll(async () => {
  t = await createTestContext({ DATABASE_TRANSACTION_TIMEOUT: "3000" });
  acme = await t.createPlatform({ name: "Acme" });
  seller = await t.createUser(acme, "member");
  buyer = await t.createUser(acme, "member");
  other = new pg.Client({ connectionString: t.databaseUrl });
  await other.connect();
});
afterAll(async () => {
  await other.end();
  await t.close();
});

describe("DATABASE_TRANSACTION_TIMEOUT", () => {
  it("a transaction held up past it by another session's lock: 503 database_busy with Retry-After, nothing kept; the retry works", async () => {
    const product = await t.request({ method: "POST", url: "/v1/products", headers: bearer(seller.token), payload: { name: "Bowl", price: 3000, quantity: 5 } });
    expect(product.statusCode, product.body).toBe(201);
    const cart = await t.request({ method: "GET", url: "/v1/carts/auth", headers: bearer(buyer.token) });
    const add = () => t.request({ method: "POST", url: `/v1/carts/auth/product/${product.json().id}`, headers: bearer(buyer.token), payload: { quantity: 2 } });
    const eventsBefore = await t.db.event.count({ where: { platformId: acme.id } });

    await other.query("BEGIN");
    await other.query("SELECT id FROM carts WHERE id = $1 FOR UPDATE", [cart.json().id]);
    const held = add();
    await new Promise((resolve) => setTimeout(resolve, 5_000));
    await other.query("COMMIT");
    const res = await held;

    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.json().error).toMatchObject({ type: "api_error", code: "database_busy" });
    expect(await t.db.cartItem.count({ where: { cartId: cart.json().id } })).toBe(0);
    expect(await t.db.event.count({ where: { platformId: acme.id } })).toBe(eventsBefore);

    const retried = await add();
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json().items.map((i: { quantity: number }) => i.quantity)).toEqual([2]);
  });
});
