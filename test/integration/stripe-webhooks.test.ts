import { randomBytes } from "node:crypto";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CardError } from "../../src/adapters/payments/errors.js";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { OFFLINE_WEBHOOK_SECRET } from "../../src/config.js";
import type { PaymentIntentOutcome } from "../../src/generated/prisma/client.js";
import { createBankAccountsService } from "../../src/modules/bank-accounts/bank-accounts.service.js";
import { createPaymentMethodsService } from "../../src/modules/payment-methods/payment-methods.service.js";
import { createStripeWebhooksService } from "../../src/modules/stripe-webhooks/stripe-webhooks.service.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { failure } from "../helpers/failure.js";

/**
 * `POST /v1/webhooks/stripe` with the offline simulator: payloads signed as Stripe signs them
 * (with the offline default secret), objects changed at the gateway the way Stripe's side would
 * change them, and our rows following what the gateway says — never what the payload says.
 */

let t: TestContext;
let acme: TestPlatform;
let gateway: OfflinePaymentsGateway;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", url: "https://acme.test" });
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t.close());

const now = () => Math.floor(Date.now() / 1000);
const eventId = () => `evt_${randomBytes(12).toString("hex")}`;

function stripeEvent(type: string, object: Record<string, unknown>, id = eventId()): string {
  return JSON.stringify({ id, object: "event", api_version: "2025-01-27.acacia", created: now(), livemode: false, type, data: { object } });
}

const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}) =>
  Stripe.webhooks.generateTestHeaderString({ payload, secret: options.secret ?? OFFLINE_WEBHOOK_SECRET, timestamp: options.timestamp ?? now() });

function deliver(payload: string, signature: string | null = sign(payload), contentType = "application/json; charset=utf-8") {
  return t.request({
    method: "POST",
    url: "/v1/webhooks/stripe",
    headers: { "content-type": contentType, ...(signature === null ? {} : { "stripe-signature": signature }) },
    payload,
  });
}

async function delivered(payload: string) {
  const res = await deliver(payload);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { received: true; id: string; type: string; status: string };
}

async function customerOf(user: TestUser): Promise<string> {
  const res = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) });
  expect(res.statusCode).toBe(200);
  return res.json().stripeCustomerId;
}

async function attach(user: TestUser, token: string) {
  const res = await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: token } });
  expect(res.statusCode).toBe(200);
  return res.json().paymentMethod as { id: string; stripePaymentMethodId: string; isDefault: boolean };
}

const rowsOf = (userId: string) => t.db.paymentMethod.findMany({ where: { userId }, orderBy: { created: "asc" } });

describe("signatures", () => {
  const payload = stripeEvent("customer.created", { id: "cus_sig", object: "customer" });

  it("accepts an event signed with the webhook secret, byte for byte as sent", async () => {
    const pretty = JSON.stringify(JSON.parse(stripeEvent("customer.created", { id: "cus_pretty", object: "customer" })), null, 2);
    const res = await deliver(pretty);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ received: true, id: JSON.parse(pretty).id, type: "customer.created", status: "ignored" });
  });

  it.each([
    ["signed with another secret", () => deliver(payload, sign(payload, { secret: "whsec_someone_else" })), "webhook_signature_invalid"],
    ["without a Stripe-Signature header", () => deliver(payload, null), "webhook_signature_invalid"],
    ["with a malformed header", () => deliver(payload, "t=1,v1=zz"), "webhook_signature_invalid"],
    ["changed after signing", () => deliver(payload.replace("cus_sig", "cus_evil"), sign(payload)), "webhook_signature_invalid"],
    ["signed more than 5 minutes ago", () => deliver(payload, sign(payload, { timestamp: now() - 301 })), "webhook_timestamp_too_old"],
    ["signed but not JSON", () => deliver("not json", sign("not json")), "webhook_payload_invalid"],
    ["signed but empty", () => deliver("", sign("")), "webhook_payload_invalid"],
  ])("refuses a delivery %s with a 400", async (_name, send, code) => {
    const res = await send();
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ type: "invalid_request_error", code });
    expect(await t.db.stripeEvent.count({ where: { objectId: "cus_evil" } })).toBe(0);
  });

  it("does not need an API key, whatever the content type", async () => {
    const plain = stripeEvent("balance.available", { id: "bal_1", object: "balance" });
    const res = await deliver(plain, sign(plain), "text/plain");
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe("ignored");
  });

  it("is public, not rate limited, and documented", async () => {
    expect(t.app.routeCatalog.find((r) => r.url === "/v1/webhooks/stripe")).toMatchObject({ method: "POST", auth: "public", hidden: false });
    const spec = (await t.request({ method: "GET", url: "/openapi.json" })).json();
    expect(spec.paths["/v1/webhooks/stripe"].post).toMatchObject({ operationId: "receiveStripeWebhook", security: [] });
  });
});

describe("duplicates and replays", () => {
  it("acts on an event once: a second delivery, or a replay re-signed later, is a duplicate", async () => {
    const user = await t.createUser(acme);
    const account = (await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(user.token) })).json().stripeConnectId;
    const payload = stripeEvent("account.updated", { id: account, object: "account" });
    expect((await delivered(payload)).status).toBe("processed");
    expect((await delivered(payload)).status).toBe("duplicate");
    const replay = await deliver(payload, sign(payload, { timestamp: now() - 120 }));
    expect(replay.json().status).toBe("duplicate");
    expect(await t.db.stripeEvent.findUnique({ where: { id: JSON.parse(payload).id } })).toMatchObject({ type: "account.updated", objectId: account, outcome: "processed" });
  });

  it("processes one of several deliveries of one event arriving at once", async () => {
    const user = await t.createUser(acme);
    await customerOf(user);
    const pm = await attach(user, "pm_card_visa");
    await gateway.detachPaymentMethod({ paymentMethodId: pm.stripePaymentMethodId });
    const payload = stripeEvent("payment_method.detached", { id: pm.stripePaymentMethodId, object: "payment_method" });
    const answers = await Promise.all(Array.from({ length: 6 }, () => deliver(payload)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(200));
    expect(answers.map((a) => a.json().status).sort()).toEqual(["duplicate", "duplicate", "duplicate", "duplicate", "duplicate", "processed"]);
    expect(await t.db.stripeEvent.count({ where: { id: JSON.parse(payload).id } })).toBe(1);
    expect(await rowsOf(user.id)).toEqual([]);
  });

  it("answers 200 to event types it does not act on, and to objects the gateway does not have", async () => {
    expect((await delivered(stripeEvent("charge.refunded", { id: "ch_1", object: "charge" }))).status).toBe("ignored");
    expect((await delivered(stripeEvent("payment_method.attached", { id: "pm_doesNotExist", object: "payment_method" }))).status).toBe("ignored");
    expect((await delivered(stripeEvent("account.updated", { object: "account" }))).status).toBe("ignored");
  });
});

describe("account.updated", () => {
  it("re-reads the account and updates its user's status, payout schedule and bank", async () => {
    const user = await t.createUser(acme);
    const account = (await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(user.token) })).json().stripeConnectId;
    // Onboarding finished on Stripe's side, with weekly payouts.
    await t.db.simAccount.update({
      where: { id: account },
      data: { chargesEnabled: true, detailsSubmitted: true, payoutInterval: "weekly", payoutDelayDays: 7, payoutWeeklyAnchor: "friday", bankLast4: "1116" },
    });
    // The payload says otherwise: it is not what counts.
    const res = await delivered(stripeEvent("account.updated", { id: account, object: "account", charges_enabled: false, details_submitted: false }));
    expect(res.status).toBe("processed");
    expect(await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({
      chargesEnabled: true,
      detailsSubmitted: true,
      payoutSchedule: { interval: "weekly", delay_days: 7, weekly_anchor: "friday" },
      bankLast4: "1116",
    });
    const me = (await t.request({ method: "GET", url: "/v1/users/auth/bank_account", headers: bearer(user.token) })).json();
    expect(me.bankAccount).toEqual({
      id: account,
      user_id: user.id,
      chargesEnabled: true,
      detailsSubmitted: true,
      payoutSchedule: { interval: "weekly", delayDays: 7, weeklyAnchor: "friday" },
      last4: "1116",
    });
  });

  it("ignores an event of live mode: the offline simulator is Stripe's test mode", async () => {
    const user = await t.createUser(acme);
    const account = (await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(user.token) })).json().stripeConnectId;
    await t.db.simAccount.update({ where: { id: account }, data: { chargesEnabled: true, detailsSubmitted: true } });
    const live = JSON.stringify({ ...JSON.parse(stripeEvent("account.updated", { id: account, object: "account" })), livemode: true });
    expect((await delivered(live)).status).toBe("ignored");
    expect(await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ chargesEnabled: false, detailsSubmitted: false });
  });

  it("changes nothing for an account that is no user's", async () => {
    const { id } = await gateway.createConnectAccount({ email: "nobody@example.com", metadata: {}, idempotencyKey: `test:acct:${eventId()}` });
    expect((await delivered(stripeEvent("account.updated", { id, object: "account" }))).status).toBe("processed");
    expect(await t.db.user.count({ where: { stripeConnectId: id } })).toBe(0);
  });
});

describe("payment_method.attached / detached / updated", () => {
  it("attached: records a payment method attached to the user's customer elsewhere (first one: the default)", async () => {
    const user = await t.createUser(acme);
    const customerId = await customerOf(user);
    const pm = await gateway.attachPaymentMethod({ customerId, paymentMethodId: "pm_card_mastercard", idempotencyKey: `test:attach:${eventId()}` });
    expect((await delivered(stripeEvent("payment_method.attached", { id: pm.id, object: "payment_method", customer: customerId }))).status).toBe("processed");
    expect(await rowsOf(user.id)).toMatchObject([{ stripePaymentMethodId: pm.id, brand: "mastercard", last4: "4444", isDefault: true, platformId: acme.id, mode: "test" }]);
    expect((await t.db.simCustomer.findUniqueOrThrow({ where: { id: customerId } })).defaultPaymentMethodId).toBe(pm.id);
  });

  it("attached: a payload naming another customer changes nothing the gateway does not confirm", async () => {
    const victim = await t.createUser(acme);
    const victimCustomer = await customerOf(victim);
    const other = await t.createUser(acme);
    const otherCustomer = await customerOf(other);
    const pm = await gateway.attachPaymentMethod({ customerId: otherCustomer, paymentMethodId: "pm_card_visa", idempotencyKey: `test:attach:${eventId()}` });
    await delivered(stripeEvent("payment_method.attached", { id: pm.id, object: "payment_method", customer: victimCustomer }));
    expect(await rowsOf(victim.id)).toEqual([]);
    expect(await rowsOf(other.id)).toHaveLength(1);
  });

  it("detached: forgets the payment method and promotes another default", async () => {
    const user = await t.createUser(acme);
    const visa = await attach(user, "pm_card_visa");
    const amex = await attach(user, "pm_card_amex");
    await gateway.detachPaymentMethod({ paymentMethodId: visa.stripePaymentMethodId });
    expect((await delivered(stripeEvent("payment_method.detached", { id: visa.stripePaymentMethodId, object: "payment_method", customer: null }))).status).toBe("processed");
    expect(await rowsOf(user.id)).toMatchObject([{ id: amex.id, isDefault: true }]);
    const customerId = (await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).stripeCustomerId!;
    expect((await t.db.simCustomer.findUniqueOrThrow({ where: { id: customerId } })).defaultPaymentMethodId).toBe(amex.stripePaymentMethodId);
  });

  it("detached: keeps a payment method the gateway says is still attached", async () => {
    const user = await t.createUser(acme);
    const visa = await attach(user, "pm_card_visa");
    await delivered(stripeEvent("payment_method.detached", { id: visa.stripePaymentMethodId, object: "payment_method", customer: null }));
    expect(await rowsOf(user.id)).toMatchObject([{ id: visa.id, isDefault: true }]);
  });

  it("updated: refreshes the card's details", async () => {
    const user = await t.createUser(acme);
    const visa = await attach(user, "pm_card_visa");
    await t.db.simPaymentMethod.update({ where: { id: visa.stripePaymentMethodId }, data: { expMonth: 3, expYear: 2036 } });
    await delivered(stripeEvent("payment_method.updated", { id: visa.stripePaymentMethodId, object: "payment_method" }));
    expect(await rowsOf(user.id)).toMatchObject([{ id: visa.id, expMonth: 3, expYear: 2036, isDefault: true }]);
  });
});

describe("setup_intent.succeeded", () => {
  it("records the payment method a SetupIntent saved (confirmed on the offline stand-in for Stripe.js)", async () => {
    const user = await t.createUser(acme);
    const { setupIntentId, clientSecret } = (await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) })).json();
    const pending = stripeEvent("setup_intent.succeeded", { id: setupIntentId, object: "setup_intent", status: "succeeded" });
    expect((await delivered(pending)).status).toBe("ignored");

    const confirm = await t.request({
      method: "POST",
      url: `/offline/setup_intents/${setupIntentId}/confirm`,
      payload: { client_secret: clientSecret, payment_method: "pm_card_visa" },
    });
    expect(confirm.statusCode).toBe(200);
    expect(confirm.json()).toMatchObject({ id: setupIntentId, object: "setup_intent", status: "succeeded", payment_method: expect.stringMatching(/^pm_/) });

    expect((await delivered(stripeEvent("setup_intent.succeeded", { id: setupIntentId, object: "setup_intent" }))).status).toBe("processed");
    expect(await rowsOf(user.id)).toMatchObject([{ stripePaymentMethodId: confirm.json().payment_method, brand: "visa", last4: "4242", isDefault: true }]);
    // Attaching the confirmed payment method too (what a frontend does next) changes nothing.
    const again = await t.request({
      method: "POST",
      url: "/v1/users/auth/payment_methods",
      headers: bearer(user.token),
      payload: { payment_method: confirm.json().payment_method },
    });
    expect(again.json().paymentMethods).toHaveLength(1);
  });

  it("the offline confirmation page wants the intent's client secret, and confirms once", async () => {
    const user = await t.createUser(acme);
    const { setupIntentId, clientSecret } = (await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) })).json();
    const url = `/offline/setup_intents/${setupIntentId}/confirm`;
    expect((await t.request({ method: "POST", url, payload: { client_secret: `${setupIntentId}_secret_wrong`, payment_method: "pm_card_visa" } })).statusCode).toBe(404);
    const unknown = await t.request({ method: "POST", url, payload: { client_secret: clientSecret, payment_method: "pm_doesNotExist" } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: "resource_missing", param: "payment_method" });
    expect((await t.request({ method: "POST", url, payload: { client_secret: clientSecret, payment_method: "pm_card_visa" } })).statusCode).toBe(200);
    const twice = await t.request({ method: "POST", url, payload: { client_secret: clientSecret, payment_method: "pm_card_amex" } });
    expect(twice.statusCode).toBe(400);
    expect(twice.json().error.code).toBe("setup_intent_unexpected_state");
    expect(t.app.routeCatalog.find((r) => r.url === "/offline/setup_intents/:setupIntentId/confirm")).toMatchObject({ auth: "public", hidden: true });
  });
});

describe("payment_intent.succeeded / payment_failed", () => {
  it("records a payment's outcome for settlement, with the buyer found from its metadata", async () => {
    const user = await t.createUser(acme);
    const pm = await attach(user, "pm_card_visa");
    const customerId = (await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).stripeCustomerId!;
    const intent = await gateway.createPaymentIntent({
      amount: 2500,
      currency: "usd",
      customerId,
      paymentMethodId: pm.stripePaymentMethodId,
      metadata: { user_id: user.id, platform_id: acme.id, contract_id: "inv_future" },
      idempotencyKey: `test:charge:${eventId()}`,
    });
    expect((await delivered(stripeEvent("payment_intent.succeeded", { id: intent.id, object: "payment_intent", status: "succeeded" }))).status).toBe("processed");
    expect(await t.db.paymentIntentOutcome.findUnique({ where: { id: intent.id } })).toMatchObject({
      platformId: acme.id,
      mode: "test",
      userId: user.id,
      customerId,
      paymentMethodId: pm.stripePaymentMethodId,
      chargeId: intent.chargeId,
      status: "succeeded",
      amount: 2500,
      currency: "usd",
      errorCode: null,
      metadata: { user_id: user.id, platform_id: acme.id, contract_id: "inv_future" },
      livemode: false,
    });
  });

  it("records a decline with Stripe's codes, the buyer found from the customer", async () => {
    const user = await t.createUser(acme);
    const pm = await attach(user, "pm_card_chargeDeclined");
    const customerId = (await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).stripeCustomerId!;
    const declined = await failure(
      gateway.createPaymentIntent({
        amount: 900,
        currency: "usd",
        customerId,
        paymentMethodId: pm.stripePaymentMethodId,
        metadata: {},
        idempotencyKey: `test:charge:${eventId()}`,
      }),
    );
    expect(declined).toBeInstanceOf(CardError);
    const intentId = (declined as unknown as CardError).paymentIntentId!;
    // Whatever the payload claims, the outcome is the gateway's.
    await delivered(stripeEvent("payment_intent.payment_failed", { id: intentId, object: "payment_intent", status: "succeeded" }));
    expect(await t.db.paymentIntentOutcome.findUnique({ where: { id: intentId } })).toMatchObject({
      platformId: acme.id,
      userId: user.id,
      status: "requires_payment_method",
      errorCode: "card_declined",
      declineCode: "generic_decline",
      errorMessage: "Your card was declined.",
    });
  });

  it("hands each outcome to settlement's handlers inside the event's transaction, once per event", async () => {
    const calls: PaymentIntentOutcome[] = [];
    let fail = true;
    const users = t.app.services.users;
    const paymentMethods = createPaymentMethodsService({ db: t.db, payments: gateway, users, log: t.app.log });
    const webhooks = createStripeWebhooksService({
      db: t.db,
      payments: gateway,
      bankAccounts: createBankAccountsService({ db: t.db, payments: gateway, users }),
      paymentMethods,
      livemode: false,
      clock: { now: () => new Date() },
      log: t.app.log,
      onPaymentOutcome: [
        async (outcome, tx) => {
          // Settlement writes its own records in `tx`; a failure rolls the whole event back.
          expect(await tx.paymentIntentOutcome.findUnique({ where: { id: outcome.id } })).not.toBeNull();
          if (fail) throw new Error("settlement is down");
          calls.push(outcome);
        },
      ],
    });
    const user = await t.createUser(acme);
    const pm = await attach(user, "pm_card_visa");
    const customerId = (await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).stripeCustomerId!;
    const intent = await gateway.createPaymentIntent({
      amount: 700,
      currency: "usd",
      customerId,
      paymentMethodId: pm.stripePaymentMethodId,
      metadata: {},
      idempotencyKey: `test:charge:${eventId()}`,
    });
    const payload = stripeEvent("payment_intent.succeeded", { id: intent.id, object: "payment_intent" });
    const delivery = () => webhooks.receive({ rawBody: Buffer.from(payload), signature: sign(payload) });

    await expect(delivery()).rejects.toThrow("settlement is down");
    expect(await t.db.stripeEvent.count({ where: { id: JSON.parse(payload).id } })).toBe(0);
    expect(await t.db.paymentIntentOutcome.count({ where: { id: intent.id } })).toBe(0);

    fail = false;
    expect(await delivery()).toMatchObject({ status: "processed" });
    expect(await delivery()).toMatchObject({ status: "duplicate" });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ id: intent.id, status: "succeeded", userId: user.id, amount: 700 });
  });
});

describe("housekeeping", () => {
  it("forgets processed events after 30 days, in the hourly sweep", async () => {
    const old = eventId();
    await t.db.stripeEvent.create({ data: { id: old, type: "account.updated", livemode: false, outcome: "processed", received: new Date(Date.now() - 31 * 86_400_000) } });
    const recent = JSON.parse(stripeEvent("charge.captured", { id: "ch_2" })).id as string;
    await t.db.stripeEvent.create({ data: { id: recent, type: "charge.captured", livemode: false, outcome: "ignored" } });
    await t.app.services.tasks["sweep-idempotency"]!({}, {} as never);
    expect(await t.db.stripeEvent.findUnique({ where: { id: old } })).toBeNull();
    expect(await t.db.stripeEvent.findUnique({ where: { id: recent } })).not.toBeNull();
  });
});
