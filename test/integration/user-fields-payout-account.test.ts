import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, onboardSeller } from "../helpers/contracts.js";

/**
 * The user fields of issue 18 (docs/api/users.md: address, phone, account type, business name,
 * locale; external_id, attributes and canPostListing set only by admins and the key, on the role
 * hierarchy) and the payout account's update and deletion (docs/api/payments.md), with the
 * offline simulator honouring a deletion.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let owner: TestUser;
let admin: TestUser;
let editor: TestUser;
let member: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  [acme, other] = await Promise.all([t.createPlatform({ name: "Acme" }), t.createPlatform({ name: "Other" })]);
  [owner, admin, editor, member, stranger] = await Promise.all([
    t.createUser(acme, "owner"),
    t.createUser(acme, "admin"),
    t.createUser(acme, "editor"),
    t.createUser(acme),
    t.createUser(other),
  ]);
});
afterAll(() => t.close());

type Json = Record<string, any>;
const key = (p: TestPlatform = acme) => bearer(p.apiKey);
const as = (u: TestUser) => bearer(u.token);
const call = (headers: Record<string, string>, method: string, url: string, payload?: unknown) =>
  t.request({ method: method as "GET", url: `/v1${url}`, headers, ...(payload !== undefined ? { payload: payload as Json } : {}) });
function failed(res: { statusCode: number; body: string; json(): Json }, status: number, code?: string, param?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  if (code) expect(res.json().error.code).toBe(code);
  if (param) expect(res.json().error.param).toBe(param);
}

describe("user fields", () => {
  it("a user sets their address, phone, account type, business name and locale; the address changes part by part", async () => {
    const res = await call(as(member), "PUT", "/users/auth", {
      address: { line1: "253 W 42nd St", city: "New York", state: "NY", postalCode: "10036", country: "us" },
      phoneCountryCode: "+1",
      phoneNumber: "212-398-2600",
      accountType: "company",
      businessName: "ACME",
      locale: "en-US",
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      address: { line1: "253 W 42nd St", line2: null, city: "New York", state: "NY", postalCode: "10036", country: "US" },
      phoneCountryCode: "+1",
      phoneNumber: "212-398-2600",
      accountType: "company",
      businessName: "ACME",
      locale: "en-US",
      external_id: null,
      attributes: {},
      canPostListing: true,
    });
    const moved = await call(as(member), "PUT", "/users/auth", { address: { city: "Boston", state: null } });
    expect(moved.json().address).toMatchObject({ line1: "253 W 42nd St", city: "Boston", state: null });
    expect((await call(as(member), "PUT", "/users/auth", { address: null })).json().address).toEqual({
      line1: null,
      line2: null,
      city: null,
      state: null,
      postalCode: null,
      country: null,
    });
    for (const [field, value] of [
      ["accountType", "business"],
      ["locale", "english"],
      ["phoneCountryCode", "1"],
      ["phoneNumber", "call me"],
      ["address", { country: "USA" }],
      ["address", { planet: "Mars" }],
    ] as const) {
      const bad = await call(as(member), "PUT", "/users/auth", { [field]: value });
      expect(bad.statusCode, `${field} ${bad.body}`).toBe(400);
      expect(bad.json().error.param).toContain(field);
    }
  });

  it("external_id, attributes and canPostListing are set by admins and the key only (403 field_forbidden), on users below them", async () => {
    for (const body of [{ canPostListing: false }, { external_id: "CRM-1" }, { attributes: { tier: "gold" } }]) {
      failed(await call(as(member), "PUT", "/users/auth", body), 403, "field_forbidden", Object.keys(body)[0]);
      // An editor cannot reach PUT /users/:id at all.
      failed(await call(as(editor), "PUT", `/users/${member.id}`, body), 403);
    }
    const set = await call(as(admin), "PUT", `/users/${member.id}`, { external_id: "CRM-1", attributes: { tier: "gold", score: 4.5, vip: true, note: null } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ external_id: "CRM-1", attributes: { tier: "gold", score: 4.5, vip: true, note: null } });
    // An admin does not change an owner; an owner and the key do.
    failed(await call(as(admin), "PUT", `/users/${owner.id}`, { canPostListing: false }), 403, "user_role_protected");
    expect((await call(as(owner), "PUT", `/users/${admin.id}`, { external_id: "CRM-ADMIN" })).statusCode).toBe(200);
    // An admin may set their own (they are an admin).
    expect((await call(as(admin), "PUT", "/users/auth", { attributes: { desk: "3F" } })).json().attributes).toEqual({ desk: "3F" });
    // external_id is unique per platform and mode; another platform may reuse it.
    failed(await call(key(), "PUT", `/users/${editor.id}`, { external_id: "CRM-1" }), 409, "external_id_taken", "external_id");
    expect((await call(key(other), "PUT", `/users/${stranger.id}`, { external_id: "CRM-1" })).statusCode).toBe(200);
    failed(await call(key(other), "PUT", `/users/${member.id}`, { external_id: "X" }), 404);
    // Attributes are a flat object of simple values.
    for (const attributes of [{ nested: { a: 1 } }, { "bad key": 1 }, Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])), { long: "x".repeat(501) }]) {
      failed(await call(key(), "PUT", `/users/${member.id}`, { attributes }), 400, undefined);
    }
    const created = await call(key(), "POST", "/users", { email: `biz-${Date.now()}@example.com`, accountType: "non_profit", canPostListing: false, external_id: "CRM-NEW" });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ accountType: "non_profit", canPostListing: false, external_id: "CRM-NEW" });
  });

  it("canPostListing=false stops the user listing themself (403 listing_not_allowed); the key and editors still list for them", async () => {
    const seller = await t.createUser(acme);
    const parent = await call(as(seller), "POST", "/products", { name: "Vase", price: 1000 });
    expect(parent.statusCode).toBe(201);
    expect((await call(key(), "PUT", `/users/${seller.id}`, { canPostListing: false })).json().canPostListing).toBe(false);
    failed(await call(as(seller), "POST", "/products", { name: "Bowl", price: 1000 }), 403, "listing_not_allowed");
    failed(await call(as(seller), "POST", "/products", { name: "Vase, blue", price: 1000, parent_product_id: parent.json().id }), 403, "listing_not_allowed");
    expect((await call(key(), "POST", "/products", { name: "Bowl", price: 1000, user_id: seller.id })).statusCode).toBe(201);
    expect((await call(as(editor), "POST", "/products", { name: "Cup", price: 1000, user_id: seller.id })).statusCode).toBe(201);
    // Their existing listings stay theirs to change.
    expect((await call(as(seller), "PATCH", `/products/${parent.json().id}`, { price: 1200 })).statusCode).toBe(200);
    expect((await call(as(admin), "PUT", `/users/${seller.id}`, { canPostListing: true })).statusCode).toBe(200);
    expect((await call(as(seller), "POST", "/products", { name: "Bowl", price: 1000 })).statusCode).toBe(201);
  });
});

describe("payout account: update and delete", () => {
  it("sets the payout schedule at the gateway and answers it; 400 for a schedule Stripe would refuse; 409 before the account exists", async () => {
    const seller = await t.createUser(acme);
    failed(await call(as(seller), "PUT", "/users/auth/bank_account", { payoutSchedule: { interval: "daily" } }), 409, "bank_account_missing");
    await onboardSeller(t, acme, seller.id);
    const weekly = await call(as(seller), "PUT", "/users/auth/bank_account", { payoutSchedule: { interval: "weekly", weeklyAnchor: "friday", delayDays: 7 } });
    expect(weekly.statusCode, weekly.body).toBe(200);
    expect(weekly.json().bankAccount.payoutSchedule).toEqual({ interval: "weekly", delayDays: 7, weeklyAnchor: "friday" });
    const monthly = await call(key(), "PUT", `/users/${seller.id}/bank_account`, { payoutSchedule: { interval: "monthly", monthlyAnchor: 15 } });
    expect(monthly.json().bankAccount.payoutSchedule).toEqual({ interval: "monthly", delayDays: 7, monthlyAnchor: 15 });
    expect((await call(key(), "GET", `/users/${seller.id}/bank_account`)).json().bankAccount.payoutSchedule.interval).toBe("monthly");
    failed(await call(key(), "PUT", `/users/${seller.id}/bank_account`, { payoutSchedule: { interval: "weekly" } }), 400, undefined, "payoutSchedule.weeklyAnchor");
    failed(await call(key(), "PUT", `/users/${seller.id}/bank_account`, { payoutSchedule: { interval: "daily", monthlyAnchor: 3 } }), 400);
    failed(await call(key(), "PUT", `/users/${seller.id}/bank_account`, { payoutSchedule: { interval: "hourly" } }), 400);
    const events = await call(key(), "GET", `/events?filter[type]=bank_account.updated&per_page=100`);
    expect((events.json().data as Json[]).filter((e) => e.data.object.user_id === seller.id).length).toBeGreaterThanOrEqual(3);
  });

  it("who may: the user, the key, an admin on a lower rank; not another member, an admin on an owner, nor another platform", async () => {
    const seller = await t.createUser(acme);
    await onboardSeller(t, acme, seller.id);
    const body = { payoutSchedule: { interval: "daily" } };
    for (const method of ["PUT", "DELETE"] as const) {
      const payload = method === "PUT" ? body : undefined;
      failed(await call(as(member), method, `/users/${seller.id}/bank_account`, payload), 403);
      failed(await call(as(editor), method, `/users/${seller.id}/bank_account`, payload), 403);
      failed(await call(as(admin), method, `/users/${owner.id}/bank_account`, payload), 403, "user_role_protected");
      failed(await call(key(other), method, `/users/${seller.id}/bank_account`, payload), 404);
      failed(await call({}, method, "/users/auth/bank_account", payload), 401);
      // The key alone acts for no user: /auth needs a user token.
      failed(await call(key(), method, "/users/auth/bank_account", payload), 401);
    }
    expect((await call(as(admin), "PUT", `/users/${seller.id}/bank_account`, body)).statusCode).toBe(200);
  });

  it("deletes the account at the gateway and clears it from the user; the simulator then knows no such account", async () => {
    const seller = await t.createUser(acme);
    const accountId = await onboardSeller(t, acme, seller.id);
    // The SDK sends Content-Type: application/json even without a body.
    const res = await t.request({ method: "DELETE", url: "/v1/users/auth/bank_account", headers: { ...as(seller), "content-type": "application/json" } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ stripeConnectId: null, chargesEnabled: false, detailsSubmitted: false, bankAccount: { id: "", payoutSchedule: null, last4: null } });
    expect((await t.db.simAccount.findUniqueOrThrow({ where: { id: accountId } })).deleted).not.toBeNull();
    failed(await call(as(seller), "GET", "/users/auth/bank_account"), 409, "bank_account_missing");
    failed(await call(as(seller), "DELETE", "/users/auth/bank_account"), 409, "bank_account_missing");
    const deleted = await call(key(), "GET", `/events?filter[type]=bank_account.deleted&per_page=100`);
    expect((deleted.json().data as Json[]).find((e) => e.data.object.user_id === seller.id)?.data.object).toMatchObject({ id: accountId, chargesEnabled: true });
    // Connecting again makes a new account.
    const again = await onboardSeller(t, acme, seller.id);
    expect(again).not.toBe(accountId);
    // An Idempotency-Key replays the first answer instead of a 409.
    const first = await call({ ...as(seller), "idempotency-key": `del-${seller.id}` }, "DELETE", "/users/auth/bank_account");
    const replay = await call({ ...as(seller), "idempotency-key": `del-${seller.id}` }, "DELETE", "/users/auth/bank_account");
    expect([first.statusCode, replay.statusCode, replay.headers["idempotent-replayed"]]).toEqual([200, 200, "true"]);
  });

  it("is refused (409 bank_account_money_pending) while a contract the user sells on is not paid out, and allowed once it is", async () => {
    const seller = await t.createUser(acme);
    const buyer = await t.createUser(acme);
    await onboardSeller(t, acme, seller.id);
    await addCard(t, acme, buyer.id);
    const created = await call(key(), "POST", "/contracts", { items: [{ user_id: seller.id, price: 5000, description: "Repair" }], buyers: [{ user_id: buyer.id }] });
    expect(created.statusCode, created.body).toBe(201);
    const contractId = created.json().id;
    // A draft owes nothing yet.
    expect((await call(key(), "GET", `/users/${seller.id}/bank_account`)).statusCode).toBe(200);
    expect((await call(key(), "POST", `/contracts/${contractId}/send`)).statusCode).toBe(200);
    const refused = await call(key(), "DELETE", `/users/${seller.id}/bank_account`);
    failed(refused, 409, "bank_account_money_pending");
    expect(refused.json().error.message).toContain(contractId);
    failed(await call(as(seller), "DELETE", "/users/auth/bank_account"), 409, "bank_account_money_pending");
    const settled = await call(key(), "PUT", `/contracts/${contractId}/settle`);
    expect(settled.statusCode, settled.body).toBe(200);
    expect(settled.json().status).toBe("paid");
    const removed = await call(key(), "DELETE", `/users/${seller.id}/bank_account`);
    expect(removed.statusCode, removed.body).toBe(200);
    expect(removed.json().stripeConnectId).toBeNull();
  });
});
