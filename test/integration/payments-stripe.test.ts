import Fastify from "fastify";
import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  CardError,
  PaymentsAuthenticationError,
  PaymentsIdempotencyError,
  PaymentsRateLimitError,
  PaymentsRequestError,
  PaymentsTimeoutError,
  PaymentsUnavailableError,
  WebhookSecretMissingError,
  WebhookSignatureError,
} from "../../src/adapters/payments/errors.js";
import type { PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import { createStripeGateway } from "../../src/adapters/payments/stripe.js";
import errorHandler from "../../src/plugins/error-handler.js";
import { createTestContext } from "../helpers/app.js";
import { failure } from "../helpers/failure.js";
import { closedPort, startStripeStandIn, stripeObjects as so, type RecordedRequest, type StripeStandIn } from "../helpers/stripe-stand-in.js";

const SECRET_KEY = "sk_test_standin0123456789";
const WEBHOOK_SECRET = "whsec_standin_secret";

let standIn: StripeStandIn;
let stripe: PaymentsGateway;

beforeAll(async () => {
  standIn = await startStripeStandIn();
  // No retries here, so each scripted failure is seen once; retries have their own test below.
  stripe = createStripeGateway({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, ...standIn.address, maxNetworkRetries: 0, timeoutMs: 5_000 });
});
afterAll(() => standIn.close());
beforeEach(() => standIn.reset());

function only(): RecordedRequest {
  expect(standIn.requests).toHaveLength(1);
  return standIn.requests[0]!;
}

describe("request shapes", () => {
  it("createCustomer posts the email, name and metadata with our idempotency key and our secret key", async () => {
    standIn.on("POST", "/v1/customers", { body: so.customer("cus_1", "ada@example.com") });
    const result = await stripe.createCustomer({ email: "ada@example.com", name: "Ada", metadata: { user_id: "user_1" }, idempotencyKey: "customer:user_1" });
    expect(result).toEqual({ id: "cus_1" });
    const req = only();
    expect(req).toMatchObject({ method: "POST", path: "/v1/customers", form: { email: "ada@example.com", name: "Ada", "metadata[user_id]": "user_1" } });
    expect(req.headers["idempotency-key"]).toBe("customer:user_1");
    expect(req.headers.authorization).toBe(`Bearer ${SECRET_KEY}`);
    expect(req.headers["content-type"]).toMatch(/^application\/x-www-form-urlencoded/);
  });

  it("createCustomer leaves out a missing name", async () => {
    standIn.on("POST", "/v1/customers", { body: so.customer("cus_2", "b@example.com") });
    await stripe.createCustomer({ email: "b@example.com", metadata: {}, idempotencyKey: "k" });
    expect(only().form).toEqual({ email: "b@example.com" });
  });

  it("createSetupIntent asks for off-session use", async () => {
    standIn.on("POST", "/v1/setup_intents", { body: so.setupIntent("seti_1", "cus_1") });
    expect(await stripe.createSetupIntent({ customerId: "cus_1", idempotencyKey: "setup:user_1" })).toEqual({
      id: "seti_1",
      clientSecret: "seti_1_secret_Standin0123456789abcdefghij",
    });
    const req = only();
    expect(req).toMatchObject({ path: "/v1/setup_intents", form: { customer: "cus_1", usage: "off_session" } });
    expect(req.headers["idempotency-key"]).toBe("setup:user_1");
  });

  it("attachPaymentMethod attaches and returns the attached payment method's own id and card details", async () => {
    standIn.on("POST", "/v1/payment_methods/pm_card_visa/attach", { body: so.card("pm_1NewCard", { brand: "visa", last4: "4242" }, "cus_1") });
    const pm = await stripe.attachPaymentMethod({ customerId: "cus_1", paymentMethodId: "pm_card_visa", idempotencyKey: "attach:user_1:pm_card_visa" });
    expect(pm).toEqual({ id: "pm_1NewCard", type: "card", brand: "visa", last4: "4242", expMonth: 12, expYear: 2034, funding: "credit", accountHolderType: null });
    const req = only();
    expect(req).toMatchObject({ method: "POST", form: { customer: "cus_1" } });
    expect(req.headers["idempotency-key"]).toBe("attach:user_1:pm_card_visa");
  });

  it("attachPaymentMethod maps a US bank account", async () => {
    standIn.on("POST", "/v1/payment_methods/pm_bank/attach", { body: so.bankAccount("pm_bank", "cus_1") });
    expect(await stripe.attachPaymentMethod({ customerId: "cus_1", paymentMethodId: "pm_bank", idempotencyKey: "k" })).toEqual({
      id: "pm_bank",
      type: "us_bank_account",
      brand: "STRIPE TEST BANK",
      last4: "6789",
      expMonth: null,
      expYear: null,
      funding: null,
      accountHolderType: "individual",
    });
  });

  it("attachPaymentMethod refuses payment method types the API does not model", async () => {
    standIn.on("POST", "/v1/payment_methods/pm_link/attach", { body: { id: "pm_link", object: "payment_method", type: "link", customer: "cus_1", link: {} } });
    const err = await failure(stripe.attachPaymentMethod({ customerId: "cus_1", paymentMethodId: "pm_link", idempotencyKey: "k" }));
    expect(err).toBeInstanceOf(PaymentsRequestError);
    expect(err).toMatchObject({ status: 400, code: "payment_method_type_unsupported" });
  });

  it("retrievePaymentMethod reads it with a GET and reports its customer", async () => {
    standIn.on("GET", "/v1/payment_methods/pm_1", { body: so.card("pm_1", { brand: "mastercard", last4: "4444" }, "cus_9") });
    expect(await stripe.retrievePaymentMethod("pm_1")).toMatchObject({ id: "pm_1", brand: "mastercard", customerId: "cus_9" });
    expect(only()).toMatchObject({ method: "GET", form: {} });
  });

  it("detachPaymentMethod and setDefaultPaymentMethod post to Stripe's paths, keyed by the SDK", async () => {
    standIn.on("POST", "/v1/payment_methods/pm_1/detach", { body: so.card("pm_1", { brand: "visa", last4: "4242" }) });
    standIn.on("POST", "/v1/customers/cus_1", { body: so.customer("cus_1", "a@example.com") });
    await stripe.detachPaymentMethod({ paymentMethodId: "pm_1" });
    await stripe.setDefaultPaymentMethod({ customerId: "cus_1", paymentMethodId: "pm_2" });
    const [detach, update] = standIn.requests;
    expect(detach).toMatchObject({ method: "POST", path: "/v1/payment_methods/pm_1/detach", form: {} });
    expect(update).toMatchObject({ method: "POST", path: "/v1/customers/cus_1", form: { "invoice_settings[default_payment_method]": "pm_2" } });
    // Naturally idempotent calls take no key of ours; the SDK still sends one of its own.
    for (const req of [detach!, update!]) expect(req.headers["idempotency-key"]).toMatch(/^stripe-node-retry-/);
  });

  it("createPaymentIntent confirms off-session without redirects, with the transfer group and metadata", async () => {
    standIn.on("POST", "/v1/payment_intents", {
      body: so.paymentIntent({ id: "pi_1", amount: 2500, currency: "usd", customer: "cus_1", paymentMethod: "pm_1", charge: "ch_1", metadata: { contract_id: "inv_1" } }),
    });
    const intent = await stripe.createPaymentIntent({
      amount: 2500,
      currency: "usd",
      customerId: "cus_1",
      paymentMethodId: "pm_1",
      transferGroup: "inv_1",
      metadata: { contract_id: "inv_1" },
      idempotencyKey: "charge:buyer_1:1",
    });
    expect(intent).toEqual({
      id: "pi_1",
      status: "succeeded",
      amount: 2500,
      currency: "usd",
      chargeId: "ch_1",
      customerId: "cus_1",
      paymentMethodId: "pm_1",
      lastPaymentError: null,
      metadata: { contract_id: "inv_1" },
    });
    const req = only();
    expect(req).toMatchObject({ method: "POST", path: "/v1/payment_intents" });
    expect(req.form).toEqual({
      amount: "2500",
      currency: "usd",
      customer: "cus_1",
      payment_method: "pm_1",
      off_session: "true",
      confirm: "true",
      "automatic_payment_methods[enabled]": "true",
      "automatic_payment_methods[allow_redirects]": "never",
      transfer_group: "inv_1",
      "metadata[contract_id]": "inv_1",
    });
    expect(req.headers["idempotency-key"]).toBe("charge:buyer_1:1");
  });

  it("manual capture: createPaymentIntent asks for capture_method manual; capture and cancel post to the intent with our keys", async () => {
    const pi = (status: string) => ({ body: so.paymentIntent({ id: "pi_m", amount: 4000, currency: "usd", customer: "cus_1", paymentMethod: "pm_1", status }) });
    standIn.on("POST", "/v1/payment_intents", pi("requires_capture"));
    const authorised = await stripe.createPaymentIntent({
      amount: 4000,
      currency: "usd",
      customerId: "cus_1",
      paymentMethodId: "pm_1",
      captureMethod: "manual",
      metadata: {},
      idempotencyKey: "contract:inv_1:buyer:user_1:attempt:0",
    });
    expect(authorised.status).toBe("requires_capture");
    expect(only().form).toMatchObject({ capture_method: "manual", confirm: "true", off_session: "true" });
    standIn.reset();
    standIn.on("POST", "/v1/payment_intents/pi_m/capture", pi("succeeded"));
    expect(await stripe.capturePaymentIntent({ paymentIntentId: "pi_m", idempotencyKey: "contract:inv_1:buyer:user_1:capture" })).toMatchObject({ status: "succeeded" });
    expect(only()).toMatchObject({ method: "POST", path: "/v1/payment_intents/pi_m/capture" });
    expect(only().headers["idempotency-key"]).toBe("contract:inv_1:buyer:user_1:capture");
    standIn.reset();
    standIn.on("POST", "/v1/payment_intents/pi_m/cancel", pi("canceled"));
    expect(await stripe.cancelPaymentIntent({ paymentIntentId: "pi_m", idempotencyKey: "contract:inv_1:buyer:user_1:cancel" })).toMatchObject({ status: "canceled" });
    expect(only()).toMatchObject({ method: "POST", path: "/v1/payment_intents/pi_m/cancel" });
    expect(only().headers["idempotency-key"]).toBe("contract:inv_1:buyer:user_1:cancel");
  });

  it("retrievePaymentIntent maps the last payment error", async () => {
    standIn.on("GET", "/v1/payment_intents/pi_2", {
      body: so.paymentIntent({
        id: "pi_2",
        amount: 900,
        currency: "usd",
        customer: "cus_1",
        paymentMethod: "pm_1",
        status: "requires_payment_method",
        charge: "ch_2",
        lastPaymentError: { code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." },
      }),
    });
    expect(await stripe.retrievePaymentIntent("pi_2")).toMatchObject({
      status: "requires_payment_method",
      chargeId: "ch_2",
      lastPaymentError: { code: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds." },
    });
    expect(only()).toMatchObject({ method: "GET", path: "/v1/payment_intents/pi_2" });
  });

  it("createConnectAccount asks for an Express account with card payments and transfers", async () => {
    standIn.on("POST", "/v1/accounts", { body: so.account("acct_1", false) });
    expect(await stripe.createConnectAccount({ email: "s@example.com", metadata: { user_id: "user_s" }, idempotencyKey: "account:user_s" })).toEqual({ id: "acct_1" });
    const req = only();
    expect(req.form).toEqual({
      type: "express",
      email: "s@example.com",
      "metadata[user_id]": "user_s",
      "capabilities[card_payments][requested]": "true",
      "capabilities[transfers][requested]": "true",
    });
    expect(req.headers["idempotency-key"]).toBe("account:user_s");
  });

  it("createAccountLink asks for an onboarding link and converts its expiry", async () => {
    standIn.on("POST", "/v1/account_links", { body: so.accountLink("https://connect.stripe.com/setup/e/acct_1/abc", 1_900_000_000) });
    const link = await stripe.createAccountLink({ accountId: "acct_1", refreshUrl: "https://shop.test/refresh", returnUrl: "https://shop.test/done" });
    expect(link).toEqual({ url: "https://connect.stripe.com/setup/e/acct_1/abc", expiresAt: new Date(1_900_000_000_000) });
    expect(only().form).toEqual({ account: "acct_1", refresh_url: "https://shop.test/refresh", return_url: "https://shop.test/done", type: "account_onboarding" });
  });

  it("retrieveAccount maps onboarding state, payout schedule and bank account", async () => {
    standIn.on("GET", "/v1/accounts/acct_new", { body: so.account("acct_new", false) });
    standIn.on("GET", "/v1/accounts/acct_done", { body: so.account("acct_done", true) });
    expect(await stripe.retrieveAccount("acct_new")).toEqual({
      id: "acct_new",
      chargesEnabled: false,
      detailsSubmitted: false,
      payoutSchedule: null,
      bankLast4: null,
      country: "US",
      defaultCurrency: "usd",
    });
    expect(await stripe.retrieveAccount("acct_done")).toEqual({
      id: "acct_done",
      chargesEnabled: true,
      detailsSubmitted: true,
      payoutSchedule: { interval: "daily", delayDays: 2 },
      bankLast4: "6789",
      country: "US",
      defaultCurrency: "usd",
    });
  });

  it("createTransfer sends the destination, group, source charge and metadata", async () => {
    standIn.on("POST", "/v1/transfers", { body: so.transfer("tr_1", 700, "usd", "acct_1") });
    const input = { amount: 700, currency: "usd", destination: "acct_1", transferGroup: "inv_1", sourceTransaction: "ch_1", metadata: { seller_id: "seller_1" } };
    expect(await stripe.createTransfer({ ...input, idempotencyKey: "payout:seller_1" })).toEqual({ id: "tr_1" });
    const req = only();
    expect(req.form).toEqual({ amount: "700", currency: "usd", destination: "acct_1", transfer_group: "inv_1", source_transaction: "ch_1", "metadata[seller_id]": "seller_1" });
    expect(req.headers["idempotency-key"]).toBe("payout:seller_1");
  });

  it("retrieveTransfer reads what arrived from the transfer's payment on the connected account: converted amount and exchange_rate", async () => {
    standIn.on("GET", "/v1/transfers/tr_1", { body: { ...so.transfer("tr_1", 10_000, "usd", "acct_1"), destination_payment: "py_1" } });
    standIn.on("GET", "/v1/charges/py_1", {
      body: {
        id: "py_1",
        object: "charge",
        amount: 9_200,
        currency: "eur",
        balance_transaction: { id: "txn_1", object: "balance_transaction", amount: 9_200, currency: "eur", exchange_rate: 0.92 },
      },
    });
    expect(await stripe.retrieveTransfer("tr_1")).toEqual({
      id: "tr_1",
      amount: 10_000,
      currency: "usd",
      destination: "acct_1",
      destinationAmount: 9_200,
      destinationCurrency: "eur",
      exchangeRate: "0.92",
    });
    const [transfer, payment] = standIn.requests;
    expect(transfer!.headers["stripe-account"]).toBeUndefined();
    expect(payment!.headers["stripe-account"]).toBe("acct_1");
    expect(payment!.form).toEqual({ "expand[0]": "balance_transaction" });
  });

  it("updateAccount sends the default currency alone when no schedule is given", async () => {
    standIn.on("POST", "/v1/accounts/acct_1", { body: { ...so.account("acct_1", true), default_currency: "eur", country: "DE" } });
    expect(await stripe.updateAccount({ accountId: "acct_1", defaultCurrency: "eur" })).toMatchObject({ country: "DE", defaultCurrency: "eur" });
    expect(only().form).toEqual({ default_currency: "eur" });
  });

  it("createRefund refunds an amount of a payment intent, or the rest without one", async () => {
    standIn.on("POST", "/v1/refunds", { body: so.refund("re_1", 400, "pi_1") });
    expect(await stripe.createRefund({ paymentIntentId: "pi_1", amount: 400, metadata: { reason: "partial" }, idempotencyKey: "refund:1" })).toEqual({
      id: "re_1",
      status: "succeeded",
      amount: 400,
    });
    await stripe.createRefund({ paymentIntentId: "pi_1", metadata: {}, idempotencyKey: "refund:2" });
    const [partial, rest] = standIn.requests;
    expect(partial!.form).toEqual({ payment_intent: "pi_1", amount: "400", "metadata[reason]": "partial" });
    expect(partial!.headers["idempotency-key"]).toBe("refund:1");
    expect(rest!.form).toEqual({ payment_intent: "pi_1" });
    expect(rest!.headers["idempotency-key"]).toBe("refund:2");
  });

  it("createTransferReversal posts to the transfer's reversals", async () => {
    standIn.on("POST", "/v1/transfers/tr_1/reversals", { body: so.reversal("trr_1", 300, "tr_1") });
    expect(await stripe.createTransferReversal({ transferId: "tr_1", amount: 300, idempotencyKey: "reversal:1" })).toEqual({ id: "trr_1", amount: 300 });
    const req = only();
    expect(req).toMatchObject({ method: "POST", path: "/v1/transfers/tr_1/reversals", form: { amount: "300" } });
    expect(req.headers["idempotency-key"]).toBe("reversal:1");
  });

  it("sends an Idempotency-Key on every mutating call and never on reads", async () => {
    standIn.on("POST", /.*/, (req) => ({
      body: {
        id: `obj_${req.path.replace(/\W/g, "")}`,
        object: "x",
        client_secret: "s",
        type: "card",
        card: { brand: "visa", last4: "4242", exp_month: 1, exp_year: 2030, funding: "credit" },
        url: "u",
        expires_at: 1,
        status: "succeeded",
        amount: 1,
        currency: "usd",
        metadata: {},
      },
    }));
    standIn.on("GET", /.*/, { body: so.account("acct_1", true) });
    await stripe.createCustomer({ email: "a@example.com", metadata: {}, idempotencyKey: "k1" });
    await stripe.createSetupIntent({ customerId: "cus_1", idempotencyKey: "k2" });
    await stripe.attachPaymentMethod({ customerId: "cus_1", paymentMethodId: "pm_card_visa", idempotencyKey: "k3" });
    await stripe.createPaymentIntent({ amount: 100, currency: "usd", customerId: "cus_1", paymentMethodId: "pm_1", metadata: {}, idempotencyKey: "k4" });
    await stripe.createConnectAccount({ email: "a@example.com", metadata: {}, idempotencyKey: "k5" });
    await stripe.createTransfer({ amount: 100, currency: "usd", destination: "acct_1", metadata: {}, idempotencyKey: "k6" });
    await stripe.createRefund({ paymentIntentId: "pi_1", amount: 1, metadata: {}, idempotencyKey: "k7" });
    await stripe.createTransferReversal({ transferId: "tr_1", amount: 1, idempotencyKey: "k8" });
    await stripe.createAccountLink({ accountId: "acct_1", refreshUrl: "https://a.test/r", returnUrl: "https://a.test/d" });
    await stripe.detachPaymentMethod({ paymentMethodId: "pm_1" });
    await stripe.setDefaultPaymentMethod({ customerId: "cus_1", paymentMethodId: "pm_1" });
    await stripe.retrieveAccount("acct_1");
    const posts = standIn.requests.filter((r) => r.method === "POST");
    expect(posts).toHaveLength(11);
    expect(posts.slice(0, 8).map((r) => r.headers["idempotency-key"])).toEqual(["k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8"]);
    for (const r of posts) expect(r.headers["idempotency-key"]).toBeTruthy();
    expect(standIn.requests.filter((r) => r.method === "GET").every((r) => r.headers["idempotency-key"] === undefined)).toBe(true);
  });
});

describe("Stripe's errors, mapped", () => {
  const chargeInput = { amount: 1000, currency: "usd", customerId: "cus_1", paymentMethodId: "pm_1", metadata: {}, idempotencyKey: "charge:x" };

  it("a 402 card_error becomes a CardError with Stripe's code and decline_code", async () => {
    standIn.on(
      "POST",
      "/v1/payment_intents",
      so.error(402, {
        type: "card_error",
        code: "card_declined",
        decline_code: "insufficient_funds",
        message: "Your card has insufficient funds.",
        charge: "ch_failed",
        payment_intent: so.paymentIntent({ id: "pi_failed", amount: 1000, currency: "usd", customer: "cus_1", paymentMethod: "pm_1", status: "requires_payment_method" }),
      }),
    );
    const err = await failure(stripe.createPaymentIntent(chargeInput));
    expect(err).toBeInstanceOf(CardError);
    expect(err).toMatchObject({
      status: 402,
      type: "card_error",
      code: "card_declined",
      declineCode: "insufficient_funds",
      message: "Your card has insufficient funds.",
      extra: { decline_code: "insufficient_funds" },
      paymentIntentId: "pi_failed",
      chargeId: "ch_failed",
    });
  });

  it("a 400 invalid_request_error becomes a 400 with Stripe's code and param", async () => {
    standIn.on(
      "POST",
      "/v1/refunds",
      so.error(400, {
        type: "invalid_request_error",
        code: "amount_too_large",
        message: "Refund amount ($20.00) is greater than unrefunded amount on charge ($10.00)",
        param: "amount",
      }),
    );
    const err = await failure(stripe.createRefund({ paymentIntentId: "pi_1", amount: 2000, metadata: {}, idempotencyKey: "r" }));
    expect(err).toBeInstanceOf(PaymentsRequestError);
    expect(err).toMatchObject({ status: 400, type: "invalid_request_error", code: "amount_too_large", param: "amount", message: expect.stringContaining("greater than") });
  });

  it("a 404 resource_missing stays a 404", async () => {
    standIn.on(
      "GET",
      "/v1/payment_intents/pi_nope",
      so.error(404, { type: "invalid_request_error", code: "resource_missing", message: "No such payment_intent: 'pi_nope'", param: "intent" }),
    );
    expect(await failure(stripe.retrievePaymentIntent("pi_nope"))).toMatchObject({ status: 404, code: "resource_missing", message: "No such payment_intent: 'pi_nope'" });
  });

  it("an idempotency_error becomes a PaymentsIdempotencyError", async () => {
    standIn.on(
      "POST",
      "/v1/customers",
      so.error(400, { type: "idempotency_error", message: "Keys for idempotent requests can only be used with the same parameters they were first used with." }),
    );
    const err = await failure(stripe.createCustomer({ email: "a@example.com", metadata: {}, idempotencyKey: "reused" }));
    expect(err).toBeInstanceOf(PaymentsIdempotencyError);
    expect(err).toMatchObject({ status: 400, type: "idempotency_error", code: "idempotency_key_reused" });
  });

  it.each([
    [401, "authentication_error", "Invalid API Key provided: sk_test_****6789"],
    [403, "invalid_request_error", "The provided key does not have access to account 'acct_x'."],
  ])("a %s about our own key becomes a 502 without Stripe's detail", async (status, type, message) => {
    standIn.on("POST", "/v1/customers", so.error(status, { type, message }));
    const err = await failure(stripe.createCustomer({ email: "a@example.com", metadata: {}, idempotencyKey: "k" }));
    expect(err).toBeInstanceOf(PaymentsAuthenticationError);
    expect(err).toMatchObject({ status: 502, type: "api_error", code: "payments_misconfigured" });
    expect(String(err.message)).not.toContain("sk_test");
  });

  it("a 429 becomes a 503 to retry later", async () => {
    standIn.on("POST", "/v1/customers", so.error(429, { type: "invalid_request_error", code: "rate_limit", message: "Too many requests" }));
    const err = await failure(stripe.createCustomer({ email: "a@example.com", metadata: {}, idempotencyKey: "k" }));
    expect(err).toBeInstanceOf(PaymentsRateLimitError);
    expect(err).toMatchObject({ status: 503, code: "payments_rate_limited" });
  });

  it.each([
    ["a 500", so.error(500, { type: "api_error", message: "Something went wrong on Stripe's end." })],
    ["a 503", so.error(503, { type: "api_error", message: "Service unavailable" })],
    ["an answer that is not JSON", { status: 200, body: undefined }],
  ])("%s becomes a 502 payments_unavailable", async (_name, reply) => {
    standIn.on("POST", "/v1/customers", reply);
    const err = await failure(stripe.createCustomer({ email: "a@example.com", metadata: {}, idempotencyKey: "k" }));
    expect(err).toBeInstanceOf(PaymentsUnavailableError);
    expect(err).toMatchObject({ status: 502, type: "api_error", code: "payments_unavailable" });
  });

  it("a refused connection becomes a 502 payments_unavailable", async () => {
    const unreachable = createStripeGateway({ secretKey: SECRET_KEY, host: "127.0.0.1", port: await closedPort(), protocol: "http", maxNetworkRetries: 0 });
    const err = await failure(unreachable.createCustomer({ email: "a@example.com", metadata: {}, idempotencyKey: "k" }));
    expect(err).toBeInstanceOf(PaymentsUnavailableError);
    expect(err).toMatchObject({ status: 502, code: "payments_unavailable" });
  });

  it("an answer slower than the timeout becomes a 504 payments_timeout", async () => {
    standIn.on("POST", "/v1/payment_intents", { hang: true });
    const impatient = createStripeGateway({ secretKey: SECRET_KEY, ...standIn.address, maxNetworkRetries: 0, timeoutMs: 200 });
    const err = await failure(impatient.createPaymentIntent(chargeInput));
    expect(err).toBeInstanceOf(PaymentsTimeoutError);
    expect(err).toMatchObject({ status: 504, type: "api_error", code: "payments_timeout" });
    expect(standIn.requests).toHaveLength(1);
  });

  it("retries a 5xx with the same idempotency key, so the charge happens once", async () => {
    standIn.on("POST", "/v1/payment_intents", so.error(500, { type: "api_error", message: "Something went wrong on Stripe's end." }), {
      body: so.paymentIntent({ id: "pi_retried", amount: 1000, currency: "usd", customer: "cus_1", paymentMethod: "pm_1" }),
    });
    const patient = createStripeGateway({ secretKey: SECRET_KEY, ...standIn.address, maxNetworkRetries: 1 });
    expect(await patient.createPaymentIntent(chargeInput)).toMatchObject({ id: "pi_retried", status: "succeeded" });
    expect(standIn.requests.map((r) => r.headers["idempotency-key"])).toEqual(["charge:x", "charge:x"]);
  });

  it("renders in our envelope: a decline as 402 with decline_code, an outage as 502 without detail", async () => {
    standIn.on("POST", "/v1/payment_intents", so.error(402, { type: "card_error", code: "card_declined", decline_code: "generic_decline", message: "Your card was declined." }));
    standIn.on("POST", "/v1/customers", so.error(500, { type: "api_error", message: "Internal detail from Stripe" }));
    const app = Fastify();
    await app.register(errorHandler);
    app.post("/charge", async () => stripe.createPaymentIntent(chargeInput));
    app.post("/customer", async () => stripe.createCustomer({ email: "a@example.com", metadata: {}, idempotencyKey: "k" }));
    const declined = await app.inject({ method: "POST", url: "/charge" });
    const outage = await app.inject({ method: "POST", url: "/customer" });
    await app.close();

    expect(declined.statusCode).toBe(402);
    expect(declined.json().error).toEqual({
      type: "card_error",
      code: "card_declined",
      decline_code: "generic_decline",
      message: "Your card was declined.",
      request_id: expect.any(String),
    });
    expect(outage.statusCode).toBe(502);
    expect(outage.headers["retry-after"]).toBe("1");
    expect(outage.json().error).toMatchObject({ type: "api_error", code: "payments_unavailable" });
    expect(outage.body).not.toContain("Internal detail");
  });
});

describe("webhooks", () => {
  const payload = JSON.stringify({ id: "evt_9", object: "event", type: "payment_intent.succeeded", livemode: true, data: { object: { id: "pi_9", object: "payment_intent" } } });
  const now = () => Math.floor(Date.now() / 1000);

  it("verifies a signed payload without calling Stripe", async () => {
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    expect(await stripe.verifyWebhook(payload, header)).toEqual({ id: "evt_9", type: "payment_intent.succeeded", objectId: "pi_9", livemode: true, account: null });
    expect(standIn.requests).toHaveLength(0);
  });

  it("refuses a wrong signature and a stale timestamp", async () => {
    const wrong = Stripe.webhooks.generateTestHeaderString({ payload, secret: "whsec_other" });
    const stale = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET, timestamp: now() - 600 });
    expect(await failure(stripe.verifyWebhook(payload, wrong))).toMatchObject({ status: 400, code: "webhook_signature_invalid" });
    const err = await failure(stripe.verifyWebhook(payload, stale));
    expect(err).toBeInstanceOf(WebhookSignatureError);
    expect(err).toMatchObject({ status: 400, code: "webhook_timestamp_too_old" });
  });

  it("refuses every webhook while STRIPE_WEBHOOK_SECRET is unset", async () => {
    const unset = createStripeGateway({ secretKey: SECRET_KEY, ...standIn.address });
    const header = Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const err = await failure(unset.verifyWebhook(payload, header));
    expect(err).toBeInstanceOf(WebhookSecretMissingError);
    expect(err).toMatchObject({ status: 503, code: "webhook_secret_missing" });
  });
});

describe("the app with STRIPE_SECRET_KEY", () => {
  it("uses the Stripe gateway and serves no offline onboarding page", async () => {
    const t = await createTestContext({ STRIPE_SECRET_KEY: SECRET_KEY });
    try {
      expect(t.app.services.payments.kind).toBe("stripe");
      expect(t.app.routeCatalog.some((r) => r.url.startsWith("/offline/"))).toBe(false);
      const res = await t.request({ method: "GET", url: "/offline/connect/onboard/acct_1?token=x" });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("route_not_found");
    } finally {
      await t.close();
    }
  });
});
