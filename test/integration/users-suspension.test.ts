import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, type Json } from "../helpers/contracts.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";

/**
 * Suspending a user (`PUT /v1/users/:id/suspend`, `/unsuspend`): who may, and each thing a
 * suspended user — or someone paying them or charging them — would try next, refused.
 */

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let owner: TestUser;
let admin: TestUser;
let seller: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true", OTP_IP_MAX: "1000" });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  owner = await t.createUser(acme, "owner");
  admin = await t.createUser(acme, "admin");
  seller = await t.createUser(acme, "member");
  await onboardSeller(t, acme, seller.id);
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

const key = () => bearer(acme.apiKey);
const suspend = (id: string, headers = key()) =>
  t.request({ method: "PUT", url: `/v1/users/${id}/suspend`, headers: { ...headers, "content-type": "application/json" }, payload: {} });
const unsuspend = (id: string, headers = key()) => t.request({ method: "PUT", url: `/v1/users/${id}/unsuspend`, headers });
const asKey = { api_key: "", mode: "test" };

async function signIn(email: string): Promise<LightMyRequestResponse> {
  const before = smtp.messages.length;
  const res = await t.request({ method: "POST", url: "/v1/auth/otp/email", headers: { ...asKey, api_key: acme.apiKey }, payload: { email } });
  expect(res.statusCode, res.body).toBe(200);
  const message = await smtp.waitFor(email, (m) => smtp.messages.indexOf(m) >= before && / sign-in code$/.test(m.subject));
  return t.request({ method: "POST", url: "/v1/auth/otp/verify", headers: { ...asKey, api_key: acme.apiKey }, payload: { email, token: codeOf(message) } });
}

async function eventsOf(id: string): Promise<Json[]> {
  const res = await t.request({ method: "GET", url: `/v1/events?filter[object_id]=${id}&per_page=100`, headers: key() });
  return res.json().data;
}

describe("who may suspend and unsuspend", () => {
  it("the key and strictly higher roles; nobody themself, owners not owners; another platform 404; the last owner never", async () => {
    const member = await t.createUser(acme, "member");
    const editor = await t.createUser(acme, "editor");
    const admin2 = await t.createUser(acme, "admin");
    failed(await suspend(member.id, bearer(editor.token)), 403, "insufficient_role");
    failed(await suspend(member.id, bearer(member.token)), 403);
    failed(await suspend(admin2.id, bearer(admin.token)), 403, "user_role_protected");
    failed(await suspend(admin.id, bearer(admin.token)), 403, "user_role_protected");
    failed(await suspend(owner.id, bearer(owner.token)), 403, "user_role_protected");
    failed(await suspend(member.id, bearer(other.apiKey)), 404);
    failed(await suspend(member.id, {}), 401);
    failed(await t.request({ method: "PUT", url: `/v1/users/${member.id}/suspend`, headers: key(), payload: { suspended: true } }), 400);
    failed(await suspend(`usr_${"0".repeat(32)}`), 404);

    // An admin suspends a member (the SDK's empty JSON body), twice: once recorded.
    const res = await suspend(member.id, bearer(admin.token));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().suspended).toMatch(/Z$/);
    expect((await suspend(member.id, bearer(admin.token))).json().suspended).toBe(res.json().suspended);
    const suspended = (await eventsOf(member.id)).filter((e) => e.type === "user.suspended");
    expect(suspended).toHaveLength(1);
    expect(suspended[0]!.data.object).toEqual(res.json());
    const listed = await t.request({ method: "GET", url: `/v1/users?filter[suspended]=true`, headers: key() });
    expect(listed.json().data.map((u: Json) => u.id)).toContain(member.id);
    expect(listed.json().data.map((u: Json) => u.id)).not.toContain(editor.id);
    failed(await t.request({ method: "PUT", url: `/v1/users/${member.id}`, headers: key(), payload: { suspended: null } }), 400, "parameter_not_writable");

    // Owners: the key only, and not the last owner not suspended.
    const owner2 = await t.createUser(acme, "owner");
    failed(await suspend(owner2.id, bearer(owner.token)), 403, "user_role_protected");
    expect((await suspend(owner2.id)).statusCode).toBe(200);
    failed(await suspend(owner.id), 409, "last_owner");
    expect((await unsuspend(owner2.id)).statusCode).toBe(200);

    // Unsuspending: the same callers.
    failed(await unsuspend(member.id, bearer(editor.token)), 403, "insufficient_role");
    failed(await unsuspend(member.id, bearer(other.apiKey)), 404);
    const back = await unsuspend(member.id, bearer(admin.token));
    expect(back.statusCode, back.body).toBe(200);
    expect(back.json().suspended).toBeNull();
    expect((await eventsOf(member.id)).filter((e) => e.type === "user.unsuspended")).toHaveLength(1);
    expect((await unsuspend(member.id)).json().suspended).toBeNull();
  });
});

describe("what a suspended user tries next", () => {
  it("signing in, refreshing, and every request of a live session: 403 user_suspended; unsuspended, all works again", async () => {
    const email = "sue@example.com";
    const session = await signIn(email);
    expect(session.statusCode, session.body).toBe(200);
    const { token, refreshToken, user } = session.json();
    const me = () => t.request({ method: "GET", url: "/v1/users/auth", headers: bearer(token) });
    expect((await me()).statusCode).toBe(200);
    expect((await suspend(user.id)).statusCode).toBe(200);

    failed(await me(), 403, "user_suspended");
    failed(await t.request({ method: "GET", url: "/v1/users/auth", headers: { api_key: acme.apiKey, mode: "test", authorization: `Bearer ${token}` } }), 403, "user_suspended");
    failed(await t.request({ method: "POST", url: "/v1/auth/session/refresh", headers: { api_key: acme.apiKey, mode: "test" }, payload: { refreshToken } }), 403, "user_suspended");
    failed(await signIn(email), 403, "user_suspended");
    // The things they would buy or sell with that session.
    const product = await t.request({ method: "POST", url: "/v1/products", headers: key(), payload: { name: "Lamp", price: 2500, user_id: seller.id } });
    expect(product.statusCode, product.body).toBe(201);
    failed(await t.request({ method: "POST", url: "/v1/products", headers: bearer(token), payload: { name: "Stolen", price: 100 } }), 403, "user_suspended");
    // Nor does the key list anything new in their name.
    failed(await t.request({ method: "POST", url: "/v1/products", headers: key(), payload: { name: "Proxy", price: 100, user_id: user.id } }), 409, "seller_suspended");
    failed(await t.request({ method: "POST", url: `/v1/carts/auth/product/${product.json().id}`, headers: bearer(token), payload: { quantity: 1 } }), 403, "user_suspended");
    failed(
      await t.request({ method: "POST", url: "/v1/contracts", headers: bearer(token), payload: { items: [{ product_id: product.json().id, quantity: 1 }] } }),
      403,
      "user_suspended",
    );

    expect((await unsuspend(user.id)).statusCode).toBe(200);
    expect((await me()).statusCode).toBe(200);
    const again = await signIn(email);
    expect(again.statusCode, again.body).toBe(200);
  });

  it("a settlement that would charge a suspended buyer or pay a suspended seller: 409 naming them, nobody charged", async () => {
    const buyer = await t.createUser(acme, "member");
    await addCard(t, acme, buyer.id);
    const create = async () =>
      okContract(
        await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: seller.id, price: 5000 }], buyers: [{ user_id: buyer.id }] } }),
        201,
      );
    const settle = (id: string, headers = key()) => t.request({ method: "PUT", url: `/v1/contracts/${id}/settle`, headers });
    const c = await create();
    expect((await suspend(buyer.id)).statusCode).toBe(200);
    expect(failed(await settle(c.id), 409, "buyer_suspended").message).toContain(buyer.id);
    failed(await settle(c.id, bearer(buyer.token)), 403, "user_suspended");
    expect((await unsuspend(buyer.id)).statusCode).toBe(200);

    expect((await suspend(seller.id)).statusCode).toBe(200);
    expect(failed(await settle(c.id), 409, "seller_suspended").message).toContain(seller.id);
    expect(await t.db.simPaymentIntent.count({ where: { transferGroup: c.id } })).toBe(0);
    expect((await t.db.contract.findUniqueOrThrow({ where: { id: c.id } })).status).not.toBe("processing");
    expect((await unsuspend(seller.id)).statusCode).toBe(200);
    const paid = okContract(await settle(c.id));
    expect(paid.status).toBe("paid");
  });
});
