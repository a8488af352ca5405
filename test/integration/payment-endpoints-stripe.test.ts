import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStripeGateway } from "../../src/adapters/payments/stripe.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { startStripeStandIn, stripeObjects as so, type StripeStandIn } from "../helpers/stripe-stand-in.js";

/**
 * The payment endpoints on the Stripe implementation of the gateway, talking to a loopback server
 * standing in for api.stripe.com: the endpoints do not depend on the simulator, and send Stripe
 * what it expects (paths, parameters, idempotency keys derived from our ids).
 */

const WEBHOOK_SECRET = "whsec_endpoints_standin";

let t: TestContext;
let standIn: StripeStandIn;
let acme: TestPlatform;

beforeAll(async () => {
  standIn = await startStripeStandIn();
  const payments = createStripeGateway({ secretKey: "sk_test_endpoints", webhookSecret: WEBHOOK_SECRET, ...standIn.address, maxNetworkRetries: 0, timeoutMs: 5_000 });
  t = await createTestContext({}, { payments });
  acme = await t.createPlatform({ name: "Acme", url: "https://acme.test" });
});
afterAll(async () => {
  await t.close();
  await standIn.close();
});
beforeEach(() => standIn.reset());

const calls = () => standIn.requests.map((r) => `${r.method} ${r.path}`);
const request = (method: string, path: string) => standIn.requests.find((r) => r.method === method && r.path === path)!;

function webhook(type: string, objectId: string) {
  const payload = JSON.stringify({ id: `evt_${type.replace(/\W/g, "")}${Date.now()}`, object: "event", type, livemode: false, data: { object: { id: objectId } } });
  return t.request({
    method: "POST",
    url: "/v1/webhooks/stripe",
    headers: { "content-type": "application/json", "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) },
    payload,
  });
}

describe("a buyer's card and a seller's bank account, on Stripe", () => {
  it("client secret, attach, default, remove: the requests Stripe gets and what the user sees", async () => {
    const user = await t.createUser(acme);
    const auth = bearer(user.token);
    standIn.on("POST", "/v1/customers", { body: so.customer("cus_Buyer", user.email) });
    standIn.on("POST", "/v1/setup_intents", { body: so.setupIntent("seti_Buyer", "cus_Buyer") });

    const secret = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: auth });
    expect(secret.statusCode).toBe(200);
    expect(secret.json()).toMatchObject({ stripeCustomerId: "cus_Buyer", setupIntentId: "seti_Buyer", clientSecret: "seti_Buyer_secret_Standin0123456789abcdefghij" });
    const customer = request("POST", "/v1/customers");
    expect(customer.form).toEqual({ email: user.email, "metadata[user_id]": user.id, "metadata[platform_id]": acme.id, "metadata[mode]": "test" });
    expect(customer.headers["idempotency-key"]).toBe(`customer:${user.id}`);
    expect(request("POST", "/v1/setup_intents").form).toEqual({ customer: "cus_Buyer", usage: "off_session" });
    standIn.reset();

    const visa = so.card("pm_Visa", { brand: "visa", last4: "4242" }, "cus_Buyer");
    const amex = so.card("pm_Amex", { brand: "amex", last4: "8431" }, "cus_Buyer");
    standIn.on("POST", "/v1/payment_methods/pm_card_visa/attach", { body: visa });
    standIn.on("POST", "/v1/payment_methods/pm_card_amex/attach", { body: amex });
    standIn.on("GET", "/v1/payment_methods/pm_Visa", { body: visa });
    standIn.on("GET", "/v1/payment_methods/pm_Amex", { body: amex });
    standIn.on("POST", "/v1/customers/cus_Buyer", { body: so.customer("cus_Buyer", user.email) });

    const first = await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: auth, payload: { payment_method: "pm_card_visa" } });
    expect(first.statusCode).toBe(200);
    expect(first.json().paymentMethod).toMatchObject({ stripePaymentMethodId: "pm_Visa", brand: "visa", last4: "4242", isDefault: true });
    expect(calls()).toEqual(["POST /v1/payment_methods/pm_card_visa/attach", "GET /v1/payment_methods/pm_Visa", "POST /v1/customers/cus_Buyer"]);
    expect(request("POST", "/v1/payment_methods/pm_card_visa/attach")).toMatchObject({ form: { customer: "cus_Buyer" } });
    expect(request("POST", "/v1/payment_methods/pm_card_visa/attach").headers["idempotency-key"]).toBe("attach:cus_Buyer:pm_card_visa");
    expect(request("POST", "/v1/customers/cus_Buyer").form).toEqual({ "invoice_settings[default_payment_method]": "pm_Visa" });
    standIn.reset();

    standIn.on("POST", "/v1/payment_methods/pm_card_amex/attach", { body: amex });
    standIn.on("GET", "/v1/payment_methods/pm_Amex", { body: amex });
    standIn.on("POST", "/v1/customers/cus_Buyer", { body: so.customer("cus_Buyer", user.email) });
    const second = (await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: auth, payload: { payment_method: "pm_card_amex" } })).json();
    expect(second.paymentMethod).toMatchObject({ stripePaymentMethodId: "pm_Amex", isDefault: false });
    expect(calls()).toEqual(["POST /v1/payment_methods/pm_card_amex/attach", "GET /v1/payment_methods/pm_Amex"]);
    standIn.reset();

    standIn.on("POST", "/v1/customers/cus_Buyer", { body: so.customer("cus_Buyer", user.email) });
    const madeDefault = await t.request({ method: "PUT", url: `/v1/users/auth/payment_methods/${second.paymentMethod.id}/default`, headers: auth });
    expect(madeDefault.statusCode).toBe(200);
    expect(madeDefault.json().paymentMethods.map((pm: { isDefault: boolean }) => pm.isDefault)).toEqual([false, true]);
    // Before our commit (a refusal changes nothing), and again after it: a racing request may have pushed its own in between.
    expect(calls()).toEqual(["POST /v1/customers/cus_Buyer", "POST /v1/customers/cus_Buyer"]);
    expect(request("POST", "/v1/customers/cus_Buyer").form).toEqual({ "invoice_settings[default_payment_method]": "pm_Amex" });
    standIn.reset();

    standIn.on("POST", "/v1/payment_methods/pm_Amex/detach", { body: so.card("pm_Amex", { brand: "amex", last4: "8431" }, null) });
    standIn.on("POST", "/v1/customers/cus_Buyer", { body: so.customer("cus_Buyer", user.email) });
    const removed = await t.request({ method: "DELETE", url: "/v1/users/auth/payment_methods/pm_Amex", headers: auth });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().paymentMethods).toMatchObject([{ stripePaymentMethodId: "pm_Visa", isDefault: true }]);
    expect(calls()).toEqual(["POST /v1/payment_methods/pm_Amex/detach", "POST /v1/customers/cus_Buyer"]);
    expect(request("POST", "/v1/customers/cus_Buyer").form).toEqual({ "invoice_settings[default_payment_method]": "pm_Visa" });
  });

  it("bank account: creates the Express account under a key of ours, hands out Stripe's link, and reads the account back", async () => {
    const seller = await t.createUser(acme);
    const auth = bearer(seller.token);
    const expiresAt = Math.floor(Date.now() / 1000) + 300;
    standIn.on("POST", "/v1/accounts", { body: so.account("acct_Seller", false) });
    standIn.on("POST", "/v1/account_links", { body: so.accountLink("https://connect.stripe.com/setup/e/acct_Seller/abc", expiresAt) });

    const connected = await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: auth, payload: { return_url: "https://acme.test/payouts" } });
    expect(connected.statusCode).toBe(200);
    expect(connected.json()).toMatchObject({
      stripeConnectId: "acct_Seller",
      url: "https://connect.stripe.com/setup/e/acct_Seller/abc",
      expiresAt: new Date(expiresAt * 1000).toISOString().replace(/\.\d+Z$/, "Z"),
      bankAccount: { id: "acct_Seller", chargesEnabled: false },
    });
    expect(request("POST", "/v1/accounts").headers["idempotency-key"]).toBe(`connect-account:${seller.id}`);
    expect(request("POST", "/v1/accounts").form).toMatchObject({ type: "express", email: seller.email, "metadata[user_id]": seller.id });
    expect(request("POST", "/v1/account_links").form).toEqual({
      account: "acct_Seller",
      return_url: "https://acme.test/payouts",
      refresh_url: "https://acme.test/?stripe_connect=refresh",
      type: "account_onboarding",
    });
    standIn.reset();

    standIn.on("GET", "/v1/accounts/acct_Seller", { body: so.account("acct_Seller", true) });
    const status = await t.request({ method: "GET", url: "/v1/users/auth/bank_account", headers: auth });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({
      chargesEnabled: true,
      detailsSubmitted: true,
      bankAccount: { id: "acct_Seller", chargesEnabled: true, detailsSubmitted: true, payoutSchedule: { interval: "daily", delayDays: 2 }, last4: "6789" },
    });
    expect(calls()).toEqual(["GET /v1/accounts/acct_Seller"]);
  });
});

describe("Stripe's failures, in our envelope", () => {
  it("a decline while attaching is a 402 with Stripe's code and decline_code, and records nothing", async () => {
    const user = await t.createUser(acme);
    standIn.on("POST", "/v1/customers", { body: so.customer("cus_Declined", user.email) });
    standIn.on(
      "POST",
      "/v1/payment_methods/pm_card_chargeDeclined/attach",
      so.error(402, { type: "card_error", code: "card_declined", decline_code: "generic_decline", message: "Your card was declined." }),
    );
    const res = await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: "pm_card_chargeDeclined" } });
    expect(res.statusCode).toBe(402);
    expect(res.json().error).toEqual({
      type: "card_error",
      code: "card_declined",
      decline_code: "generic_decline",
      message: "Your card was declined.",
      request_id: expect.any(String),
    });
    expect(await t.db.paymentMethod.count({ where: { userId: user.id } })).toBe(0);
  });

  it("Stripe failing is a 502 without its detail, and nothing is saved", async () => {
    const user = await t.createUser(acme);
    standIn.on("POST", "/v1/customers", so.error(500, { type: "api_error", message: "Internal detail from Stripe" }));
    const res = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) });
    expect(res.statusCode).toBe(502);
    expect(res.json().error).toMatchObject({ type: "api_error", code: "payments_unavailable" });
    expect(res.body).not.toContain("Internal detail");
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).stripeCustomerId).toBeNull();
  });
});

describe("webhooks, re-read from Stripe", () => {
  it("setup_intent.succeeded records the payment method the intent saved", async () => {
    const user = await t.createUser(acme);
    await t.db.user.update({ where: { id: user.id }, data: { stripeCustomerId: "cus_Hook" } });
    const mastercard = so.card("pm_Saved", { brand: "mastercard", last4: "4444" }, "cus_Hook");
    standIn.on("GET", "/v1/setup_intents/seti_Hook", { body: { ...so.setupIntent("seti_Hook", "cus_Hook"), status: "succeeded", payment_method: "pm_Saved" } });
    standIn.on("GET", "/v1/payment_methods/pm_Saved", { body: mastercard });
    standIn.on("POST", "/v1/customers/cus_Hook", { body: so.customer("cus_Hook", user.email) });
    const res = await webhook("setup_intent.succeeded", "seti_Hook");
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe("processed");
    expect(calls()).toEqual(["GET /v1/setup_intents/seti_Hook", "GET /v1/payment_methods/pm_Saved", "POST /v1/customers/cus_Hook"]);
    expect(await t.db.paymentMethod.findMany({ where: { userId: user.id } })).toMatchObject([{ stripePaymentMethodId: "pm_Saved", brand: "mastercard", isDefault: true }]);
  });

  it("a delivery that cannot re-read its object fails with a 5xx and is processed on Stripe's retry", async () => {
    const user = await t.createUser(acme);
    await t.db.user.update({ where: { id: user.id }, data: { stripeConnectId: "acct_Retry" } });
    standIn.on("GET", "/v1/accounts/acct_Retry", so.error(500, { type: "api_error", message: "Try again" }), { body: so.account("acct_Retry", true) });
    const payload = JSON.stringify({ id: "evt_RetryMe", object: "event", type: "account.updated", livemode: false, data: { object: { id: "acct_Retry" } } });
    const send = () =>
      t.request({
        method: "POST",
        url: "/v1/webhooks/stripe",
        headers: { "content-type": "application/json", "stripe-signature": Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET }) },
        payload,
      });
    const failed = await send();
    expect(failed.statusCode).toBe(502);
    expect(await t.db.stripeEvent.count({ where: { id: "evt_RetryMe" } })).toBe(0);
    const retried = await send();
    expect(retried.statusCode).toBe(200);
    expect(retried.json().status).toBe("processed");
    expect(await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ chargesEnabled: true, bankLast4: "6789" });
    expect((await send()).json().status).toBe("duplicate");
  });
});
