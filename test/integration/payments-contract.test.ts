import Stripe from "stripe";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../../src/lib/errors.js";
import { CardError } from "../../src/adapters/payments/errors.js";
import type { PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import { createStripeGateway } from "../../src/adapters/payments/stripe.js";
import { OFFLINE_WEBHOOK_SECRET } from "../../src/config.js";
import { createTestContext, type TestContext } from "../helpers/app.js";
import { startStripeStandIn, stripeObjects as so, type StripeStandIn } from "../helpers/stripe-stand-in.js";

/**
 * One contract, two implementations: each scenario runs against the offline simulator (on the
 * real test database) and against the Stripe gateway talking to a loopback server scripted to
 * answer as Stripe does, and both must give the same observable results. Ids are compared by
 * their Stripe shape (`cus_…`), since each side makes its own.
 */

const WEBHOOK_SECRET = "whsec_contract_secret";

let t: TestContext;
let standIn: StripeStandIn;
let gateways: Record<"offline" | "stripe", PaymentsGateway>;

beforeAll(async () => {
  t = await createTestContext({ STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET });
  standIn = await startStripeStandIn();
  gateways = {
    offline: t.app.services.payments,
    stripe: createStripeGateway({ secretKey: "sk_test_contract", webhookSecret: WEBHOOK_SECRET, ...standIn.address, maxNetworkRetries: 0 }),
  };
});
afterAll(async () => {
  await standIn.close();
  await t.close();
});
beforeEach(() => standIn.reset());

let n = 0;
const key = () => `contract:${++n}`;

/** What a caller can observe of an outcome: the value with ids reduced to their shape, or the error's public face. */
function observable(value: unknown): unknown {
  if (typeof value === "string") {
    return value.replace(/^(seti)_[A-Za-z0-9]+_secret_[A-Za-z0-9]+$/, "$1_…_secret_…").replace(/^(cus|pm|seti|pi|ch|acct|tr|re|trr|evt)_[A-Za-z0-9]+$/, "$1_…");
  }
  if (value instanceof Date) return "date";
  if (Array.isArray(value)) return value.map(observable);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, observable(v)]));
  return value;
}

async function outcome(run: () => Promise<unknown>): Promise<unknown> {
  try {
    return { ok: observable(await run()) };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const card = err instanceof CardError ? { declineCode: err.declineCode, paymentIntent: observable(err.paymentIntentId) } : {};
    return { error: { class: err.constructor.name, status: err.status, type: err.type, code: err.code, param: err.param ?? null, ...card } };
  }
}

interface Scenario {
  name: string;
  /** What Stripe answers in this scenario (the offline side needs no script). */
  script(stripe: StripeStandIn): void;
  run(gateway: PaymentsGateway): Promise<unknown[]>;
  expected: unknown[];
}

const visa = so.card("pm_1Visa", { brand: "visa", last4: "4242" }, "cus_A");
const declinedCard = so.card("pm_1Declined", { brand: "visa", last4: "0002" }, "cus_A");
const poorCard = so.card("pm_1Poor", { brand: "visa", last4: "9995" }, "cus_A");

async function customerWith(gateway: PaymentsGateway, token: string) {
  const customer = await gateway.createCustomer({ email: "buyer@example.com", metadata: { user_id: "user_1" }, idempotencyKey: key() });
  const pm = await gateway.attachPaymentMethod({ customerId: customer.id, paymentMethodId: token, idempotencyKey: key() });
  return { customerId: customer.id, paymentMethodId: pm.id };
}

function declineScript(stripe: StripeStandIn, card: unknown, declineCode: string, message: string) {
  stripe.on("POST", "/v1/customers", { body: so.customer("cus_A", "buyer@example.com") });
  stripe.on("POST", /^\/v1\/payment_methods\/.+\/attach$/, { body: card });
  stripe.on(
    "POST",
    "/v1/payment_intents",
    so.error(402, {
      type: "card_error",
      code: "card_declined",
      decline_code: declineCode,
      message,
      charge: "ch_1Failed",
      payment_intent: so.paymentIntent({ id: "pi_1Failed", amount: 1500, currency: "usd", customer: "cus_A", paymentMethod: "pm_1", status: "requires_payment_method" }),
    }),
  );
}

const declineRun = (token: string) => async (gateway: PaymentsGateway) => {
  const { customerId, paymentMethodId } = await customerWith(gateway, token);
  return [await outcome(() => gateway.createPaymentIntent({ amount: 1500, currency: "usd", customerId, paymentMethodId, metadata: {}, idempotencyKey: key() }))];
};

const scenarios: Scenario[] = [
  {
    name: "a buyer becomes a customer and saves a card for later",
    script(stripe) {
      stripe.on("POST", "/v1/customers", { body: so.customer("cus_A", "buyer@example.com") });
      stripe.on("POST", "/v1/setup_intents", { body: so.setupIntent("seti_A", "cus_A") });
      stripe.on("POST", "/v1/payment_methods/pm_card_visa/attach", { body: visa });
      stripe.on("POST", "/v1/customers/cus_A", { body: so.customer("cus_A", "buyer@example.com") });
      stripe.on("GET", "/v1/payment_methods/pm_1Visa", { body: visa });
    },
    async run(gateway) {
      const customer = await gateway.createCustomer({ email: "buyer@example.com", name: "Buyer", metadata: { user_id: "user_1" }, idempotencyKey: key() });
      const setup = await outcome(() => gateway.createSetupIntent({ customerId: customer.id, idempotencyKey: key() }));
      const pm = await gateway.attachPaymentMethod({ customerId: customer.id, paymentMethodId: "pm_card_visa", idempotencyKey: key() });
      const madeDefault = await outcome(() => gateway.setDefaultPaymentMethod({ customerId: customer.id, paymentMethodId: pm.id }));
      const retrieved = (await gateway.retrievePaymentMethod(pm.id)).customerId === customer.id;
      return [observable(customer), setup, observable(pm), madeDefault, retrieved];
    },
    expected: [
      { id: "cus_…" },
      { ok: { id: "seti_…", clientSecret: "seti_…_secret_…" } },
      { id: "pm_…", type: "card", brand: "visa", last4: "4242", expMonth: 12, expYear: 2034, funding: "credit", accountHolderType: null },
      { ok: undefined },
      true,
    ],
  },
  {
    name: "an off-session charge on a saved card succeeds",
    script(stripe) {
      stripe.on("POST", "/v1/customers", { body: so.customer("cus_A", "buyer@example.com") });
      stripe.on("POST", "/v1/payment_methods/pm_card_visa/attach", { body: visa });
      const intent = so.paymentIntent({
        id: "pi_A",
        amount: 2500,
        currency: "usd",
        customer: "cus_A",
        paymentMethod: "pm_1Visa",
        charge: "ch_A",
        metadata: { contract_id: "inv_1" },
      });
      stripe.on("POST", "/v1/payment_intents", { body: intent });
      stripe.on("GET", "/v1/payment_intents/pi_A", { body: intent });
    },
    async run(gateway) {
      const { customerId, paymentMethodId } = await customerWith(gateway, "pm_card_visa");
      const intent = await gateway.createPaymentIntent({
        amount: 2500,
        currency: "usd",
        customerId,
        paymentMethodId,
        transferGroup: "inv_1",
        metadata: { contract_id: "inv_1" },
        idempotencyKey: key(),
      });
      const again = await gateway.retrievePaymentIntent(intent.id);
      return [observable(intent), again.id === intent.id && again.customerId === customerId && again.paymentMethodId === paymentMethodId];
    },
    expected: [
      {
        id: "pi_…",
        status: "succeeded",
        amount: 2500,
        currency: "usd",
        chargeId: "ch_…",
        customerId: "cus_…",
        paymentMethodId: "pm_…",
        lastPaymentError: null,
        metadata: { contract_id: "inv_1" },
      },
      true,
    ],
  },
  {
    name: "pm_card_chargeDeclined attaches, then declines with card_declined / generic_decline",
    script: (stripe) => declineScript(stripe, declinedCard, "generic_decline", "Your card was declined."),
    run: declineRun("pm_card_chargeDeclined"),
    expected: [{ error: { class: "CardError", status: 402, type: "card_error", code: "card_declined", param: null, declineCode: "generic_decline", paymentIntent: "pi_…" } }],
  },
  {
    name: "pm_card_insufficientFunds declines with card_declined / insufficient_funds",
    script: (stripe) => declineScript(stripe, poorCard, "insufficient_funds", "Your card has insufficient funds."),
    run: declineRun("pm_card_insufficientFunds"),
    expected: [{ error: { class: "CardError", status: 402, type: "card_error", code: "card_declined", param: null, declineCode: "insufficient_funds", paymentIntent: "pi_…" } }],
  },
  {
    name: "an unknown payment method is a 400 resource_missing",
    script(stripe) {
      stripe.on("POST", "/v1/customers", { body: so.customer("cus_A", "buyer@example.com") });
      stripe.on(
        "POST",
        "/v1/payment_methods/pm_doesNotExist/attach",
        so.error(400, { type: "invalid_request_error", code: "resource_missing", message: "No such PaymentMethod: 'pm_doesNotExist'", param: "payment_method" }),
      );
    },
    async run(gateway) {
      const customer = await gateway.createCustomer({ email: "buyer@example.com", metadata: {}, idempotencyKey: key() });
      return [await outcome(() => gateway.attachPaymentMethod({ customerId: customer.id, paymentMethodId: "pm_doesNotExist", idempotencyKey: key() }))];
    },
    expected: [{ error: { class: "PaymentsRequestError", status: 400, type: "invalid_request_error", code: "resource_missing", param: "payment_method" } }],
  },
  {
    name: "a refund may take part of a charge, but not more than is left",
    script(stripe) {
      stripe.on("POST", "/v1/customers", { body: so.customer("cus_A", "buyer@example.com") });
      stripe.on("POST", "/v1/payment_methods/pm_card_visa/attach", { body: visa });
      stripe.on("POST", "/v1/payment_intents", { body: so.paymentIntent({ id: "pi_A", amount: 1000, currency: "usd", customer: "cus_A", paymentMethod: "pm_1Visa" }) });
      stripe.on(
        "POST",
        "/v1/refunds",
        { body: so.refund("re_A", 400, "pi_A") },
        so.error(400, {
          type: "invalid_request_error",
          code: "amount_too_large",
          message: "Refund amount ($7.00) is greater than unrefunded amount on charge ($6.00)",
          param: "amount",
        }),
      );
    },
    async run(gateway) {
      const { customerId, paymentMethodId } = await customerWith(gateway, "pm_card_visa");
      const intent = await gateway.createPaymentIntent({ amount: 1000, currency: "usd", customerId, paymentMethodId, metadata: {}, idempotencyKey: key() });
      return [
        await outcome(() => gateway.createRefund({ paymentIntentId: intent.id, amount: 400, metadata: {}, idempotencyKey: key() })),
        await outcome(() => gateway.createRefund({ paymentIntentId: intent.id, amount: 700, metadata: {}, idempotencyKey: key() })),
      ];
    },
    expected: [
      { ok: { id: "re_…", status: "succeeded", amount: 400 } },
      { error: { class: "PaymentsRequestError", status: 400, type: "invalid_request_error", code: "amount_too_large", param: "amount" } },
    ],
  },
  {
    name: "a new Connect account is not onboarded and cannot receive transfers",
    script(stripe) {
      stripe.on("POST", "/v1/accounts", { body: so.account("acct_A", false) });
      stripe.on("GET", "/v1/accounts/acct_A", { body: so.account("acct_A", false) });
      stripe.on(
        "POST",
        "/v1/transfers",
        so.error(400, {
          type: "invalid_request_error",
          code: "insufficient_capabilities_for_transfer",
          message: "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments",
          param: "destination",
        }),
      );
      stripe.on("POST", "/v1/account_links", { body: so.accountLink("https://connect.stripe.com/setup/e/acct_A/x", Math.floor(Date.now() / 1000) + 300) });
    },
    async run(gateway) {
      const { id } = await gateway.createConnectAccount({ email: "seller@example.com", metadata: { user_id: "user_2" }, idempotencyKey: key() });
      const link = await gateway.createAccountLink({ accountId: id, refreshUrl: "https://shop.test/refresh", returnUrl: "https://shop.test/done" });
      return [
        observable(await gateway.retrieveAccount(id)),
        await outcome(() => gateway.createTransfer({ amount: 500, currency: "usd", destination: id, metadata: {}, idempotencyKey: key() })),
        typeof link.url === "string" && link.expiresAt.getTime() > Date.now(),
      ];
    },
    expected: [
      { id: "acct_…", chargesEnabled: false, detailsSubmitted: false, payoutSchedule: null, bankLast4: null, country: "US", defaultCurrency: "usd" },
      { error: { class: "PaymentsRequestError", status: 400, type: "invalid_request_error", code: "insufficient_capabilities_for_transfer", param: "destination" } },
      true,
    ],
  },
  {
    name: "a Connect account's payout schedule is updated, then the account deleted: it is gone for reads and transfers",
    script(stripe) {
      const weekly = { ...so.account("acct_A", false), settings: { payouts: { schedule: { interval: "weekly", delay_days: 2, weekly_anchor: "friday" } } } };
      const gone = so.error(404, { type: "invalid_request_error", code: "resource_missing", message: "No such account: 'acct_A'" });
      stripe.on("POST", "/v1/accounts", { body: so.account("acct_A", false) });
      stripe.on("POST", "/v1/accounts/acct_A", { body: weekly });
      stripe.on("DELETE", "/v1/accounts/acct_A", { body: { id: "acct_A", object: "account", deleted: true } }, gone);
      stripe.on("GET", "/v1/accounts/acct_A", gone);
    },
    async run(gateway) {
      const { id } = await gateway.createConnectAccount({ email: "seller@example.com", metadata: { user_id: "user_3" }, idempotencyKey: key() });
      return [
        observable(await gateway.updateAccount({ accountId: id, payoutSchedule: { interval: "weekly", weeklyAnchor: "friday" } })),
        await outcome(() => gateway.deleteAccount(id)),
        await outcome(() => gateway.retrieveAccount(id)),
        await outcome(() => gateway.deleteAccount(id)),
      ];
    },
    expected: [
      {
        id: "acct_…",
        chargesEnabled: false,
        detailsSubmitted: false,
        payoutSchedule: { interval: "weekly", delayDays: 2, weeklyAnchor: "friday" },
        bankLast4: null,
        country: "US",
        defaultCurrency: "usd",
      },
      { ok: undefined },
      { error: { class: "PaymentsRequestError", status: 404, type: "invalid_request_error", code: "resource_missing", param: null } },
      { error: { class: "PaymentsRequestError", status: 404, type: "invalid_request_error", code: "resource_missing", param: null } },
    ],
  },
  {
    name: "an idempotency key reused for another request is refused",
    script(stripe) {
      stripe.on(
        "POST",
        "/v1/customers",
        { body: so.customer("cus_A", "first@example.com") },
        so.error(400, {
          type: "idempotency_error",
          message:
            "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k' if you meant to execute a different request.",
        }),
      );
    },
    async run(gateway) {
      const idempotencyKey = key();
      return [
        await outcome(() => gateway.createCustomer({ email: "first@example.com", metadata: {}, idempotencyKey })),
        await outcome(() => gateway.createCustomer({ email: "second@example.com", metadata: {}, idempotencyKey })),
      ];
    },
    expected: [{ ok: { id: "cus_…" } }, { error: { class: "PaymentsIdempotencyError", status: 400, type: "idempotency_error", code: "idempotency_key_reused", param: null } }],
  },
  {
    name: "webhooks verify with STRIPE_WEBHOOK_SECRET and refuse stale or forged signatures",
    script() {},
    async run(gateway) {
      const payload = JSON.stringify({ id: "evt_1", object: "event", type: "account.updated", livemode: false, data: { object: { id: "acct_1", object: "account" } } });
      const sign = (secret: string, timestamp?: number) => Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
      return [
        await outcome(() => gateway.verifyWebhook(payload, sign(WEBHOOK_SECRET))),
        await outcome(() => gateway.verifyWebhook(payload, sign(OFFLINE_WEBHOOK_SECRET))),
        await outcome(() => gateway.verifyWebhook(payload, sign(WEBHOOK_SECRET, Math.floor(Date.now() / 1000) - 3600))),
      ];
    },
    expected: [
      { ok: { id: "evt_…", type: "account.updated", objectId: "acct_…", livemode: false, account: null } },
      { error: { class: "WebhookSignatureError", status: 400, type: "invalid_request_error", code: "webhook_signature_invalid", param: "Stripe-Signature" } },
      { error: { class: "WebhookSignatureError", status: 400, type: "invalid_request_error", code: "webhook_timestamp_too_old", param: "Stripe-Signature" } },
    ],
  },
  {
    name: "a SetupIntent reads back unconfirmed, with its customer",
    script(stripe) {
      stripe.on("POST", "/v1/customers", { body: so.customer("cus_A", "buyer@example.com") });
      stripe.on("POST", "/v1/setup_intents", { body: so.setupIntent("seti_A", "cus_A") });
      stripe.on("GET", "/v1/setup_intents/seti_A", { body: { ...so.setupIntent("seti_A", "cus_A"), payment_method: null } });
    },
    async run(gateway) {
      const customer = await gateway.createCustomer({ email: "buyer@example.com", metadata: {}, idempotencyKey: key() });
      const setup = await gateway.createSetupIntent({ customerId: customer.id, idempotencyKey: key() });
      const read = await gateway.retrieveSetupIntent(setup.id);
      return [observable(read), read.id === setup.id && read.customerId === customer.id];
    },
    expected: [{ id: "seti_…", status: "requires_payment_method", customerId: "cus_…", paymentMethodId: null }, true],
  },
];

describe("both gateways keep the same contract", () => {
  it.each(scenarios.map((s) => [s.name, s] as const))("%s", async (_name, scenario) => {
    const offline = await scenario.run(gateways.offline);
    scenario.script(standIn);
    const stripe = await scenario.run(gateways.stripe);
    expect(offline).toEqual(scenario.expected);
    expect(stripe).toEqual(offline);
  });

  it("the Stripe side really went through the stand-in", async () => {
    scenarios[1]!.script(standIn);
    await scenarios[1]!.run(gateways.stripe);
    expect(standIn.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/customers",
      "POST /v1/payment_methods/pm_card_visa/attach",
      "POST /v1/payment_intents",
      "GET /v1/payment_intents/pi_A",
    ]);
  });
});
