import { randomBytes } from "node:crypto";
import type { LightMyRequestResponse } from "fastify";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentsRequestError, PaymentsUnavailableError } from "../../src/adapters/payments/errors.js";
import type { PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { OFFLINE_WEBHOOK_SECRET } from "../../src/config.js";
import { newId } from "../../src/lib/ids.js";
import { createBankAccountsService } from "../../src/modules/bank-accounts/bank-accounts.service.js";
import { EVENT_TYPES } from "../../src/modules/events/event-types.js";
import { createPaymentMethodsService } from "../../src/modules/payment-methods/payment-methods.service.js";
import { createStripeWebhooksService } from "../../src/modules/stripe-webhooks/stripe-webhooks.service.js";
import { recordSettlementTransactions } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { startReceiver, type Receiver } from "../helpers/receiver.js";
import { settleContract } from "../helpers/settlement.js";

/**
 * The events of calendars, payment methods, bank accounts, Stripe webhook effects and
 * transactions: each change records its event — the object as the API renders it after the change
 * — in the change's own transaction, and webhook endpoints receive them.
 */

interface ApiEvent {
  id: string;
  platform_id: string;
  mode: string;
  type: string;
  object_type: string;
  object_id: string;
  data: { object: Record<string, unknown> };
  request_id: string | null;
  created: string;
}

/** What the gateway does with refunds next: work, be unreachable, or refuse. */
let refunds: "up" | "down" | "refuse" = "up";
function switchable(gateway: PaymentsGateway): PaymentsGateway {
  return {
    ...gateway,
    createRefund: async (input) => {
      if (refunds === "down") throw new PaymentsUnavailableError();
      if (refunds === "refuse") throw new PaymentsRequestError("charge_disputed", "The charge is disputed.");
      return gateway.createRefund(input);
    },
  };
}

let t: TestContext;
let acme: TestPlatform;
let gateway: OfflinePaymentsGateway;
const receivers: Receiver[] = [];

beforeAll(async () => {
  t = await createTestContext({ WEBHOOKS_ALLOW_PRIVATE: "true", JOBS_WORKER: "true", WEBHOOK_RETRY_BASE: "1", WEBHOOK_TIMEOUT: "2000" }, { payments: switchable });
  acme = await t.createPlatform({ name: "Acme", url: "https://acme.test/settings", feePercent: 2.5 });
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(async () => {
  await t.close();
  await Promise.all(receivers.map((r) => r.close()));
});

const key = () => bearer(acme.apiKey);

async function events(query = ""): Promise<{ data: ApiEvent[]; meta: { total: number } }> {
  const res = await t.request({ method: "GET", url: `/v1/events${query}`, headers: key() });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const total = async () => (await events("?per_page=1")).meta.total;

/** The events about one object, oldest first. */
async function eventsAbout(objectId: string): Promise<ApiEvent[]> {
  return (await events(`?filter[object_id]=${objectId}&per_page=100`)).data.reverse();
}

/** The events a request's changes recorded, oldest first. */
async function eventsOf(res: LightMyRequestResponse): Promise<ApiEvent[]> {
  expect(res.statusCode, res.body).toBeLessThan(300);
  const requestId = res.headers["request-id"];
  expect(requestId).toBeTruthy();
  return (await events("?per_page=100")).data.filter((e) => e.request_id === requestId).reverse();
}

/** The one event of `type` the request recorded, holding `object` (default: what it answered). */
async function expectEventOf(res: LightMyRequestResponse, type: string, object: Record<string, unknown> = res.json(), objectType?: string) {
  const found = (await eventsOf(res)).filter((e) => e.type === type);
  expect(found, `${type} events of the request`).toHaveLength(1);
  expect(found[0]).toMatchObject({ type, object_id: object.id, platform_id: acme.id, mode: "test", ...(objectType ? { object_type: objectType } : {}) });
  expect(found[0]!.data.object).toEqual(object);
  return found[0]!;
}

// ── Stripe webhooks, signed as Stripe signs them ─────────────────────────────────────────────────

const stripeEventId = () => `evt_${randomBytes(12).toString("hex")}`;
function stripeEvent(type: string, object: Record<string, unknown>): string {
  return JSON.stringify({
    id: stripeEventId(),
    object: "event",
    api_version: "2025-01-27.acacia",
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type,
    data: { object },
  });
}
const sign = (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload, secret: OFFLINE_WEBHOOK_SECRET });
async function deliverToStripeEndpoint(type: string, object: Record<string, unknown>) {
  const payload = stripeEvent(type, object);
  const res = await t.request({ method: "POST", url: "/v1/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": sign(payload) }, payload });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().status).toBe("processed");
}

// ── calendars ────────────────────────────────────────────────────────────────────────────────────

describe("calendars", () => {
  const createEvent = (user: TestUser, payload: Record<string, unknown>) => t.request({ method: "POST", url: "/v1/calendars/auth/event", headers: bearer(user.token), payload });

  it("calendar.created on first use, once", async () => {
    const user = await t.createUser(acme);
    const first = await t.request({ method: "GET", url: "/v1/calendars/auth", headers: bearer(user.token) });
    await expectEventOf(first, "calendar.created", first.json(), "calendar");
    const again = await t.request({ method: "GET", url: "/v1/calendars/auth", headers: bearer(user.token) });
    expect(await eventsOf(again)).toEqual([]);
    expect((await eventsAbout(first.json().id)).map((e) => e.type)).toEqual(["calendar.created"]);
  });

  it("calendar.availability_updated with the calendar after the change (first use: calendar.created before it)", async () => {
    const user = await t.createUser(acme);
    const set = await t.request({
      method: "POST",
      url: "/v1/calendars/auth/availability",
      headers: bearer(user.token),
      payload: [{ dayOfWeek: "monday", startTime: "09:00", endTime: "17:00" }],
    });
    expect((await eventsOf(set)).map((e) => e.type)).toEqual(["calendar.created", "calendar.availability_updated"]);
    const event = await expectEventOf(set, "calendar.availability_updated", set.json(), "calendar");
    expect(event.data.object.availability).toMatchObject([{ dayOfWeek: "monday", startTime: "09:00:00", endTime: "17:00:00" }]);

    const replaced = await t.request({
      method: "PUT",
      url: "/v1/calendars/auth/availability",
      headers: bearer(user.token),
      payload: [{ dayOfWeek: "friday", startTime: "10:00", endTime: "11:00" }],
    });
    expect((await eventsOf(replaced)).map((e) => e.type)).toEqual(["calendar.availability_updated"]);
    await expectEventOf(replaced, "calendar.availability_updated");

    const invalid = await t.request({
      method: "PUT",
      url: "/v1/calendars/auth/availability",
      headers: bearer(user.token),
      payload: [{ dayOfWeek: "friday", startTime: "11:00", endTime: "10:00" }],
    });
    expect(invalid.statusCode).toBe(400);
    expect((await eventsAbout(set.json().id)).map((e) => e.type)).toEqual(["calendar.created", "calendar.availability_updated", "calendar.availability_updated"]);
  });

  it("calendar_event.created / .updated / .deleted, each with the event after the change (deleted: as it was)", async () => {
    const user = await t.createUser(acme);
    const other = await t.createUser(acme);
    const created = await createEvent(user, {
      title: "Focus",
      eventStart: "2031-03-03T10:00:00Z",
      eventEnd: "2031-03-03T11:00:00Z",
      isUnavailable: true,
      attendees: [{ user_id: other.id }],
    });
    expect(created.statusCode).toBe(201);
    const event = await expectEventOf(created, "calendar_event.created", created.json(), "calendar_event");
    expect(event.data.object.attendees).toMatchObject([{ user_id: other.id, email: other.email }]);
    const id = created.json().id as string;

    const moved = await t.request({
      method: "PUT",
      url: `/v1/calendars/auth/event/${id}`,
      headers: bearer(user.token),
      payload: { eventStart: "2031-03-03T12:00:00Z", eventEnd: "2031-03-03T13:00:00Z" },
    });
    expect((await expectEventOf(moved, "calendar_event.updated")).data.object.eventStart).toBe("2031-03-03T12:00:00Z");
    const cancelled = await t.request({ method: "PUT", url: `/v1/calendars/auth/event/${id}`, headers: bearer(user.token), payload: { cancelled: true, attendees: [] } });
    expect((await expectEventOf(cancelled, "calendar_event.updated")).data.object).toMatchObject({ cancelled: true, attendees: [] });

    const removed = await t.request({ method: "DELETE", url: `/v1/calendars/auth/event/${id}`, headers: bearer(user.token) });
    expect(removed.json()).toMatchObject({ id, cancelled: true });
    await expectEventOf(removed, "calendar_event.deleted");
    expect((await t.request({ method: "DELETE", url: `/v1/calendars/auth/event/${id}`, headers: bearer(user.token) })).statusCode).toBe(404);

    expect((await eventsAbout(id)).map((e) => e.type)).toEqual(["calendar_event.created", "calendar_event.updated", "calendar_event.updated", "calendar_event.deleted"]);
  });

  it("records nothing for a change refused (a taken slot, an unknown attendee, a subscription's event)", async () => {
    const user = await t.createUser(acme);
    const taken = await createEvent(user, { eventStart: "2031-04-07T10:00:00Z", eventEnd: "2031-04-07T11:00:00Z", isUnavailable: true });
    const before = await total();
    const clash = await createEvent(user, { eventStart: "2031-04-07T10:30:00Z", eventEnd: "2031-04-07T11:30:00Z", isUnavailable: true });
    expect(clash.json().error.code).toBe("slot_taken");
    // The attendee is checked after the event row is written: the rollback takes both.
    const unknown = await createEvent(user, { eventStart: "2031-04-08T10:00:00Z", eventEnd: "2031-04-08T11:00:00Z", isUnavailable: true, attendees: [{ user_id: newId("user") }] });
    expect(unknown.statusCode).toBe(404);
    const badUpdate = await t.request({
      method: "PUT",
      url: `/v1/calendars/auth/event/${taken.json().id}`,
      headers: bearer(user.token),
      payload: { attendees: [{ user_id: newId("user") }] },
    });
    expect(badUpdate.statusCode).toBe(404);
    await t.db.calendarEvent.update({ where: { id: taken.json().id }, data: { subscriptionId: newId("subscription") } });
    expect((await t.request({ method: "DELETE", url: `/v1/calendars/auth/event/${taken.json().id}`, headers: bearer(user.token) })).statusCode).toBe(409);
    expect(await total()).toBe(before);
    expect(await t.db.calendarEvent.count({ where: { userId: user.id } })).toBe(1);
  });
});

// ── payment methods ──────────────────────────────────────────────────────────────────────────────

describe("payment methods", () => {
  const attach = (user: TestUser, token: string) =>
    t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: token } });
  const listed = async (user: TestUser) =>
    (await t.request({ method: "GET", url: "/v1/users/auth/payment_methods", headers: bearer(user.token) })).json().paymentMethods as Record<string, unknown>[];

  it("payment_method.attached (and user.updated for the new Stripe customer); nothing for attaching it again", async () => {
    const user = await t.createUser(acme);
    const res = await attach(user, "pm_card_visa");
    expect((await eventsOf(res)).map((e) => e.type)).toEqual(["user.updated", "payment_method.attached"]);
    const event = await expectEventOf(res, "payment_method.attached", res.json().paymentMethod, "payment_method");
    expect(event.data.object).toMatchObject({ user_id: user.id, isDefault: true, brand: "visa", last4: "4242" });
    const customer = (await eventsOf(res))[0]!;
    expect(customer).toMatchObject({ object_type: "user", object_id: user.id });
    expect(customer.data.object.stripeCustomerId).toBe(res.json().stripeCustomerId);

    const second = await attach(user, "pm_card_mastercard");
    expect((await eventsOf(second)).map((e) => e.type)).toEqual(["payment_method.attached"]);
    expect((await expectEventOf(second, "payment_method.attached", second.json().paymentMethod)).data.object.isDefault).toBe(false);
    const same = await attach(user, second.json().paymentMethod.stripePaymentMethodId);
    expect(same.statusCode).toBe(200);
    expect(await eventsOf(same)).toEqual([]);
  });

  it("payment_method.default_changed for the new default (not when it already is)", async () => {
    const user = await t.createUser(acme);
    await attach(user, "pm_card_visa");
    const amex = (await attach(user, "pm_card_amex")).json().paymentMethod;
    const res = await t.request({ method: "PUT", url: `/v1/users/auth/payment_methods/${amex.id}/default`, headers: bearer(user.token) });
    expect((await eventsOf(res)).map((e) => e.type)).toEqual(["payment_method.default_changed"]);
    await expectEventOf(res, "payment_method.default_changed", (res.json().paymentMethods as { id: string }[]).find((pm) => pm.id === amex.id)!);
    const again = await t.request({ method: "PUT", url: `/v1/users/auth/payment_methods/${amex.id}/default`, headers: bearer(user.token) });
    expect(again.statusCode).toBe(200);
    expect(await eventsOf(again)).toEqual([]);
  });

  it("payment_method.detached as it was; removing the default also records the one taking over", async () => {
    const user = await t.createUser(acme);
    const visa = (await attach(user, "pm_card_visa")).json().paymentMethod;
    const amex = (await attach(user, "pm_card_amex")).json().paymentMethod;
    const discover = (await attach(user, "pm_card_discover")).json().paymentMethod;

    const plain = await t.request({ method: "DELETE", url: `/v1/users/auth/payment_methods/${amex.id}`, headers: bearer(user.token) });
    expect((await eventsOf(plain)).map((e) => e.type)).toEqual(["payment_method.detached"]);
    await expectEventOf(plain, "payment_method.detached", amex);

    const res = await t.request({ method: "DELETE", url: `/v1/users/auth/payment_methods/${visa.id}`, headers: bearer(user.token) });
    expect((await eventsOf(res)).map((e) => e.type)).toEqual(["payment_method.detached", "payment_method.default_changed"]);
    await expectEventOf(res, "payment_method.detached", visa);
    await expectEventOf(res, "payment_method.default_changed", { ...discover, isDefault: true });
    expect(await listed(user)).toEqual([{ ...discover, isDefault: true }]);
  });

  it("records nothing for a change refused", async () => {
    const user = await t.createUser(acme);
    await attach(user, "pm_card_visa");
    const before = await total();
    expect((await t.request({ method: "DELETE", url: "/v1/users/auth/payment_methods/pmeth_00000000000000000000000000000000", headers: bearer(user.token) })).statusCode).toBe(404);
    expect((await t.request({ method: "PUT", url: "/v1/users/auth/payment_methods/pm_unknown/default", headers: bearer(user.token) })).statusCode).toBe(404);
    const noEmail = await t.createUser(acme);
    await t.db.user.update({ where: { id: noEmail.id }, data: { email: null } });
    expect((await attach(noEmail, "pm_card_visa")).statusCode).toBe(409);
    expect(await total()).toBe(before);
  });

  it("Stripe webhooks record attached, updated, detached and default_changed, in the webhook's transaction", async () => {
    const user = await t.createUser(acme);
    const visa = (await attach(user, "pm_card_visa")).json();
    const customerId = visa.stripeCustomerId as string;
    const elsewhere = await gateway.attachPaymentMethod({ customerId, paymentMethodId: "pm_card_mastercard", idempotencyKey: `test:attach:${stripeEventId()}` });
    await deliverToStripeEndpoint("payment_method.attached", { id: elsewhere.id, object: "payment_method" });
    const mastercard = (await listed(user)).find((pm) => pm.stripePaymentMethodId === elsewhere.id)!;
    const [attached] = await eventsAbout(mastercard.id as string);
    expect(attached).toMatchObject({ type: "payment_method.attached", request_id: null, object_type: "payment_method" });
    expect(attached!.data.object).toEqual(mastercard);

    await t.db.simPaymentMethod.update({ where: { id: elsewhere.id }, data: { expMonth: 4, expYear: 2037 } });
    await deliverToStripeEndpoint("payment_method.updated", { id: elsewhere.id, object: "payment_method" });
    const updated = (await eventsAbout(mastercard.id as string)).at(-1)!;
    expect(updated).toMatchObject({ type: "payment_method.updated", request_id: null });
    expect(updated.data.object).toEqual({ ...mastercard, expMonth: 4, expYear: 2037 });

    const visaPm = visa.paymentMethod as { id: string; stripePaymentMethodId: string };
    await gateway.detachPaymentMethod({ paymentMethodId: visaPm.stripePaymentMethodId });
    await deliverToStripeEndpoint("payment_method.detached", { id: visaPm.stripePaymentMethodId, object: "payment_method" });
    expect((await eventsAbout(visaPm.id)).map((e) => [e.type, e.request_id])).toEqual([
      ["payment_method.attached", expect.any(String)],
      ["payment_method.detached", null],
    ]);
    expect((await eventsAbout(mastercard.id as string)).at(-1)).toMatchObject({ type: "payment_method.default_changed", data: { object: { id: mastercard.id, isDefault: true } } });
  });

  it("a webhook whose transaction fails records nothing", async () => {
    const users = t.app.services.users;
    const paymentMethods = createPaymentMethodsService({ db: t.db, payments: gateway, users, log: t.app.log });
    const webhooks = createStripeWebhooksService({
      db: t.db,
      payments: gateway,
      bankAccounts: createBankAccountsService({ db: t.db, payments: gateway, users }),
      // Our rows and their events are written, then the transaction fails.
      paymentMethods: {
        ...paymentMethods,
        async reconcile(tx, pm) {
          await paymentMethods.reconcile(tx, pm);
          throw new Error("the database went away");
        },
      },
      livemode: false,
      clock: { now: () => new Date() },
      log: t.app.log,
    });
    const user = await t.createUser(acme);
    const customerId = (await attach(user, "pm_card_visa")).json().stripeCustomerId as string;
    const pm = await gateway.attachPaymentMethod({ customerId, paymentMethodId: "pm_card_amex", idempotencyKey: `test:attach:${stripeEventId()}` });
    const payload = stripeEvent("payment_method.attached", { id: pm.id, object: "payment_method" });
    const before = await total();
    await expect(webhooks.receive({ rawBody: Buffer.from(payload), signature: sign(payload) })).rejects.toThrow("the database went away");
    expect(await total()).toBe(before);
    expect(await t.db.paymentMethod.count({ where: { userId: user.id } })).toBe(1);
  });
});

// ── bank accounts ────────────────────────────────────────────────────────────────────────────────

describe("bank accounts", () => {
  it("bank_account.created when the Connect account is created; bank_account.updated when what Stripe says of it changes", async () => {
    const user = await t.createUser(acme);
    const connected = await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(user.token) });
    const created = await expectEventOf(connected, "bank_account.created", connected.json().bankAccount, "bank_account");
    expect(created.data.object).toMatchObject({ id: expect.stringMatching(/^acct_/), user_id: user.id, chargesEnabled: false });
    const account = connected.json().stripeConnectId as string;
    const again = await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(user.token) });
    expect(await eventsOf(again)).toEqual([]);

    const unchanged = await t.request({ method: "GET", url: "/v1/users/auth/bank_account", headers: bearer(user.token) });
    expect(await eventsOf(unchanged)).toEqual([]);
    await t.db.simAccount.update({ where: { id: account }, data: { chargesEnabled: true, detailsSubmitted: true, bankLast4: "6789" } });
    const read = await t.request({ method: "GET", url: "/v1/users/auth/bank_account", headers: bearer(user.token) });
    const updated = await expectEventOf(read, "bank_account.updated", read.json().bankAccount);
    expect(updated.data.object).toMatchObject({ chargesEnabled: true, detailsSubmitted: true, last4: "6789" });

    // Changed on Stripe's side, reported by account.updated: recorded in the webhook's transaction.
    await t.db.simAccount.update({ where: { id: account }, data: { payoutInterval: "weekly", payoutDelayDays: 7, payoutWeeklyAnchor: "friday" } });
    await deliverToStripeEndpoint("account.updated", { id: account, object: "account" });
    const latest = (await eventsAbout(account)).at(-1)!;
    expect(latest).toMatchObject({ type: "bank_account.updated", request_id: null });
    const now = await t.request({ method: "GET", url: "/v1/users/auth/bank_account", headers: bearer(user.token) });
    expect(latest.data.object).toEqual(now.json().bankAccount);
    expect((await eventsAbout(account)).map((e) => e.type)).toEqual(["bank_account.created", "bank_account.updated", "bank_account.updated"]);
  });

  it("a webhook whose transaction fails records nothing, and changes nothing", async () => {
    const users = t.app.services.users;
    const bankAccounts = createBankAccountsService({ db: t.db, payments: gateway, users });
    const webhooks = createStripeWebhooksService({
      db: t.db,
      payments: gateway,
      bankAccounts: {
        async recordAccount(tx, account) {
          await bankAccounts.recordAccount(tx, account);
          throw new Error("the database went away");
        },
      },
      paymentMethods: createPaymentMethodsService({ db: t.db, payments: gateway, users, log: t.app.log }),
      livemode: false,
      clock: { now: () => new Date() },
      log: t.app.log,
    });
    const user = await t.createUser(acme);
    const account = (await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(user.token) })).json().stripeConnectId as string;
    await t.db.simAccount.update({ where: { id: account }, data: { chargesEnabled: true, detailsSubmitted: true } });
    const payload = stripeEvent("account.updated", { id: account, object: "account" });
    await expect(webhooks.receive({ rawBody: Buffer.from(payload), signature: sign(payload) })).rejects.toThrow("the database went away");
    expect((await eventsAbout(account)).map((e) => e.type)).toEqual(["bank_account.created"]);
    expect(await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ chargesEnabled: false });
  });
});

// ── transactions ─────────────────────────────────────────────────────────────────────────────────

describe("transactions", () => {
  const transaction = async (id: string) => (await t.request({ method: "GET", url: `/v1/transactions/${id}`, headers: key() })).json();
  const refund = (id: string, payload: Record<string, unknown> = {}) => t.request({ method: "POST", url: `/v1/transactions/${id}/refund`, headers: key(), payload });

  /** Each object's latest event holds it as it is now. */
  async function expectLatestEventsCurrent(ids: readonly string[]) {
    for (const id of ids) {
      const latest = (await eventsAbout(id)).at(-1);
      expect(latest, `an event about ${id}`).toBeDefined();
      expect(latest!.data.object).toEqual(await transaction(id));
    }
  }

  it("transaction.created for each row the settlement writer writes, once", async () => {
    const buyer = await t.createUser(acme);
    const seller = await t.createUser(acme);
    const s = await settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 10_000 }], sellers: [{ userId: seller.id, weight: 1 }] });
    expect(s.all).toHaveLength(5);
    for (const row of s.all) {
      const history = await eventsAbout(row.id);
      expect(history.map((e) => [e.type, e.object_type, e.request_id])).toEqual([["transaction.created", "transaction", null]]);
      expect(history[0]!.data.object).toEqual(await transaction(row.id));
    }
    // Written again (a resumed settlement): no new rows, no new events.
    const before = await total();
    const again = await t.db.$transaction((tx) =>
      recordSettlementTransactions(tx, {
        platformId: acme.id,
        mode: acme.mode,
        contractId: s.contractId,
        currency: "usd",
        transferGroup: s.transferGroup,
        charges: s.charges.map((c) => ({ buyerUserId: c.buyerUserId!, amount: c.amount, stripeChargeId: c.stripeChargeId!, stripePaymentIntentId: c.stripePaymentIntentId! })),
      }),
    );
    expect(again).toHaveLength(5);
    expect(await total()).toBe(before);
  });

  it("a settlement whose transaction fails leaves no transaction and no event", async () => {
    const buyer = await t.createUser(acme);
    const contractId = newId("contract");
    const before = await total();
    await expect(
      t.db.$transaction(async (tx) => {
        await recordSettlementTransactions(tx, {
          platformId: acme.id,
          mode: acme.mode,
          contractId,
          currency: "usd",
          transferGroup: contractId,
          requestId: "req_test",
          charges: [{ buyerUserId: buyer.id, amount: 500, stripeChargeId: "ch_x", stripePaymentIntentId: "pi_x" }],
        });
        expect(await tx.event.count({ where: { type: "transaction.created", requestId: "req_test" } })).toBe(1);
        throw new Error("settlement failed after writing");
      }),
    ).rejects.toThrow("settlement failed after writing");
    expect(await t.db.transaction.count({ where: { contractId } })).toBe(0);
    expect(await total()).toBe(before);
  });

  it("a refund: transaction.created for its rows, transaction.updated for what it refunds and for each row settling", async () => {
    const buyer = await t.createUser(acme);
    const seller = await t.createUser(acme);
    const s = await settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 10_000 }], sellers: [{ userId: seller.id, weight: 1 }] });
    const charge = s.charges[0]!;
    const res = await refund(charge.id, { amount: 4_000 });
    expect(res.statusCode, res.body).toBe(201);
    const rows = res.json().refunds as { id: string; type: string; status: string }[];
    expect(rows.map((r) => r.type)).toEqual(["incoming:refund", "outgoing:refund", "fee:platform:refund", "fee:candle:refund", "fee:platform:refund"]);

    const recorded = await eventsOf(res);
    const created = recorded.filter((e) => e.type === "transaction.created");
    expect(created.map((e) => e.object_id)).toEqual(rows.map((r) => r.id));
    expect(created.every((e) => e.data.object.status === "processing")).toBe(true);
    const grown = recorded.filter((e) => e.type === "transaction.updated" && e.data.object.status === "succeeded" && e.data.object.refund_of === null);
    expect(new Set(grown.map((e) => e.object_id))).toEqual(new Set(s.all.map((r) => r.id)));
    expect(grown.find((e) => e.object_id === charge.id)!.data.object.amountRefunded).toBe(4_000);
    // Each refund row settles (processing → succeeded): one more event each.
    for (const row of rows) {
      expect((await eventsAbout(row.id)).map((e) => [e.type, e.data.object.status])).toEqual([
        ["transaction.created", "processing"],
        ["transaction.updated", "succeeded"],
      ]);
    }
    expect(recorded.every((e) => e.object_type === "transaction")).toBe(true);
    await expectLatestEventsCurrent([...s.all.map((r) => r.id), ...rows.map((r) => r.id)]);
  });

  it("a refund the gateway refuses: its rows fail and the amounts given back are recorded", async () => {
    const buyer = await t.createUser(acme);
    const seller = await t.createUser(acme);
    const s = await settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 5_000 }], sellers: [{ userId: seller.id, weight: 1 }] });
    const charge = s.charges[0]!;
    refunds = "refuse";
    try {
      const res = await refund(charge.id);
      expect(res.statusCode).toBe(400);
    } finally {
      refunds = "up";
    }
    const rows = await t.db.transaction.findMany({ where: { transferGroup: s.transferGroup, refundOfId: { not: null } } });
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) {
      expect(row.status).toBe("failed");
      expect((await eventsAbout(row.id)).map((e) => [e.type, e.data.object.status])).toEqual([
        ["transaction.created", "processing"],
        ["transaction.updated", "failed"],
      ]);
    }
    const chargeHistory = await eventsAbout(charge.id);
    expect(chargeHistory.map((e) => [e.type, e.data.object.amountRefunded])).toEqual([
      ["transaction.created", 0],
      ["transaction.updated", 5_000],
      ["transaction.updated", 0],
    ]);
    await expectLatestEventsCurrent([...s.all.map((r) => r.id), ...rows.map((r) => r.id)]);
  });

  it("a refund the job finishes records its settling with no request id", async () => {
    const buyer = await t.createUser(acme);
    const seller = await t.createUser(acme);
    const s = await settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 3_000 }], sellers: [{ userId: seller.id, weight: 1 }] });
    refunds = "down";
    let res: LightMyRequestResponse;
    try {
      res = await refund(s.charges[0]!.id);
      expect(res.statusCode).toBe(202);
    } finally {
      refunds = "up";
    }
    const head = (res.json().refunds as { id: string }[])[0]!;
    await t.app.services.transactions.resumeRefund(head.id);
    const history = await eventsAbout(head.id);
    expect(history.map((e) => [e.type, e.data.object.status, e.request_id])).toEqual([
      ["transaction.created", "processing", res.headers["request-id"]],
      ["transaction.updated", "succeeded", null],
    ]);
  });

  it("records nothing for a refund refused before anything is written", async () => {
    const buyer = await t.createUser(acme);
    const seller = await t.createUser(acme);
    const s = await settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 2_000 }], sellers: [{ userId: seller.id, weight: 1 }] });
    const before = await total();
    expect((await refund(s.charges[0]!.id, { amount: 2_001 })).statusCode).toBe(422);
    expect((await refund(s.transfers[0]!.id)).statusCode).toBe(409);
    expect(await total()).toBe(before);
  });
});

// ── webhook endpoints receive the new types ──────────────────────────────────────────────────────

describe("webhook deliveries", () => {
  it("an endpoint subscribed to calendar_event.created and transaction.created receives exactly those", async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const endpoint = await t.request({
      method: "POST",
      url: "/v1/webhooks",
      headers: key(),
      payload: { url: receiver.url, events: ["calendar_event.created", "transaction.created"] },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);

    const user = await t.createUser(acme);
    const created = await t.request({
      method: "POST",
      url: "/v1/calendars/auth/event",
      headers: bearer(user.token),
      payload: { title: "Hook", eventStart: "2031-05-05T10:00:00Z", eventEnd: "2031-05-05T11:00:00Z", isUnavailable: true },
    });
    expect(created.statusCode).toBe(201);
    await t.request({ method: "PUT", url: `/v1/calendars/auth/event/${created.json().id}`, headers: bearer(user.token), payload: { title: "Not sent" } });
    const seller = await t.createUser(acme);
    const s = await settleContract(t, acme, { buyers: [{ userId: user.id, amount: 1_000 }], sellers: [{ userId: seller.id, weight: 1 }] });

    const got = await receiver.waitFor(1 + s.all.length);
    const bodies = got.map((r) => JSON.parse(r.body) as ApiEvent);
    expect(got.map((r) => r.headers["candle-event-type"])).toEqual(["calendar_event.created", ...s.all.map(() => "transaction.created")]);
    expect(bodies[0]!.data.object).toEqual(created.json());
    expect(
      bodies
        .slice(1)
        .map((b) => b.object_id)
        .sort(),
    ).toEqual(s.all.map((r) => r.id).sort());
    for (const body of bodies) expect(await t.request({ method: "GET", url: `/v1/events/${body.id}`, headers: key() }).then((r) => r.json())).toEqual(body);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(1 + s.all.length);
  });
});

// ── erasure ──────────────────────────────────────────────────────────────────────────────────────

describe("erasing a user", () => {
  it("scrubs the events of their payment methods, bank account and calendar of personal data", async () => {
    const user = await t.createUser(acme);
    const pm = (await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: "pm_card_visa" } })).json()
      .paymentMethod;
    const account = (await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(user.token) })).json().stripeConnectId as string;
    await t.db.simAccount.update({ where: { id: account }, data: { chargesEnabled: true, bankLast4: "6789" } });
    await t.request({ method: "GET", url: "/v1/users/auth/bank_account", headers: bearer(user.token) });
    const event = (
      await t.request({
        method: "POST",
        url: "/v1/calendars/auth/event",
        headers: bearer(user.token),
        payload: {
          title: "Therapy",
          location: "12 Private Road",
          eventStart: "2031-06-02T10:00:00Z",
          eventEnd: "2031-06-02T11:00:00Z",
          isUnavailable: true,
          attendees: [{ email: "friend@example.com", name: "Friend" }],
        },
      })
    ).json();
    const calendarId = event.calendar_id as string;
    expect(JSON.stringify(await eventsAbout(event.id))).toContain("Therapy");

    await t.db.user.update({ where: { id: user.id }, data: { scheduledDeletion: new Date(Date.now() - 1000) } });
    await t.app.services.users.eraseDueUsers();

    for (const id of [pm.id, account, event.id, calendarId]) {
      const history = await eventsAbout(id);
      expect(history.length).toBeGreaterThan(0);
      for (const e of history) {
        expect(e.data.object.user_id).toBe(user.id);
        expect(JSON.stringify(e.data)).not.toMatch(/Therapy|Private Road|friend@example\.com|Friend/);
        if (e.object_type === "payment_method" || e.object_type === "bank_account") expect(e.data.object.last4).toBeNull();
      }
    }
    expect((await eventsAbout(pm.id))[0]!.data.object).toMatchObject({ id: pm.id, brand: null, last4: null, expMonth: null, expYear: null });
    expect((await eventsAbout(event.id))[0]!.data.object).toMatchObject({ id: event.id, title: null, location: null, attendees: [] });
  });
});

describe("event types", () => {
  it("every recorded type is a known type", async () => {
    const all = await t.db.event.findMany({ select: { type: true }, distinct: ["type"] });
    for (const { type } of all) expect(EVENT_TYPES).toContain(type);
  });
});
