import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * The on-session checkout (`POST /contracts/:id/checkout`) on the offline simulator: a card that
 * wants 3-D Secure answers `requires_action` with a client secret and the simulator's
 * authentication page; completing or failing it there delivers the webhook Stripe would send, and
 * the contract proceeds (paid) or opens again. Who may start it: the buyer, or the key/owner/admin.
 */

let t: TestContext;
let acme: TestPlatform;
let seller: TestUser;
let admin: TestUser;
let editor: TestUser;

beforeAll(async () => {
  // The job worker on: the settle-contract job the webhook queues pays the sellers.
  t = await createTestContext({ PUBLIC_URL: "http://api.test", JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme" });
  seller = await t.createUser(acme, "member");
  admin = await t.createUser(acme, "admin");
  editor = await t.createUser(acme, "editor");
  await onboardSeller(t, acme, seller.id);
});
afterAll(() => t?.close());

const key = () => bearer(acme.apiKey);

async function buyerWith(card: string): Promise<TestUser> {
  const user = await t.createUser(acme, "member");
  await addCard(t, acme, user.id, card);
  return user;
}

async function contractFor(buyers: TestUser[], price = 5000): Promise<string> {
  const res = await t.request({
    method: "POST",
    url: "/v1/contracts",
    headers: key(),
    payload: { items: [{ user_id: seller.id, price, description: "Lesson" }], buyers: buyers.map((b) => ({ user_id: b.id })) },
  });
  return okContract(res, 201).id as string;
}

const checkout = (id: string, headers: Record<string, string>, payload?: Json) =>
  t.request({ method: "POST", url: `/v1/contracts/${id}/checkout`, headers: { ...headers, "content-type": "application/json" }, payload: payload ?? {} });
const get = async (id: string) => okContract(await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: key() }));
const events = async (id: string) =>
  (await t.request({ method: "GET", url: `/v1/events?filter[object_id]=${id}&per_page=100`, headers: key() })).json().data.map((e: Json) => e.type as string);

/** What the buyer's browser does on the authentication page: read it, then press a button (the form's urlencoded post). */
async function authenticate(nextActionUrl: string, outcome: "complete" | "fail") {
  const url = new URL(nextActionUrl);
  const page = await t.request({ method: "GET", url: `${url.pathname}${url.search}` });
  expect(page.statusCode, page.body).toBe(200);
  expect(page.headers["content-type"]).toMatch(/^text\/html/);
  expect(page.headers["content-security-policy"]).toContain("default-src 'none'");
  const secret = url.searchParams.get("client_secret")!;
  return t.request({
    method: "POST",
    url: url.pathname,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    payload: new URLSearchParams({ client_secret: secret, outcome }).toString(),
  });
}

describe("on-session checkout", () => {
  it("charges a card that needs no authentication at once", async () => {
    const buyer = await buyerWith("pm_card_visa");
    const id = await contractFor([buyer]);
    const res = await checkout(id, bearer(buyer.token));
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.object).toBe("contract_payment");
    expect(body.payment).toMatchObject({ user_id: buyer.id, status: "succeeded", client_secret: null });
    expect(body.contract.status).toBe("paid");
  });

  it("answers requires_action with a client secret; the authentication page's Complete delivers the webhook and the contract is paid", async () => {
    const buyer = await buyerWith("pm_card_authenticationRequired");
    const id = await contractFor([buyer]);
    const res = await checkout(id, bearer(buyer.token));
    expect(res.statusCode, res.body).toBe(202);
    const { payment, contract } = res.json();
    expect(payment.status).toBe("requires_action");
    expect(payment.amount).toBe(contract.buyers[0].amountDue);
    expect(payment.client_secret).toMatch(new RegExp(`^${payment.payment_intent}_secret_`));
    expect(payment.next_action_url).toBe(
      `http://api.test/offline/payment_intents/${payment.payment_intent}/authenticate?client_secret=${encodeURIComponent(payment.client_secret)}`,
    );
    expect(contract.status).toBe("processing");

    // Meanwhile: a settle waits for the buyer; the same checkout answers the same intent (no second charge).
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${id}/settle`, headers: key() }), 409, "payment_requires_action");
    const again = await checkout(id, bearer(buyer.token));
    expect(again.statusCode, again.body).toBe(202);
    expect(again.json().payment.payment_intent).toBe(payment.payment_intent);
    expect(again.json().payment.client_secret).toBe(payment.client_secret);
    expect(await t.db.simPaymentIntent.count({ where: { transferGroup: id } })).toBe(1);

    // A wrong secret sees nothing.
    const wrong = await t.request({ method: "GET", url: `/offline/payment_intents/${payment.payment_intent}/authenticate?client_secret=pi_x_secret_y` });
    expect(wrong.statusCode).toBe(404);

    const done = await authenticate(payment.next_action_url, "complete");
    expect(done.statusCode, done.body).toBe(200);
    expect(done.body).toContain("Payment authenticated");
    // The webhook went through the Stripe endpoint's path before the page answered: the buyer paid.
    const buyerRow = await t.db.contractBuyer.findFirstOrThrow({ where: { contractId: id } });
    expect(buyerRow.amountPaid).toBe(buyerRow.amountDue);
    expect(buyerRow.actionPaymentIntentId).toBeNull();
    // The webhook queued the settle-contract job, which pays the seller.
    await expect.poll(async () => (await get(id)).status, { timeout: 15_000 }).toBe("paid");
    expect(await events(id)).toEqual(expect.arrayContaining(["contract.payment_action_required", "contract.paid"]));
    // A page already used answers that nothing is left to authenticate.
    const url = new URL(payment.next_action_url);
    const after = await t.request({ method: "GET", url: `${url.pathname}${url.search}` });
    expect(after.body).toContain("Nothing to authenticate");
  });

  it("a failed authentication ends the attempt: the contract is open again, and the next checkout is a new intent", async () => {
    const buyer = await buyerWith("pm_card_authenticationRequired");
    const id = await contractFor([buyer]);
    const first = (await checkout(id, bearer(buyer.token))).json().payment;
    const res = await authenticate(first.next_action_url, "fail");
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("Authentication failed");
    const c = await get(id);
    expect(c.status).toBe("open");
    expect(await events(id)).toContain("contract.payment_failed");
    const second = await checkout(id, bearer(buyer.token));
    expect(second.statusCode).toBe(202);
    expect(second.json().payment.payment_intent).not.toBe(first.payment_intent);
    // Posting again to the first intent's page changes nothing.
    const url = new URL(first.next_action_url);
    const replay = await t.request({
      method: "POST",
      url: url.pathname,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ client_secret: url.searchParams.get("client_secret")!, outcome: "complete" }).toString(),
    });
    expect(replay.statusCode).toBe(404);
  });

  it("off-session, a card set up for it is charged without authentication; on-session it asks for it", async () => {
    const buyer = await buyerWith("pm_card_authenticationRequiredOnSetup");
    const offSession = await contractFor([buyer]);
    const settled = await t.request({ method: "PUT", url: `/v1/contracts/${offSession}/settle`, headers: key() });
    expect(settled.statusCode, settled.body).toBe(200);
    const onSession = await contractFor([buyer]);
    const res = await checkout(onSession, bearer(buyer.token));
    expect(res.statusCode).toBe(202);
    expect(res.json().payment.status).toBe("requires_action");
  });

  it("off-session, a card that always wants authentication declines with authentication_required", async () => {
    const buyer = await buyerWith("pm_card_authenticationRequired");
    const id = await contractFor([buyer]);
    const res = await t.request({ method: "PUT", url: `/v1/contracts/${id}/settle`, headers: key() });
    expect(res.statusCode).toBe(402);
    expect(res.json().error.code).toBe("authentication_required");
  });

  it("only the buyer, or the key, an owner or an admin naming them, starts it", async () => {
    const buyer = await buyerWith("pm_card_authenticationRequired");
    const other = await buyerWith("pm_card_visa");
    const id = await contractFor([buyer, other]);
    failed(await checkout(id, bearer(seller.token), { user_id: buyer.id }), 403, "not_contract_buyer");
    failed(await checkout(id, bearer(editor.token), { user_id: buyer.id }), 403, "not_contract_buyer");
    failed(await checkout(id, bearer(other.token), { user_id: buyer.id }), 403, "not_contract_buyer");
    failed(await checkout(id, key()), 400, "parameter_missing");
    failed(await checkout(id, key(), { user_id: seller.id }), 404);
    // A stranger does not even see the contract.
    const stranger = await t.createUser(acme, "member");
    failed(await checkout(id, bearer(stranger.token)), 404);
    // The admin pays the other buyer's share (their card needs no authentication): open again, one share paid.
    const share = await checkout(id, bearer(admin.token), { user_id: other.id });
    expect(share.statusCode, share.body).toBe(200);
    expect(share.json().contract.status).toBe("open");
    // The key starts the first buyer's: requires_action; their client secret is answered to the key (it acts for the platform).
    const res = await checkout(id, key(), { user_id: buyer.id });
    expect(res.statusCode).toBe(202);
    const done = await authenticate(res.json().payment.next_action_url, "complete");
    expect(done.statusCode).toBe(200);
    await expect.poll(async () => (await get(id)).status, { timeout: 15_000 }).toBe("paid");
  });
});
