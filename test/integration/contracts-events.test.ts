import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, useCard, type Json } from "../helpers/contracts.js";

/**
 * The events of contracts: every change records one, last in its own transaction, holding the
 * contract as the API answered it after the change; a change that fails records none.
 */

interface ApiEvent {
  id: string;
  type: string;
  object_type: string;
  object_id: string;
  request_id: string | null;
  data: { object: Json };
}

let t: TestContext;
let acme: TestPlatform;
let sam: TestUser;
let bob: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  sam = await t.createUser(acme, "member");
  bob = await t.createUser(acme, "member");
  await onboardSeller(t, acme, sam.id);
  await addCard(t, acme, bob.id);
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);
const call = (method: "GET" | "POST" | "PUT" | "DELETE", url: string, payload?: Json, headers = key()) =>
  t.request({ method, url: `/v1/contracts${url}`, headers, ...(payload ? { payload } : {}) });

async function eventsAbout(id: string): Promise<ApiEvent[]> {
  const res = await t.request({ method: "GET", url: `/v1/events?filter[object_id]=${id}&per_page=100`, headers: key() });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().data as ApiEvent[]).reverse();
}

/** The request recorded exactly one event about the contract, of this type, holding the contract it answered. */
async function expectEvent(res: LightMyRequestResponse, type: string, status = 200): Promise<Json> {
  const c = okContract(res, status);
  const mine = (await eventsAbout(c.id)).filter((e) => e.request_id === res.headers["request-id"]);
  expect(mine.map((e) => e.type)).toEqual([type]);
  expect(mine[0]).toMatchObject({ object_type: "contract", object_id: c.id });
  expect(mine[0]!.data.object).toEqual(c);
  return c;
}

async function expectNoEvent(res: LightMyRequestResponse, id: string): Promise<void> {
  expect(res.statusCode).toBeGreaterThanOrEqual(400);
  expect((await eventsAbout(id)).filter((e) => e.request_id === res.headers["request-id"])).toEqual([]);
}

describe("contract events", () => {
  it("contract.created and contract.updated for every kind of change, each with the contract after it", async () => {
    const c = await expectEvent(await call("POST", "", { items: [{ user_id: sam.id, price: 10000 }] }), "contract.created", 201);
    await expectEvent(await call("POST", `/${c.id}/buyer`, { user_id: bob.id }), "contract.updated");
    await expectEvent(await call("PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: 10000 }), "contract.updated");
    await expectEvent(await call("PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: null }), "contract.updated");
    const item = await expectEvent(await call("POST", `/${c.id}/item`, { user_id: sam.id, price: 500, description: "Wrapping" }), "contract.updated");
    await expectEvent(await call("DELETE", `/${c.id}/item/${item.items[1].id}`), "contract.updated");
    const fee = await expectEvent(await call("POST", `/${c.id}/fee`, { amount: 300, description: "Handling" }), "contract.updated");
    const custom = fee.fees.find((f: Json) => f.type === "custom");
    await expectEvent(await call("PUT", `/${c.id}/fee/${custom.id}`, { amount: 400 }), "contract.updated");
    await expectEvent(await call("DELETE", `/${c.id}/fee/${custom.id}`), "contract.updated");
    const withFees = await expectEvent(await call("PUT", `/${c.id}/fee_inclusion`, { feeInclusion: true }), "contract.updated");
    expect(withFees.includeStripeFees).toBe(true);
    const noted = await expectEvent(await call("PUT", `/${c.id}`, { notes: "Fragile", due: "2031-01-01T00:00:00Z" }), "contract.updated");
    expect(noted.notes).toBe("Fragile");
    const carol = await t.createUser(acme, "member");
    await expectEvent(await call("POST", `/${c.id}/seller`, { user_id: carol.id }), "contract.updated");
    await expectEvent(await call("DELETE", `/${c.id}/seller/${carol.id}`), "contract.updated");
    // A sync that moves nothing is no event.
    const synced = await call("GET", `/${c.id}/sync`);
    expect(synced.statusCode).toBe(200);
    expect((await eventsAbout(c.id)).filter((e) => e.request_id === synced.headers["request-id"])).toEqual([]);
    // A contract from a cart is created too.
    const lamp = await t.request({ method: "POST", url: "/v1/products", headers: key(), payload: { user_id: sam.id, name: "Lamp", price: 2500 } });
    const cart = await t.request({ method: "POST", url: `/v1/carts/auth/product/${lamp.json().id}`, headers: bearer(bob.token), payload: { quantity: 1 } });
    await expectEvent(await call("POST", `/cart/${cart.json().id}`, undefined, bearer(bob.token)), "contract.created", 201);
  });

  it("contract.accepted when a buyer accepts, with their acceptance in the object; none when nothing changes or it is refused", async () => {
    const c = okContract(await call("POST", "", { items: [{ user_id: sam.id, price: 4000 }], buyers: [{ user_id: bob.id }] }), 201);
    const accepted = await expectEvent(await call("POST", `/${c.id}/accept`, undefined, bearer(bob.token)), "contract.accepted");
    expect(accepted.buyers[0]).toMatchObject({ user_id: bob.id, acceptedAmount: accepted.buyers[0].amountDue, accepted: expect.any(String) });
    const again = await call("POST", `/${c.id}/accept`, undefined, bearer(bob.token));
    expect(again.statusCode).toBe(200);
    expect((await eventsAbout(c.id)).filter((e) => e.request_id === again.headers["request-id"])).toEqual([]);
    await expectNoEvent(await call("POST", `/${c.id}/accept`, undefined, bearer(sam.token)), c.id);
    // A change voids it, in the contract.updated it records.
    const changed = await expectEvent(await call("POST", `/${c.id}/item`, { user_id: sam.id, price: 100 }), "contract.updated");
    expect(changed.buyers[0]).toMatchObject({ accepted: null, acceptedAmount: null });
  });

  it("contract.sent, contract.payment_failed, contract.paid; contract.deleted and contract.voided", async () => {
    const c = okContract(await call("POST", "", { items: [{ user_id: sam.id, price: 10000 }], buyers: [{ user_id: bob.id }] }), 201);
    const sent = await expectEvent(await call("POST", `/${c.id}/send`), "contract.sent");
    expect(sent.status).toBe("open");

    await useCard(t, acme, bob.id, "pm_card_chargeDeclined");
    const declined = await call("PUT", `/${c.id}/settle`);
    failed(declined, 402, "card_declined");
    const failedEvents = (await eventsAbout(c.id)).filter((e) => e.request_id === declined.headers["request-id"]);
    expect(failedEvents.map((e) => e.type)).toEqual(["contract.payment_failed"]);
    const reopened = okContract(await call("GET", `/${c.id}`));
    expect(reopened).toMatchObject({ status: "open" });
    expect(reopened.lastPaymentAttempt).not.toBeNull();
    expect(failedEvents[0]!.data.object).toEqual(reopened);

    await useCard(t, acme, bob.id, "pm_card_mastercard");
    const settled = await call("PUT", `/${c.id}/settle`);
    const types = (await eventsAbout(c.id)).filter((e) => e.request_id === settled.headers["request-id"]).map((e) => e.type);
    expect(types).toEqual(["contract.paid"]);
    const paid = okContract(settled);
    expect(paid.status).toBe("paid");
    expect((await eventsAbout(c.id)).at(-1)!.data.object).toEqual(paid);
    // Its charge, transfer and fees each recorded transaction.created in the same request.
    const all = await t.request({ method: "GET", url: "/v1/events?filter[type]=transaction.created&per_page=100", headers: key() });
    expect((all.json().data as ApiEvent[]).filter((e) => e.request_id === settled.headers["request-id"])).toHaveLength(5);

    const draft = okContract(await call("POST", "", { items: [{ user_id: sam.id, price: 100 }] }), 201);
    const deleted = await call("DELETE", `/${draft.id}`);
    expect(deleted.statusCode).toBe(200);
    const gone = (await eventsAbout(draft.id)).filter((e) => e.request_id === deleted.headers["request-id"]);
    expect(gone.map((e) => e.type)).toEqual(["contract.deleted"]);
    expect(gone[0]!.data.object).toEqual(deleted.json());

    const open = okContract(await call("POST", "", { items: [{ user_id: sam.id, price: 100 }], buyers: [{ user_id: bob.id }] }), 201);
    okContract(await call("POST", `/${open.id}/send`));
    const voided = await expectEvent(await call("DELETE", `/${open.id}`), "contract.voided");
    expect(voided.status).toBe("void");
  });

  it("a change that fails records nothing", async () => {
    const c = okContract(await call("POST", "", { items: [{ user_id: sam.id, price: 10000 }], buyers: [{ user_id: bob.id }] }), 201);
    const before = (await eventsAbout(c.id)).length;
    await expectNoEvent(await call("PUT", `/${c.id}/buyer/${bob.id}/due`, { dueAmount: 20000 }), c.id); // 422: pins cannot add up
    await expectNoEvent(await call("POST", `/${c.id}/buyer`, { user_id: bob.id }), c.id); // 409: already a buyer
    await expectNoEvent(await call("POST", `/${c.id}/item`, { user_id: sam.id, price: 100 }, bearer(bob.token)), c.id); // 403
    await expectNoEvent(await call("POST", `/${c.id}/send`, undefined, bearer(bob.token)), c.id);
    const empty = okContract(await call("POST", "", {}), 201);
    await expectNoEvent(await call("POST", `/${empty.id}/send`), empty.id); // 422: incomplete
    const cardless = await t.createUser(acme, "member");
    okContract(await call("POST", `/${c.id}/buyer`, { user_id: cardless.id }));
    const settle = await call("PUT", `/${c.id}/settle`);
    failed(settle, 409, "no_payment_method");
    await expectNoEvent(settle, c.id);
    expect((await eventsAbout(c.id)).length).toBe(before + 1);
  });
});
