import Fastify from "fastify";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CardError, PaymentsIdempotencyError, PaymentsRequestError, WebhookSignatureError } from "../../src/adapters/payments/errors.js";
import type { PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import { createOfflineGateway, type OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { OFFLINE_WEBHOOK_SECRET } from "../../src/config.js";
import errorHandler from "../../src/plugins/error-handler.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { failure } from "../helpers/failure.js";

let t: TestContext;
let payments: OfflinePaymentsGateway;
let n = 0;
/** A fresh idempotency key, as callers derive them from our own ids. */
const key = (what = "op") => `test:${what}:${++n}`;

beforeAll(async () => {
  t = await createTestContext();
  payments = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t.close());

async function customer(email = `buyer${++n}@example.com`) {
  return payments.createCustomer({ email, metadata: {}, idempotencyKey: key("customer") });
}

async function customerWith(token: string) {
  const { id } = await customer();
  const pm = await payments.attachPaymentMethod({ customerId: id, paymentMethodId: token, idempotencyKey: key("attach") });
  return { customerId: id, paymentMethodId: pm.id };
}

async function charge(token: string, amount = 1000, currency = "usd") {
  const { customerId, paymentMethodId } = await customerWith(token);
  return payments.createPaymentIntent({ amount, currency, customerId, paymentMethodId, metadata: {}, idempotencyKey: key("charge") });
}

async function onboardedAccount() {
  const { id } = await payments.createConnectAccount({ email: `seller${++n}@example.com`, metadata: {}, idempotencyKey: key("account") });
  await t.db.simAccount.update({ where: { id }, data: { chargesEnabled: true, detailsSubmitted: true } });
  return id;
}

describe("the offline gateway", () => {
  it("is what the app uses when no Stripe key is configured", () => {
    expect(payments.kind).toBe("offline");
  });
});

describe("customers and setup intents", () => {
  it("creates a customer with Stripe's id shape and keeps it", async () => {
    const { id } = await payments.createCustomer({ email: "ada@example.com", name: "Ada", metadata: { user_id: "user_1" }, idempotencyKey: key() });
    expect(id).toMatch(/^cus_[A-Za-z0-9]{14}$/);
    expect(await t.db.simCustomer.findUnique({ where: { id } })).toMatchObject({ email: "ada@example.com", name: "Ada", metadata: { user_id: "user_1" } });
  });

  it("refuses an invalid email like Stripe", async () => {
    const err = await failure(payments.createCustomer({ email: "not-an-email", metadata: {}, idempotencyKey: key() }));
    expect(err).toBeInstanceOf(PaymentsRequestError);
    expect(err).toMatchObject({ status: 400, type: "invalid_request_error", code: "email_invalid", param: "email" });
  });

  it("creates a SetupIntent with a client secret", async () => {
    const { id: customerId } = await customer();
    const intent = await payments.createSetupIntent({ customerId, idempotencyKey: key() });
    expect(intent.id).toMatch(/^seti_[A-Za-z0-9]+$/);
    expect(intent.clientSecret).toMatch(new RegExp(`^${intent.id}_secret_[A-Za-z0-9]+$`));
    expect(await t.db.simSetupIntent.findUnique({ where: { id: intent.id } })).toMatchObject({ customerId, status: "requires_payment_method" });
  });

  it("refuses a SetupIntent for an unknown customer with a 400 naming `customer`", async () => {
    const err = await failure(payments.createSetupIntent({ customerId: "cus_missing", idempotencyKey: key() }));
    expect(err).toMatchObject({ status: 400, code: "resource_missing", param: "customer", message: "No such customer: 'cus_missing'" });
  });
});

describe("payment methods", () => {
  it.each([
    ["pm_card_visa", { type: "card", brand: "visa", last4: "4242", funding: "credit", accountHolderType: null }],
    ["pm_card_visa_debit", { type: "card", brand: "visa", last4: "5556", funding: "debit" }],
    ["pm_card_mastercard", { type: "card", brand: "mastercard", last4: "4444" }],
    ["pm_card_amex", { type: "card", brand: "amex", last4: "8431" }],
    ["pm_card_chargeDeclined", { type: "card", brand: "visa", last4: "0002" }],
    ["pm_card_insufficientFunds", { type: "card", brand: "visa", last4: "9995" }],
    ["pm_usBankAccount", { type: "us_bank_account", brand: "STRIPE TEST BANK", last4: "6789", expMonth: null, expYear: null, funding: null, accountHolderType: "individual" }],
  ])("attaches the test token %s as a new payment method", async (token, expected) => {
    const { id: customerId } = await customer();
    const pm = await payments.attachPaymentMethod({ customerId, paymentMethodId: token, idempotencyKey: key() });
    expect(pm).toMatchObject(expected);
    expect(pm.id).toMatch(/^pm_[A-Za-z0-9]{24}$/);
    if (pm.type === "card") expect(pm).toMatchObject({ expMonth: 12, expYear: 2034 });
    expect(await payments.retrievePaymentMethod(pm.id)).toEqual({ ...pm, customerId });
  });

  it("refuses an unknown payment method with 400 resource_missing", async () => {
    const { id: customerId } = await customer();
    const err = await failure(payments.attachPaymentMethod({ customerId, paymentMethodId: "pm_doesNotExist", idempotencyKey: key() }));
    expect(err).toBeInstanceOf(PaymentsRequestError);
    expect(err).toMatchObject({ status: 400, code: "resource_missing", param: "payment_method" });
  });

  it("refuses to attach to an unknown customer", async () => {
    const err = await failure(payments.attachPaymentMethod({ customerId: "cus_missing", paymentMethodId: "pm_card_visa", idempotencyKey: key() }));
    expect(err).toMatchObject({ status: 400, code: "resource_missing", param: "customer" });
  });

  it("returns a payment method attached again to its customer, and refuses it to another customer", async () => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_visa");
    const again = await payments.attachPaymentMethod({ customerId, paymentMethodId, idempotencyKey: key() });
    expect(again.id).toBe(paymentMethodId);
    const { id: other } = await customer();
    const err = await failure(payments.attachPaymentMethod({ customerId: other, paymentMethodId, idempotencyKey: key() }));
    expect(err).toMatchObject({ status: 400, code: "payment_method_unexpected_state" });
  });

  it("is a 404 to retrieve an unknown payment method", async () => {
    expect(await failure(payments.retrievePaymentMethod("pm_doesNotExist"))).toMatchObject({ status: 404, code: "resource_missing" });
  });

  it("sets the customer's default payment method, only among the customer's own", async () => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_visa");
    await payments.setDefaultPaymentMethod({ customerId, paymentMethodId });
    expect((await t.db.simCustomer.findUnique({ where: { id: customerId } }))?.defaultPaymentMethodId).toBe(paymentMethodId);

    const stranger = await customerWith("pm_card_mastercard");
    const err = await failure(payments.setDefaultPaymentMethod({ customerId, paymentMethodId: stranger.paymentMethodId }));
    expect(err).toMatchObject({ status: 400, code: "resource_missing", param: "invoice_settings[default_payment_method]" });
    expect(await failure(payments.setDefaultPaymentMethod({ customerId: "cus_missing", paymentMethodId }))).toMatchObject({ status: 404, code: "resource_missing" });
  });

  it("detaches a payment method for good: default cleared, no charge, no re-attach, no second detach", async () => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_visa");
    await payments.setDefaultPaymentMethod({ customerId, paymentMethodId });
    await payments.detachPaymentMethod({ paymentMethodId });

    expect((await payments.retrievePaymentMethod(paymentMethodId)).customerId).toBeNull();
    expect((await t.db.simCustomer.findUnique({ where: { id: customerId } }))?.defaultPaymentMethodId).toBeNull();
    const charge = payments.createPaymentIntent({ amount: 1000, currency: "usd", customerId, paymentMethodId, metadata: {}, idempotencyKey: key() });
    expect(await failure(charge)).toMatchObject({ status: 400, code: "payment_method_unexpected_state", param: "payment_method" });
    const reattach = payments.attachPaymentMethod({ customerId, paymentMethodId, idempotencyKey: key() });
    expect(await failure(reattach)).toMatchObject({ status: 400, code: "payment_method_unexpected_state" });
    expect(await failure(payments.detachPaymentMethod({ paymentMethodId }))).toMatchObject({ status: 400, code: "payment_method_unexpected_state" });
    expect(await failure(payments.detachPaymentMethod({ paymentMethodId: "pm_doesNotExist" }))).toMatchObject({ status: 404, code: "resource_missing" });
  });
});

describe("payment intents", () => {
  it("charges a saved card off-session and confirms at once", async () => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_visa");
    const intent = await payments.createPaymentIntent({
      amount: 2500,
      currency: "usd",
      customerId,
      paymentMethodId,
      transferGroup: "inv_1",
      metadata: { contract_id: "inv_1" },
      idempotencyKey: key(),
    });
    expect(intent).toEqual({
      id: expect.stringMatching(/^pi_[A-Za-z0-9]{24}$/),
      status: "succeeded",
      amount: 2500,
      currency: "usd",
      chargeId: expect.stringMatching(/^ch_[A-Za-z0-9]{24}$/),
      customerId,
      paymentMethodId,
      lastPaymentError: null,
      metadata: { contract_id: "inv_1" },
    });
    expect(await payments.retrievePaymentIntent(intent.id)).toEqual(intent);
    expect(await t.db.simPaymentIntent.findUnique({ where: { id: intent.id } })).toMatchObject({ transferGroup: "inv_1", chargeSucceeded: true });
  });

  it("charges a US bank account", async () => {
    expect(await charge("pm_usBankAccount", 5000)).toMatchObject({ status: "succeeded", amount: 5000 });
  });

  it("accepts a test token used directly, like Stripe", async () => {
    const { id: customerId } = await customer();
    const intent = await payments.createPaymentIntent({ amount: 700, currency: "usd", customerId, paymentMethodId: "pm_card_visa", metadata: {}, idempotencyKey: key() });
    expect(intent).toMatchObject({ status: "succeeded", paymentMethodId: expect.stringMatching(/^pm_/) });
    expect(intent.paymentMethodId).not.toBe("pm_card_visa");
    // Used without being attached, it cannot be saved or reused afterwards.
    const attach = payments.attachPaymentMethod({ customerId, paymentMethodId: intent.paymentMethodId!, idempotencyKey: key() });
    expect(await failure(attach)).toMatchObject({ status: 400, code: "payment_method_unexpected_state" });
  });

  it.each([
    ["pm_card_chargeDeclined", "card_declined", "generic_decline"],
    ["pm_card_insufficientFunds", "card_declined", "insufficient_funds"],
    ["pm_card_chargeDeclinedInsufficientFunds", "card_declined", "insufficient_funds"],
    ["pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"],
    ["pm_card_chargeDeclinedLostCard", "card_declined", "lost_card"],
    ["pm_card_authenticationRequired", "authentication_required", "authentication_required"],
  ])("declines %s with %s / %s and leaves the intent requires_payment_method", async (token, code, declineCode) => {
    const err = await failure(charge(token, 1200));
    expect(err).toBeInstanceOf(CardError);
    expect(err).toMatchObject({ status: 402, type: "card_error", code, declineCode, extra: { decline_code: declineCode } });
    const card = err as unknown as CardError;
    expect(card.paymentIntentId).toMatch(/^pi_/);
    expect(card.chargeId).toMatch(/^ch_/);
    expect(await payments.retrievePaymentIntent(card.paymentIntentId!)).toMatchObject({
      status: "requires_payment_method",
      amount: 1200,
      chargeId: card.chargeId,
      lastPaymentError: { code, declineCode, message: card.message },
    });
  });

  it.each([
    [0, "parameter_invalid_integer"],
    [-100, "parameter_invalid_integer"],
    [10.5, "parameter_invalid_integer"],
    [49, "amount_too_small"],
    [100_000_000, "amount_too_large"],
  ])("refuses the amount %s with %s", async (amount, code) => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_visa");
    const err = await failure(payments.createPaymentIntent({ amount, currency: "usd", customerId, paymentMethodId, metadata: {}, idempotencyKey: key() }));
    expect(err).toMatchObject({ status: 400, code, param: "amount" });
  });

  it("refuses a malformed currency, an unknown customer, and another customer's payment method", async () => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_visa");
    const base = { amount: 1000, currency: "usd", customerId, paymentMethodId, metadata: {} };
    expect(await failure(payments.createPaymentIntent({ ...base, currency: "USD", idempotencyKey: key() }))).toMatchObject({ status: 400, param: "currency" });
    expect(await failure(payments.createPaymentIntent({ ...base, customerId: "cus_missing", idempotencyKey: key() }))).toMatchObject({
      status: 400,
      code: "resource_missing",
      param: "customer",
    });
    const { id: other } = await customer();
    expect(await failure(payments.createPaymentIntent({ ...base, customerId: other, idempotencyKey: key() }))).toMatchObject({
      status: 400,
      code: "payment_method_unexpected_state",
      param: "payment_method",
    });
    expect(await failure(payments.createPaymentIntent({ ...base, paymentMethodId: "pm_doesNotExist", idempotencyKey: key() }))).toMatchObject({
      status: 400,
      code: "resource_missing",
      param: "payment_method",
    });
  });

  it("manual capture: authorises (requires_capture, nothing to refund or transfer), captures once, cancels only what is not captured", async () => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_visa");
    const auth = () =>
      payments.createPaymentIntent({ amount: 3000, currency: "usd", customerId, paymentMethodId, captureMethod: "manual", metadata: {}, idempotencyKey: key("auth") });
    const held = await auth();
    expect(held).toMatchObject({ status: "requires_capture", amount: 3000 });
    expect(await failure(payments.createRefund({ paymentIntentId: held.id, metadata: {}, idempotencyKey: key("refund") }))).toMatchObject({
      code: "payment_intent_unexpected_state",
    });
    const captureKey = key("capture");
    expect(await payments.capturePaymentIntent({ paymentIntentId: held.id, idempotencyKey: captureKey })).toMatchObject({ status: "succeeded" });
    // The same key answers the first capture; another key is refused: it is captured already.
    expect(await payments.capturePaymentIntent({ paymentIntentId: held.id, idempotencyKey: captureKey })).toMatchObject({ status: "succeeded" });
    for (const call of [
      payments.capturePaymentIntent({ paymentIntentId: held.id, idempotencyKey: key() }),
      payments.cancelPaymentIntent({ paymentIntentId: held.id, idempotencyKey: key() }),
    ]) {
      const err = await failure(call);
      expect(err).toBeInstanceOf(PaymentsRequestError);
      expect(err).toMatchObject({ code: "payment_intent_unexpected_state" });
    }
    const released = await auth();
    expect(await payments.cancelPaymentIntent({ paymentIntentId: released.id, idempotencyKey: key("cancel") })).toMatchObject({ status: "canceled" });
    expect(await failure(payments.capturePaymentIntent({ paymentIntentId: released.id, idempotencyKey: key() }))).toMatchObject({ code: "payment_intent_unexpected_state" });
    // Two captures with different keys at once: one captures.
    const raced = await auth();
    const outcomes = await Promise.allSettled([1, 2].map(() => payments.capturePaymentIntent({ paymentIntentId: raced.id, idempotencyKey: key() })));
    expect(outcomes.map((o) => o.status).sort()).toEqual(["fulfilled", "rejected"]);
  });

  it("is a 404 to retrieve an unknown payment intent", async () => {
    expect(await failure(payments.retrievePaymentIntent("pi_missing"))).toMatchObject({ status: 404, code: "resource_missing" });
  });
});

describe("idempotency keys", () => {
  it("return the first result for the same request, without a second row", async () => {
    const input = { email: "once@example.com", metadata: { user_id: "user_once" }, idempotencyKey: key("customer:user_once") };
    const first = await payments.createCustomer(input);
    const second = await payments.createCustomer({ ...input, metadata: { user_id: "user_once" } });
    expect(second).toEqual(first);
    expect(await t.db.simCustomer.count({ where: { email: "once@example.com" } })).toBe(1);
  });

  it("never charge twice for one key", async () => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_visa");
    const input = { amount: 3000, currency: "usd", customerId, paymentMethodId, metadata: {}, idempotencyKey: key("charge:buyer_1:1") };
    const [a, b] = [await payments.createPaymentIntent(input), await payments.createPaymentIntent(input)];
    expect(b).toEqual(a);
    expect(await t.db.simPaymentIntent.count({ where: { customerId } })).toBe(1);
  });

  it("replay a decline as the same decline", async () => {
    const { customerId, paymentMethodId } = await customerWith("pm_card_chargeDeclined");
    const input = { amount: 3000, currency: "usd", customerId, paymentMethodId, metadata: {}, idempotencyKey: key() };
    const first = (await failure(payments.createPaymentIntent(input))) as unknown as CardError;
    const again = (await failure(payments.createPaymentIntent(input))) as unknown as CardError;
    expect(again).toBeInstanceOf(CardError);
    expect({ code: again.code, declineCode: again.declineCode, pi: again.paymentIntentId, message: again.message }).toEqual({
      code: first.code,
      declineCode: first.declineCode,
      pi: first.paymentIntentId,
      message: first.message,
    });
    expect(await t.db.simPaymentIntent.count({ where: { customerId } })).toBe(1);
  });

  it("refuse the same key with different parameters or for another operation", async () => {
    const idempotencyKey = key();
    const { id: customerId } = await payments.createCustomer({ email: "first@example.com", metadata: {}, idempotencyKey });
    const err = await failure(payments.createCustomer({ email: "second@example.com", metadata: {}, idempotencyKey }));
    expect(err).toBeInstanceOf(PaymentsIdempotencyError);
    expect(err).toMatchObject({ status: 400, type: "idempotency_error" });
    expect(await failure(payments.createSetupIntent({ customerId, idempotencyKey }))).toBeInstanceOf(PaymentsIdempotencyError);
    expect(await t.db.simCustomer.count({ where: { email: "second@example.com" } })).toBe(0);
  });

  it("do not keep a refused request, so a corrected one may use the key", async () => {
    const idempotencyKey = key();
    await failure(payments.createCustomer({ email: "broken", metadata: {}, idempotencyKey }));
    expect((await payments.createCustomer({ email: "fixed@example.com", metadata: {}, idempotencyKey })).id).toMatch(/^cus_/);
  });

  it("serialize concurrent retries: one object, one row", async () => {
    const input = { email: "race@example.com", metadata: {}, idempotencyKey: key() };
    const results = await Promise.all(Array.from({ length: 5 }, () => payments.createCustomer(input)));
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await t.db.simCustomer.count({ where: { email: "race@example.com" } })).toBe(1);
    expect(await t.db.simIdempotencyKey.count({ where: { key: input.idempotencyKey } })).toBe(1);
  });

  it("must be 1 to 255 characters", async () => {
    expect(await failure(payments.createCustomer({ email: "k@example.com", metadata: {}, idempotencyKey: "" }))).toMatchObject({ status: 400, code: "idempotency_key_invalid" });
  });
});

describe("refunds", () => {
  it("refund part of a charge, then the rest, never more than the charge", async () => {
    const intent = await charge("pm_card_visa", 1000);
    const first = await payments.createRefund({ paymentIntentId: intent.id, amount: 400, metadata: { reason: "partial" }, idempotencyKey: key() });
    expect(first).toEqual({ id: expect.stringMatching(/^re_[A-Za-z0-9]{24}$/), status: "succeeded", amount: 400 });

    const over = await failure(payments.createRefund({ paymentIntentId: intent.id, amount: 700, metadata: {}, idempotencyKey: key() }));
    expect(over).toBeInstanceOf(PaymentsRequestError);
    expect(over).toMatchObject({
      status: 400,
      code: "amount_too_large",
      param: "amount",
      message: "Refund amount (7.00 usd) is greater than unrefunded amount on charge (6.00 usd)",
    });

    const rest = await payments.createRefund({ paymentIntentId: intent.id, metadata: {}, idempotencyKey: key() });
    expect(rest).toMatchObject({ status: "succeeded", amount: 600 });
    const again = await failure(payments.createRefund({ paymentIntentId: intent.id, amount: 1, metadata: {}, idempotencyKey: key() }));
    expect(again).toMatchObject({ status: 400, code: "charge_already_refunded" });
    expect(await t.db.simRefund.aggregate({ where: { paymentIntentId: intent.id }, _sum: { amount: true } })).toEqual({ _sum: { amount: 1000 } });
  });

  it("cannot exceed the charge even when refunds race", async () => {
    const intent = await charge("pm_card_visa", 1000);
    const attempts = await Promise.allSettled([600, 600, 600].map((amount) => payments.createRefund({ paymentIntentId: intent.id, amount, metadata: {}, idempotencyKey: key() })));
    expect(attempts.filter((a) => a.status === "fulfilled")).toHaveLength(1);
    expect(await t.db.simPaymentIntent.findUnique({ where: { id: intent.id } })).toMatchObject({ amountRefunded: 600 });
  });

  it("refuse a declined payment, an unknown payment intent and a bad amount", async () => {
    const declined = (await failure(charge("pm_card_chargeDeclined"))) as unknown as CardError;
    const err = await failure(payments.createRefund({ paymentIntentId: declined.paymentIntentId!, amount: 100, metadata: {}, idempotencyKey: key() }));
    expect(err).toMatchObject({ status: 400, code: "payment_intent_unexpected_state" });
    expect(await failure(payments.createRefund({ paymentIntentId: "pi_missing", amount: 100, metadata: {}, idempotencyKey: key() }))).toMatchObject({
      status: 400,
      code: "resource_missing",
      param: "payment_intent",
    });
    const intent = await charge("pm_card_visa", 1000);
    expect(await failure(payments.createRefund({ paymentIntentId: intent.id, amount: 0, metadata: {}, idempotencyKey: key() }))).toMatchObject({
      status: 400,
      param: "amount",
    });
  });
});

describe("Connect accounts and onboarding", () => {
  it("creates an Express account that cannot take transfers before onboarding", async () => {
    const { id } = await payments.createConnectAccount({ email: "seller@example.com", metadata: { user_id: "user_s" }, idempotencyKey: key() });
    expect(id).toMatch(/^acct_[A-Za-z0-9]{16}$/);
    expect(await payments.retrieveAccount(id)).toEqual({
      id,
      chargesEnabled: false,
      detailsSubmitted: false,
      payoutSchedule: null,
      bankLast4: null,
      country: "US",
      defaultCurrency: "usd",
    });
    const err = await failure(payments.createTransfer({ amount: 500, currency: "usd", destination: id, metadata: {}, idempotencyKey: key() }));
    expect(err).toBeInstanceOf(PaymentsRequestError);
    expect(err).toMatchObject({ status: 400, code: "insufficient_capabilities_for_transfer", param: "destination" });
    expect(await failure(payments.retrieveAccount("acct_missing"))).toMatchObject({ status: 404, code: "resource_missing" });
  });

  it("hands out an onboarding link on our own server, valid for 5 minutes", async () => {
    const { id } = await payments.createConnectAccount({ email: "link@example.com", metadata: {}, idempotencyKey: key() });
    const before = Date.now();
    const link = await payments.createAccountLink({ accountId: id, refreshUrl: "https://shop.test/refresh", returnUrl: "https://shop.test/done" });
    expect(link.url).toMatch(new RegExp(`^${t.config.publicUrl}/offline/connect/onboard/${id}\\?token=[A-Za-z0-9]{32}$`));
    expect(link.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 299_000);
    expect(link.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 300_000);
  });

  it("refuses a link for an unknown account or with a malformed URL", async () => {
    const urls = { refreshUrl: "https://shop.test/refresh", returnUrl: "https://shop.test/done" };
    expect(await failure(payments.createAccountLink({ accountId: "acct_missing", ...urls }))).toMatchObject({ status: 400, code: "resource_missing", param: "account" });
    const { id } = await payments.createConnectAccount({ email: "url@example.com", metadata: {}, idempotencyKey: key() });
    expect(await failure(payments.createAccountLink({ accountId: id, ...urls, returnUrl: "javascript:alert(1)" }))).toMatchObject({
      status: 400,
      code: "url_invalid",
      param: "return_url",
    });
  });

  it("the onboarding page enables the account and redirects to the return URL, once", async () => {
    const { id } = await payments.createConnectAccount({ email: "onboard@example.com", metadata: {}, idempotencyKey: key() });
    const link = await payments.createAccountLink({ accountId: id, refreshUrl: "https://shop.test/refresh", returnUrl: "https://shop.test/done?account=1" });
    const url = new URL(link.url);

    const res = await t.request({ method: "GET", url: `${url.pathname}${url.search}` });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe("https://shop.test/done?account=1");
    expect(res.headers["cache-control"]).toBe("no-store");
    expect(await payments.retrieveAccount(id)).toEqual({
      id,
      chargesEnabled: true,
      detailsSubmitted: true,
      payoutSchedule: { interval: "daily", delayDays: 2 },
      bankLast4: "6789",
      country: "US",
      defaultCurrency: "usd",
    });

    const again = await t.request({ method: "GET", url: `${url.pathname}${url.search}` });
    expect(again.statusCode).toBe(404);
    expect(again.json().error).toMatchObject({ type: "invalid_request_error", code: "resource_missing" });
  });

  it("the onboarding page is a 404 for an unknown, missing, expired or other account's token", async () => {
    const { id } = await payments.createConnectAccount({ email: "expired@example.com", metadata: {}, idempotencyKey: key() });
    const { id: otherId } = await payments.createConnectAccount({ email: "other@example.com", metadata: {}, idempotencyKey: key() });
    const link = new URL((await payments.createAccountLink({ accountId: id, refreshUrl: "https://shop.test/r", returnUrl: "https://shop.test/d" })).url);
    const token = link.searchParams.get("token")!;

    for (const url of [`/offline/connect/onboard/${id}?token=unknownToken`, `/offline/connect/onboard/${id}`, `/offline/connect/onboard/${otherId}?token=${token}`]) {
      expect((await t.request({ method: "GET", url })).statusCode, url).toBe(404);
    }
    await t.db.simAccountLink.updateMany({ where: { accountId: id }, data: { expires: new Date(Date.now() - 1000) } });
    expect((await t.request({ method: "GET", url: `${link.pathname}${link.search}` })).statusCode).toBe(404);
    expect((await payments.retrieveAccount(id)).chargesEnabled).toBe(false);
    expect((await payments.retrieveAccount(otherId)).chargesEnabled).toBe(false);
  });

  it("the onboarding page is public, outside /v1, and hidden from the API docs", async () => {
    const route = t.app.routeCatalog.find((r) => r.url === "/offline/connect/onboard/:accountId");
    expect(route).toMatchObject({ method: "GET", auth: "public", hidden: true });
  });
});

describe("transfers and reversals", () => {
  it("pays an onboarded account, from a charge at most what is left of it", async () => {
    const account = await onboardedAccount();
    const intent = await charge("pm_card_visa", 1000);
    const transfer = await payments.createTransfer({
      amount: 700,
      currency: "usd",
      destination: account,
      transferGroup: "inv_2",
      sourceTransaction: intent.chargeId!,
      metadata: { seller_id: "seller_1" },
      idempotencyKey: key(),
    });
    expect(transfer.id).toMatch(/^tr_[A-Za-z0-9]{24}$/);
    expect(await t.db.simTransfer.findUnique({ where: { id: transfer.id } })).toMatchObject({
      amount: 700,
      destinationId: account,
      transferGroup: "inv_2",
      sourceTransaction: intent.chargeId,
      metadata: { seller_id: "seller_1" },
    });

    const over = payments.createTransfer({ amount: 400, currency: "usd", destination: account, sourceTransaction: intent.chargeId!, metadata: {}, idempotencyKey: key() });
    expect(await failure(over)).toMatchObject({ status: 400, code: "amount_too_large", param: "amount" });
    const otherCurrency = payments.createTransfer({ amount: 100, currency: "eur", destination: account, sourceTransaction: intent.chargeId!, metadata: {}, idempotencyKey: key() });
    expect(await failure(otherCurrency)).toMatchObject({ status: 400, param: "currency" });
  });

  it("refuses an unknown destination or source transaction, and a failed charge as source", async () => {
    const account = await onboardedAccount();
    const base = { amount: 100, currency: "usd", metadata: {} };
    expect(await failure(payments.createTransfer({ ...base, destination: "acct_missing", idempotencyKey: key() }))).toMatchObject({
      status: 400,
      code: "resource_missing",
      param: "destination",
    });
    expect(await failure(payments.createTransfer({ ...base, destination: account, sourceTransaction: "ch_missing", idempotencyKey: key() }))).toMatchObject({
      status: 400,
      code: "resource_missing",
      param: "source_transaction",
    });
    const declined = (await failure(charge("pm_card_chargeDeclined"))) as unknown as CardError;
    expect(await failure(payments.createTransfer({ ...base, destination: account, sourceTransaction: declined.chargeId!, idempotencyKey: key() }))).toMatchObject({
      status: 400,
      param: "source_transaction",
    });
  });

  it("reverses part of a transfer, never more than the transfer", async () => {
    const account = await onboardedAccount();
    const { id: transferId } = await payments.createTransfer({ amount: 700, currency: "usd", destination: account, metadata: {}, idempotencyKey: key() });
    const reversal = await payments.createTransferReversal({ transferId, amount: 300, idempotencyKey: key() });
    expect(reversal).toEqual({ id: expect.stringMatching(/^trr_[A-Za-z0-9]{24}$/), amount: 300 });
    const over = await failure(payments.createTransferReversal({ transferId, amount: 401, idempotencyKey: key() }));
    expect(over).toMatchObject({ status: 400, code: "amount_too_large", param: "amount" });
    expect(await payments.createTransferReversal({ transferId, amount: 400, idempotencyKey: key() })).toMatchObject({ amount: 400 });
    expect(await t.db.simTransfer.findUnique({ where: { id: transferId } })).toMatchObject({ amountReversed: 700 });
    expect(await failure(payments.createTransferReversal({ transferId: "tr_missing", amount: 1, idempotencyKey: key() }))).toMatchObject({ status: 404, code: "resource_missing" });
  });

  it("replays a transfer for the same key", async () => {
    const account = await onboardedAccount();
    const input = { amount: 250, currency: "usd", destination: account, metadata: {}, idempotencyKey: key("payout:seller_1:inv_3") };
    expect(await payments.createTransfer(input)).toEqual(await payments.createTransfer(input));
    expect(await t.db.simTransfer.count({ where: { destinationId: account } })).toBe(1);
  });
});

describe("webhook signatures", () => {
  const event = JSON.stringify({ id: "evt_1", object: "event", type: "account.updated", livemode: false, data: { object: { id: "acct_123", object: "account" } } });
  const now = () => Math.floor(Date.now() / 1000);
  const sign = (payload: string, secret = OFFLINE_WEBHOOK_SECRET, timestamp = now()) => Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });

  it("accepts a payload signed with the configured secret, as a string or a Buffer", async () => {
    const header = sign(event);
    const expected = { id: "evt_1", type: "account.updated", objectId: "acct_123", livemode: false, account: null };
    expect(await payments.verifyWebhook(event, header)).toEqual(expected);
    expect(await payments.verifyWebhook(Buffer.from(event), header)).toEqual(expected);
  });

  it.each([
    ["a signature made with another secret", () => sign(event, "whsec_someone_else"), "webhook_signature_invalid"],
    ["a malformed header", () => "not-a-signature", "webhook_signature_invalid"],
    ["an empty header", () => "", "webhook_signature_invalid"],
    ["a timestamp older than 5 minutes", () => sign(event, OFFLINE_WEBHOOK_SECRET, now() - 301), "webhook_timestamp_too_old"],
  ])("refuses %s", async (_name, header, code) => {
    const err = await failure(payments.verifyWebhook(event, header()));
    expect(err).toBeInstanceOf(WebhookSignatureError);
    expect(err).toMatchObject({ status: 400, code });
  });

  it("refuses a body changed after signing, and a signed body that is not an event", async () => {
    const header = sign(event);
    expect(await failure(payments.verifyWebhook(event.replace("acct_123", "acct_999"), header))).toMatchObject({ status: 400, code: "webhook_signature_invalid" });
    expect(await failure(payments.verifyWebhook("not json", sign("not json")))).toMatchObject({ status: 400, code: "webhook_payload_invalid" });
    expect(await failure(payments.verifyWebhook("{}", sign("{}")))).toMatchObject({ status: 400, code: "webhook_payload_invalid" });
  });

  it("accepts a payload signed with any of several configured secrets (an account and a Connect endpoint)", async () => {
    const both = createOfflineGateway({ db: t.db, publicUrl: t.config.publicUrl, webhookSecret: "whsec_account, whsec_connect" });
    expect(await both.verifyWebhook(event, sign(event, "whsec_account"))).toMatchObject({ id: "evt_1" });
    expect(await both.verifyWebhook(event, sign(event, "whsec_connect"))).toMatchObject({ id: "evt_1" });
    expect(await failure(both.verifyWebhook(event, sign(event, "whsec_other")))).toMatchObject({ status: 400, code: "webhook_signature_invalid" });
    expect(await failure(both.verifyWebhook(event, sign(event, "whsec_connect", now() - 600)))).toMatchObject({ status: 400, code: "webhook_timestamp_too_old" });
  });

  it("uses STRIPE_WEBHOOK_SECRET when one is configured", async () => {
    const configured = createOfflineGateway({ db: t.db, publicUrl: t.config.publicUrl, webhookSecret: "whsec_configured" });
    expect(await configured.verifyWebhook(event, sign(event, "whsec_configured"))).toMatchObject({ id: "evt_1" });
    expect(await failure(configured.verifyWebhook(event, sign(event)))).toBeInstanceOf(WebhookSignatureError);
  });
});

describe("gateway errors in our envelope", () => {
  it("render a decline as a 402 card_error with Stripe's code and decline_code", async () => {
    const app = Fastify();
    await app.register(errorHandler);
    const gateway: PaymentsGateway = payments;
    app.post("/charge", async () => charge("pm_card_insufficientFunds").then(() => gateway.kind));
    const res = await app.inject({ method: "POST", url: "/charge" });
    await app.close();
    expect(res.statusCode).toBe(402);
    expect(res.json()).toEqual({
      error: { type: "card_error", code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds.", request_id: expect.any(String) },
    });
  });
});
