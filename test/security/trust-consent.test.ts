import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * "Money needs the payer's consent": a user's card is charged only when that user acts (settles
 * themself, or accepted exactly what they owe) or the platform does (its key, an owner, an admin).
 * Each test is the request sequence a hostile member sends.
 */

let t: TestContext;
let acme: TestPlatform;
/** The attacker, and the attacker's second account, which sells. */
let mallory: TestUser;
let shop: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  mallory = await t.createUser(acme, "member");
  shop = await t.createUser(acme, "member");
  await onboardSeller(t, acme, shop.id);
  await addCard(t, acme, mallory.id);
});
afterAll(() => t.close());

const call = (user: TestUser | null, method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: Json) =>
  t.request({ method, url: `/v1${url}`, headers: bearer(user ? user.token : acme.apiKey), ...(payload !== undefined ? { payload } : {}) });

async function victimWithCard(): Promise<TestUser> {
  const victim = await t.createUser(acme, "member");
  await addCard(t, acme, victim.id);
  return victim;
}

/** What the victim's card was charged at the simulator, and the contract's transactions. */
async function chargesOf(user: TestUser, contractId: string) {
  const { stripeCustomerId } = await t.db.user.findUniqueOrThrow({ where: { id: user.id } });
  const intents = await t.db.simPaymentIntent.findMany({ where: { customerId: stripeCustomerId! } });
  const transactions = await t.db.transaction.count({ where: { contractId } });
  return { intents, transactions };
}

/**
 * The reported attack: Mallory's contract, Mallory as a buyer, an item her second account sells,
 * the victim as a second buyer, the victim's due pinned to almost the whole total. (She must be in
 * the deal before she shapes it: the last describe block.)
 */
async function pinnedOnVictim(victim: TestUser): Promise<Json> {
  const c = okContract(await call(mallory, "POST", "/contracts", {}), 201);
  okContract(await call(mallory, "POST", `/contracts/${c.id}/buyer`, { user_id: mallory.id }));
  okContract(await call(mallory, "POST", `/contracts/${c.id}/item`, { user_id: shop.id, price: 50_000 }));
  okContract(await call(mallory, "POST", `/contracts/${c.id}/buyer`, { user_id: victim.id }));
  const total = okContract(await call(mallory, "GET", `/contracts/${c.id}`)).total as number;
  return okContract(await call(mallory, "PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: total - 100 }));
}

describe("settling charges a buyer only with their consent", () => {
  it("the reported attack: a member buyer settles a contract pinned on another buyer → 409 buyer_consent_required, nobody charged", async () => {
    const victim = await victimWithCard();
    const c = await pinnedOnVictim(victim);
    const error = failed(await call(mallory, "PUT", `/contracts/${c.id}/settle`), 409, "buyer_consent_required");
    expect(error.buyers).toEqual([victim.id]);
    expect(error.message).toContain(victim.id);
    const after = okContract(await call(mallory, "GET", `/contracts/${c.id}`));
    expect(after.status).toBe("draft");
    expect(after.buyers.map((b: Json) => b.amountPaid)).toEqual([0, 0]);
    expect(await chargesOf(victim, c.id)).toEqual({ intents: [], transactions: 0 });
    expect(await t.db.simPaymentIntent.count({ where: { transferGroup: c.id } })).toBe(0);
    expect(await t.db.transaction.count({ where: { contractId: c.id } })).toBe(0);
  });

  it("sending it first changes nothing: an open contract is not consent", async () => {
    const victim = await victimWithCard();
    const c = await pinnedOnVictim(victim);
    expect(okContract(await call(mallory, "POST", `/contracts/${c.id}/send`)).status).toBe("open");
    failed(await call(mallory, "PUT", `/contracts/${c.id}/settle`), 409, "buyer_consent_required");
    expect(await chargesOf(victim, c.id)).toEqual({ intents: [], transactions: 0 });
  });

  it("an editor does not answer for other people's money either", async () => {
    const victim = await victimWithCard();
    const editor = await t.createUser(acme, "editor");
    const c = await pinnedOnVictim(victim);
    failed(await call(editor, "PUT", `/contracts/${c.id}/settle`), 409, "buyer_consent_required");
    expect(await chargesOf(victim, c.id)).toEqual({ intents: [], transactions: 0 });
  });

  it("the victim accepts, then the attacker changes the amount: the acceptance is void and settling is refused", async () => {
    const victim = await victimWithCard();
    const c = await pinnedOnVictim(victim);
    const agreed = c.buyers.find((b: Json) => b.user_id === victim.id).amountDue as number;
    // The victim is shown a small amount first.
    okContract(await call(mallory, "PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: 1_000 }));
    const accepted = okContract(await call(victim, "POST", `/contracts/${c.id}/accept`));
    expect(accepted.buyers.find((b: Json) => b.user_id === victim.id)).toMatchObject({ acceptedAmount: 1_000, accepted: expect.any(String) });
    // Then the pin moves back up: the acceptance is gone.
    const moved = okContract(await call(mallory, "PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: agreed }));
    expect(moved.buyers.find((b: Json) => b.user_id === victim.id)).toMatchObject({ accepted: null, acceptedAmount: null });
    failed(await call(mallory, "PUT", `/contracts/${c.id}/settle`), 409, "buyer_consent_required");
    // A change back to the accepted amount does not revive the stale acceptance.
    okContract(await call(mallory, "PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: 1_000 }));
    failed(await call(mallory, "PUT", `/contracts/${c.id}/settle`), 409, "buyer_consent_required");
    expect(await chargesOf(victim, c.id)).toEqual({ intents: [], transactions: 0 });
  });

  it("every money change voids it: an item, a fee, the fee inclusion, a buyer", async () => {
    const victim = await victimWithCard();
    const third = await t.createUser(acme, "member");
    const c = okContract(
      await call(mallory, "POST", "/contracts", { items: [{ user_id: shop.id, price: 10_000 }], buyers: [{ user_id: victim.id }, { user_id: mallory.id }] }),
      201,
    );
    const changes: [string, string, Json | undefined][] = [
      ["POST", `/contracts/${c.id}/item`, { user_id: shop.id, price: 1 }],
      ["POST", `/contracts/${c.id}/fee`, { amount: 500 }],
      ["PUT", `/contracts/${c.id}/fee_inclusion`, { feeInclusion: true }],
      ["PUT", `/contracts/${c.id}`, { includeStripeFees: false }],
      ["POST", `/contracts/${c.id}/buyer`, { user_id: third.id }],
      ["DELETE", `/contracts/${c.id}/buyer/${third.id}`, undefined],
    ];
    for (const [method, url, payload] of changes) {
      const accepted = okContract(await call(victim, "POST", `/contracts/${c.id}/accept`));
      expect(accepted.buyers.find((b: Json) => b.user_id === victim.id).accepted).not.toBeNull();
      const changed = okContract(await call(mallory, method as "POST", url, payload));
      expect(
        changed.buyers.find((b: Json) => b.user_id === victim.id),
        `${method} ${url}`,
      ).toMatchObject({ accepted: null, acceptedAmount: null });
    }
    // Notes and due date are not money: an acceptance survives them.
    okContract(await call(victim, "POST", `/contracts/${c.id}/accept`));
    const noted = okContract(await call(mallory, "PUT", `/contracts/${c.id}`, { notes: "thanks" }));
    expect(noted.buyers.find((b: Json) => b.user_id === victim.id).accepted).not.toBeNull();
  });

  it("the victim accepts the amount: a member party settles and the victim is charged exactly that", async () => {
    const victim = await victimWithCard();
    const c = await pinnedOnVictim(victim);
    const due = c.buyers.find((b: Json) => b.user_id === victim.id).amountDue as number;
    const accepted = okContract(await call(victim, "POST", `/contracts/${c.id}/accept`));
    expect(accepted.buyers.find((b: Json) => b.user_id === victim.id)).toMatchObject({ amountDue: due, acceptedAmount: due });
    // Accepting again unchanged changes nothing.
    const again = okContract(await call(victim, "POST", `/contracts/${c.id}/accept`));
    expect(again.buyers).toEqual(accepted.buyers);
    const paid = okContract(await call(mallory, "PUT", `/contracts/${c.id}/settle`));
    expect(paid.status).toBe("paid");
    const { intents } = await chargesOf(victim, c.id);
    expect(intents.map((i) => [i.amount, i.chargeSucceeded, i.transferGroup])).toEqual([[due, true, c.id]]);
  });

  it("the seller may collect once every buyer accepted; not before", async () => {
    const victim = await victimWithCard();
    const c = okContract(await call(shop, "POST", "/contracts", { items: [{ user_id: shop.id, price: 7_000 }], buyers: [{ user_id: victim.id }] }), 201);
    failed(await call(shop, "PUT", `/contracts/${c.id}/settle`), 409, "buyer_consent_required");
    okContract(await call(victim, "POST", `/contracts/${c.id}/accept`));
    expect(okContract(await call(shop, "PUT", `/contracts/${c.id}/settle`)).status).toBe("paid");
    expect((await chargesOf(victim, c.id)).intents).toHaveLength(1);
  });

  // What must keep working (true before the fix too): the buyer's own hand, and the platform's.
  it("a buyer settling charges themself without accepting; the key and an admin settle without any acceptance", async () => {
    const victim = await victimWithCard();
    const alone = okContract(await call(victim, "POST", "/contracts", { items: [{ user_id: shop.id, price: 3_000 }], buyers: [{ user_id: victim.id }] }), 201);
    expect(okContract(await call(victim, "PUT", `/contracts/${alone.id}/settle`)).status).toBe("paid");

    const byKey = await pinnedOnVictim(victim);
    expect(okContract(await call(null, "PUT", `/contracts/${byKey.id}/settle`)).status).toBe("paid");
    const admin = await t.createUser(acme, "admin");
    const byAdmin = await pinnedOnVictim(victim);
    expect(okContract(await call(admin, "PUT", `/contracts/${byAdmin.id}/settle`)).status).toBe("paid");
  });

  it("only a buyer accepts, with their own token; a paid contract is not accepted", async () => {
    const victim = await victimWithCard();
    const outsider = await t.createUser(acme, "member");
    const c = await pinnedOnVictim(victim);
    failed(await call(shop, "POST", `/contracts/${c.id}/accept`), 403, "not_contract_buyer");
    failed(await call(outsider, "POST", `/contracts/${c.id}/accept`), 404);
    failed(await call(null, "POST", `/contracts/${c.id}/accept`), 401, "user_token_required");
    okContract(await call(null, "PUT", `/contracts/${c.id}/settle`));
    failed(await call(victim, "POST", `/contracts/${c.id}/accept`), 409, "contract_not_acceptable");
  });

  it("checking out one's own cart is the buyer's acceptance; an editor's checkout of someone's cart is not", async () => {
    const victim = await victimWithCard();
    const editor = await t.createUser(acme, "editor");
    const product = await call(null, "POST", "/products", { user_id: shop.id, name: "Lamp", price: 2_500 });
    expect(product.statusCode, product.body).toBe(201);
    const fill = async () => (await call(victim, "POST", `/carts/auth/product/${product.json().id}`, { quantity: 1 })).json().id as string;

    const own = okContract(await call(victim, "POST", `/contracts/cart/${await fill()}`), 201);
    expect(own.buyers[0]).toMatchObject({ user_id: victim.id, acceptedAmount: own.buyers[0].amountDue, accepted: expect.any(String) });
    expect(okContract(await call(shop, "PUT", `/contracts/${own.id}/settle`)).status).toBe("paid");

    const forThem = okContract(await call(editor, "POST", `/contracts/cart/${await fill()}`), 201);
    expect(forThem.buyers[0]).toMatchObject({ user_id: victim.id, accepted: null, acceptedAmount: null });
    failed(await call(editor, "PUT", `/contracts/${forThem.id}/settle`), 409, "buyer_consent_required");
    expect((await chargesOf(victim, forThem.id)).transactions).toBe(0);
  });
});

describe("a member who is not a buyer or seller does not handle a contract's money", () => {
  // Already refused before the fix (the contract is not even seen): pinned so it stays so.
  it("a member who is not a party cannot settle, send or change the money of someone else's contract", async () => {
    const victim = await victimWithCard();
    const c = okContract(await call(null, "POST", "/contracts", { items: [{ user_id: shop.id, price: 10_000 }], buyers: [{ user_id: victim.id }] }), 201);
    // Not even seen by an outsider.
    for (const [method, url, payload] of [
      ["PUT", `/contracts/${c.id}/settle`, undefined],
      ["POST", `/contracts/${c.id}/send`, undefined],
      ["PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: 99_000 }],
      ["POST", `/contracts/${c.id}/item`, { user_id: shop.id, price: 1 }],
    ] as const) {
      failed(await call(mallory, method, url, payload), 404);
    }
    expect(okContract(await call(null, "GET", `/contracts/${c.id}`)).total).toBe(c.total);
  });

  it("a member builds only a deal they are in: no parties, items or fees they are not a buyer or seller of", async () => {
    const victim = await victimWithCard();
    const contractsOfMallory = () => t.db.contract.count({ where: { userId: mallory.id } });
    const before = await contractsOfMallory();
    // In one request: refused, nothing created.
    failed(await call(mallory, "POST", "/contracts", { items: [{ user_id: shop.id, price: 10_000 }], buyers: [{ user_id: victim.id }] }), 403, "not_contract_party");
    expect(await contractsOfMallory()).toBe(before);
    // Step by step: an empty draft is hers, but none of its money is, until she is in it.
    const c = okContract(await call(mallory, "POST", "/contracts", { notes: "for you" }), 201);
    for (const [method, url, payload] of [
      ["POST", `/contracts/${c.id}/item`, { user_id: shop.id, price: 10_000 }],
      ["POST", `/contracts/${c.id}/buyer`, { user_id: victim.id }],
      ["POST", `/contracts/${c.id}/seller`, { user_id: shop.id }],
      ["POST", `/contracts/${c.id}/fee`, { amount: 500 }],
      ["PUT", `/contracts/${c.id}`, { includeStripeFees: true }],
      ["PUT", `/contracts/${c.id}/fee_inclusion`, { feeInclusion: true }],
    ] as const) {
      failed(await call(mallory, method, url, payload), 403, "not_contract_party");
    }
    const unchanged = okContract(await call(mallory, "GET", `/contracts/${c.id}`));
    expect({ items: unchanged.items, buyers: unchanged.buyers, sellers: unchanged.sellers, fees: unchanged.fees, total: unchanged.total }).toEqual({
      items: c.items,
      buyers: c.buyers,
      sellers: c.sellers,
      fees: c.fees,
      total: c.total,
    });
    // Her notes are not money; her own empty draft she may delete.
    expect(okContract(await call(mallory, "PUT", `/contracts/${c.id}`, { notes: "changed" })).notes).toBe("changed");
    okContract(await call(mallory, "DELETE", `/contracts/${c.id}`));
    // Leaving a deal she shaped is refused too: she would be a creator outside it.
    const mine = okContract(
      await call(mallory, "POST", "/contracts", { items: [{ user_id: shop.id, price: 10_000 }], buyers: [{ user_id: mallory.id }, { user_id: victim.id }] }),
      201,
    );
    failed(await call(mallory, "DELETE", `/contracts/${mine.id}/buyer/${mallory.id}`), 403, "not_contract_party");
    expect(okContract(await call(mallory, "GET", `/contracts/${mine.id}`)).buyers).toHaveLength(2);
    expect(await chargesOf(victim, c.id)).toEqual({ intents: [], transactions: 0 });
  });

  it("a creator the platform left outside the deal cannot send it, settle it, or change its money", async () => {
    const victim = await victimWithCard();
    // The key may create a contract in a member's name that the member is not a party to.
    const c = okContract(await call(null, "POST", "/contracts", { user_id: mallory.id, items: [{ user_id: shop.id, price: 10_000 }], buyers: [{ user_id: victim.id }] }), 201);
    expect(c.user_id).toBe(mallory.id);
    failed(await call(mallory, "POST", `/contracts/${c.id}/send`), 403, "not_contract_party");
    failed(await call(mallory, "PUT", `/contracts/${c.id}/settle`), 403, "not_contract_party");
    failed(await call(mallory, "PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: 9_000 }), 403, "not_contract_party");
    failed(await call(mallory, "POST", `/contracts/${c.id}/item`, { user_id: shop.id, price: 5_000 }), 403, "not_contract_party");
    // Once sent, the creator outside the deal changes nothing of it.
    okContract(await call(null, "POST", `/contracts/${c.id}/send`));
    failed(await call(mallory, "PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: 20_000 }), 403, "not_contract_creator");
    failed(await call(mallory, "PUT", `/contracts/${c.id}/fee_inclusion`, { feeInclusion: true }), 403, "not_contract_creator");
    expect(okContract(await call(null, "GET", `/contracts/${c.id}`)).total).toBe(c.total);
    expect(await chargesOf(victim, c.id)).toEqual({ intents: [], transactions: 0 });
  });

  /** A catalogue product of `seller` with stock, made by the key. */
  async function stocked(seller: TestUser, quantity: number): Promise<Json> {
    const product = await call(null, "POST", "/products", { user_id: seller.id, name: "Stool", price: 4_000, quantity });
    expect(product.statusCode, product.body).toBe(201);
    return product.json();
  }
  const stockOf = async (product: Json) => (await call(null, "GET", `/products/${product.id}`)).json().quantity as number;
  const updatesOf = (contractId: string) => t.db.event.count({ where: { objectId: contractId, type: "contract.updated" } });

  it("each money step on her own empty draft is refused one by one: another buyer, a seller's product, pins, fees — nothing changes, stock included", async () => {
    const victim = await victimWithCard();
    const product = await stocked(shop, 5);
    const contractsOfMallory = () => t.db.contract.count({ where: { userId: mallory.id } });
    const before = await contractsOfMallory();
    // Creating with any of them is refused just the same.
    for (const body of [
      { buyers: [{ user_id: victim.id, dueAmount: 9_000 }] },
      { items: [{ product_id: product.id, quantity: 2 }] },
      { sellers: [{ user_id: shop.id }] },
      { fees: [{ amount: 500 }] },
    ]) {
      failed(await call(mallory, "POST", "/contracts", body), 403, "not_contract_party");
    }
    expect(await contractsOfMallory()).toBe(before);
    expect(await stockOf(product)).toBe(5);

    const c = okContract(await call(mallory, "POST", "/contracts", { currency: "usd" }), 201);
    for (const [method, url, payload] of [
      ["POST", `/contracts/${c.id}/buyer`, { user_id: victim.id }],
      ["POST", `/contracts/${c.id}/buyer`, { user_id: victim.id, dueAmount: 9_000 }],
      ["POST", `/contracts/${c.id}/item`, { product_id: product.id, quantity: 2 }],
      ["POST", `/contracts/${c.id}/item`, { user_id: shop.id, price: 10_000 }],
      ["POST", `/contracts/${c.id}/seller`, { user_id: shop.id }],
      ["POST", `/contracts/${c.id}/fee`, { amount: 500, description: "handling" }],
      ["PUT", `/contracts/${c.id}`, { currency: "eur" }],
      ["PUT", `/contracts/${c.id}`, { includeCandleFees: true, notes: "with fees" }],
      ["PUT", `/contracts/${c.id}/fee_inclusion`, { feeInclusion: true }],
    ] as const) {
      failed(await call(mallory, method, url, payload), 403, "not_contract_party");
      // Read back: the same contract to the field (its `updated` too), no hold on the product, no event.
      expect(okContract(await call(mallory, "GET", `/contracts/${c.id}`)), `${method} ${url} ${JSON.stringify(payload)}`).toEqual(c);
    }
    expect(await stockOf(product)).toBe(5);
    expect(await updatesOf(c.id)).toBe(0);
    // Reading and deleting her own empty draft are not money: allowed.
    okContract(await call(mallory, "DELETE", `/contracts/${c.id}`));
    expect(await chargesOf(victim, c.id)).toEqual({ intents: [], transactions: 0 });
  });

  it("a draft the key made in her name: she cannot pin, unpin or remove any of its money", async () => {
    const victim = await victimWithCard();
    const other = await t.createUser(acme, "member");
    const product = await stocked(shop, 5);
    const c = okContract(
      await call(null, "POST", "/contracts", {
        user_id: mallory.id,
        items: [
          { product_id: product.id, quantity: 1 },
          { user_id: shop.id, price: 6_000 },
        ],
        buyers: [{ user_id: victim.id, dueAmount: 5_000 }, { user_id: other.id }],
        sellers: [{ user_id: (await t.createUser(acme, "member")).id }],
        fees: [{ amount: 300 }],
      }),
      201,
    );
    expect(await stockOf(product)).toBe(4);
    const fee = c.fees.find((f: Json) => f.type === "custom");
    const idle = c.sellers.find((s: Json) => s.user_id !== shop.id);
    for (const [method, url, payload, code] of [
      ["PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: 9_000 }, "not_contract_party"],
      ["PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: null }, "not_contract_party"],
      ["PUT", `/contracts/${c.id}/buyer/${other.id}/due`, { dueAmount: 100 }, "not_contract_party"],
      ["DELETE", `/contracts/${c.id}/buyer/${other.id}`, undefined, "not_contract_party"],
      ["DELETE", `/contracts/${c.id}/item/${c.items[0].id}`, undefined, "not_contract_party"],
      ["DELETE", `/contracts/${c.id}/seller/${idle.user_id}`, undefined, "not_contract_party"],
      ["PUT", `/contracts/${c.id}/seller/${shop.id}/owed`, { owedAmount: 100 }, "seller_pin_forbidden"],
      ["POST", `/contracts/${c.id}/fee`, { amount: 100 }, "not_contract_party"],
      ["PUT", `/contracts/${c.id}/fee/${fee.id}`, { amount: 9_000 }, "not_contract_party"],
      ["DELETE", `/contracts/${c.id}/fee/${fee.id}`, undefined, "not_contract_party"],
      ["PUT", `/contracts/${c.id}/fee_inclusion`, { includePlatformFees: true }, "not_contract_party"],
    ] as const) {
      failed(await call(mallory, method, url, payload), 403, code);
      expect(okContract(await call(mallory, "GET", `/contracts/${c.id}`)), `${method} ${url} ${JSON.stringify(payload)}`).toEqual(c);
    }
    expect(await stockOf(product)).toBe(4);
    expect(await updatesOf(c.id)).toBe(0);
    // Its notes are hers to write, and the draft hers to delete (its stock goes back).
    expect(okContract(await call(mallory, "PUT", `/contracts/${c.id}`, { notes: "not mine to price" })).total).toBe(c.total);
    okContract(await call(mallory, "DELETE", `/contracts/${c.id}`));
    expect(await stockOf(product)).toBe(5);
    expect(await chargesOf(victim, c.id)).toEqual({ intents: [], transactions: 0 });
  });

  it("in the same request, adding herself — as a buyer, or as the seller of her own product — makes it her deal", async () => {
    const victim = await victimWithCard();
    const product = await stocked(shop, 5);
    // As a buyer, next to the victim, whose due she pins: accepted (settling it still needs the victim's consent).
    const asBuyer = okContract(
      await call(mallory, "POST", "/contracts", {
        items: [{ product_id: product.id, quantity: 1 }],
        buyers: [{ user_id: mallory.id }, { user_id: victim.id, dueAmount: 1_500 }],
      }),
      201,
    );
    expect(asBuyer.buyers.map((b: Json) => [b.user_id, b.amountDue])).toEqual([
      [mallory.id, asBuyer.total - 1_500],
      [victim.id, 1_500],
    ]);
    expect(await stockOf(product)).toBe(4);
    failed(await call(mallory, "PUT", `/contracts/${asBuyer.id}/settle`), 409, "buyer_consent_required");
    // As the seller: an item of her own product brings her in.
    const own = await call(mallory, "POST", "/products", { name: "Mallory's mug", price: 2_000 });
    expect(own.statusCode, own.body).toBe(201);
    const asSeller = okContract(await call(mallory, "POST", "/contracts", { items: [{ product_id: own.json().id }], buyers: [{ user_id: victim.id }] }), 201);
    expect(asSeller.sellers.map((s: Json) => s.user_id)).toEqual([mallory.id]);
    // Step by step: the first step is herself, in one request; the rest follow.
    const third = await t.createUser(acme, "member");
    for (const first of [
      { url: "buyer", payload: { user_id: mallory.id } },
      { url: "seller", payload: { user_id: mallory.id } },
      { url: "item", payload: { user_id: mallory.id, price: 2_500 } },
    ]) {
      const draft = okContract(await call(mallory, "POST", "/contracts", {}), 201);
      okContract(await call(mallory, "POST", `/contracts/${draft.id}/${first.url}`, first.payload));
      okContract(await call(mallory, "POST", `/contracts/${draft.id}/buyer`, { user_id: victim.id }));
      okContract(await call(mallory, "POST", `/contracts/${draft.id}/buyer`, { user_id: third.id }));
      okContract(await call(mallory, "POST", `/contracts/${draft.id}/item`, { user_id: shop.id, price: 5_000 }));
      okContract(await call(mallory, "POST", `/contracts/${draft.id}/fee`, { amount: 200 }));
      const pinned = okContract(await call(mallory, "PUT", `/contracts/${draft.id}/buyer/${victim.id}/due`, { dueAmount: 1_000 }));
      expect(pinned.buyers.find((b: Json) => b.user_id === victim.id)).toMatchObject({ amountDue: 1_000 });
    }
    expect(await chargesOf(victim, asBuyer.id)).toEqual({ intents: [], transactions: 0 });
  });

  it("the key, an owner, an admin and an editor are not restricted: they build and reshape deals they are not in", async () => {
    const victim = await victimWithCard();
    const other = await t.createUser(acme, "member");
    const product = await stocked(shop, 10);
    const actors: [string, TestUser | null][] = [
      ["key", null],
      ["owner", await t.createUser(acme, "owner")],
      ["admin", await t.createUser(acme, "admin")],
      ["editor", await t.createUser(acme, "editor")],
    ];
    for (const [name, actor] of actors) {
      const c = okContract(
        await call(actor, "POST", "/contracts", {
          items: [{ product_id: product.id }],
          buyers: [{ user_id: victim.id, dueAmount: 3_000 }, { user_id: other.id }],
          fees: [{ amount: 100 }],
        }),
        201,
      );
      expect(c.user_id, name).toBe(actor?.id ?? null);
      const steps: [string, string, Json | undefined][] = [
        ["PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: 2_000 }],
        ["POST", `/contracts/${c.id}/item`, { user_id: shop.id, price: 1_000 }],
        ["PUT", `/contracts/${c.id}/fee/${c.fees.find((f: Json) => f.type === "custom").id}`, { amount: 150 }],
        ["PUT", `/contracts/${c.id}/fee_inclusion`, { feeInclusion: true }],
        ["PUT", `/contracts/${c.id}`, { includeStripeFees: false }],
        ["PUT", `/contracts/${c.id}/buyer/${victim.id}/due`, { dueAmount: null }],
        ["DELETE", `/contracts/${c.id}/item/${c.items[0].id}`, undefined],
        ["DELETE", `/contracts/${c.id}/buyer/${other.id}`, undefined],
      ];
      for (const [method, url, payload] of steps) okContract(await call(actor, method as "POST", url, payload));
      const after = okContract(await call(actor, "GET", `/contracts/${c.id}`));
      expect(
        after.buyers.map((b: Json) => [b.user_id, b.amountDue]),
        name,
      ).toEqual([[victim.id, after.total]]);
      expect(
        after.items.map((i: Json) => [i.user_id, i.price]),
        name,
      ).toEqual([[shop.id, 1_000]]);
    }
    expect(await stockOf(product)).toBe(10);
  });
});

// Subscriptions already charged only their subscriber before the fix: these attacks are pinned so it stays so.
describe("subscriptions charge only their subscriber", () => {
  it("a member cannot subscribe someone else, nor pause, resume or end their subscription", async () => {
    const victim = await victimWithCard();
    const c = okContract(await call(null, "POST", "/contracts", { items: [{ user_id: shop.id, price: 4_000 }], buyers: [{ user_id: victim.id }] }), 201);
    // There is no field naming the subscriber: the signed-in user is the subscriber.
    failed(await call(mallory, "POST", `/subscriptions/auth/contract/${c.id}`, { user_id: victim.id }), 400);
    failed(await call(mallory, "POST", `/subscriptions/auth/contract/${c.id}`), 404);
    failed(await call(shop, "POST", `/subscriptions/auth/contract/${c.id}`), 403, "not_contract_buyer");
    // A buyer added by the attacker to the attacker's own contract cannot be subscribed by them either.
    const own = okContract(
      await call(mallory, "POST", "/contracts", { items: [{ user_id: shop.id, price: 4_000 }], buyers: [{ user_id: victim.id }, { user_id: mallory.id }] }),
      201,
    );
    const mine = await call(mallory, "POST", `/subscriptions/auth/contract/${own.id}`);
    expect(mine.statusCode, mine.body).toBe(201);
    expect(mine.json()).toMatchObject({ user_id: mallory.id });
    expect((await chargesOf(victim, own.id)).intents).toEqual([]);

    const sub = await call(victim, "POST", `/subscriptions/auth/contract/${c.id}`);
    expect(sub.statusCode, sub.body).toBe(201);
    const id = sub.json().id as string;
    failed(await call(mallory, "PUT", `/subscriptions/${id}/pause`, {}), 403);
    failed(await call(mallory, "PUT", `/subscriptions/auth/${id}/resume`), 404);
    failed(await call(mallory, "DELETE", `/subscriptions/auth/${id}`), 404);
    // The seller sees it, and still cannot end or resume it.
    failed(await call(shop, "DELETE", `/subscriptions/auth/${id}`), 403, "not_subscriber");
    failed(await call(shop, "PUT", `/subscriptions/auth/${id}/resume`), 403, "not_subscriber");
    const after = await call(null, "GET", `/subscriptions/${id}`);
    expect(after.json()).toMatchObject({ ended: null, isPaused: false });
  });
});
