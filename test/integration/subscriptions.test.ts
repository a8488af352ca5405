import type { LightMyRequestResponse } from "fastify";
import { Logger, runOnce } from "graphile-worker";
import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PaymentIntent, PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import { OFFLINE_WEBHOOK_SECRET } from "../../src/config.js";
import { settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, useCard, type Json } from "../helpers/contracts.js";
import { startSmtpServer } from "../helpers/smtp.js";

/**
 * Subscriptions end to end: the routes, the first charge and every renewal through the offline
 * simulator (whose PaymentIntents and transfers the tests count), and the renewal jobs run by
 * graphile-worker's `runOnce` — the crontab's sweep queued by hand — with the app's clock moved
 * forward instead of waiting.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** The app's clock: real time plus an offset the tests move (forward only). */
function movableClock() {
  let offset = 0;
  return {
    now: () => new Date(Date.now() + offset),
    advance: (ms: number) => void (offset += ms),
    /** Jumps to `date` (later than now). */
    set: (date: Date) => void (offset = date.getTime() - Date.now()),
  };
}

/** A gateway whose calls the tests can make fail after the fact (a node that dies after Stripe charged). */
const faults: { afterCharge?: (intent: PaymentIntent) => Promise<void> } = {};
function withFaults(gateway: PaymentsGateway): PaymentsGateway {
  return {
    ...gateway,
    async createPaymentIntent(input) {
      const intent = await gateway.createPaymentIntent(input);
      await faults.afterCharge?.(intent);
      return intent;
    },
  };
}

const clock = movableClock();
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let sam: TestUser;
let wes: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url }, { clock, payments: withFaults });
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5, url: "https://acme.test" });
  other = await t.createPlatform({ name: "Other" });
  sam = await t.createUser(acme, "member");
  wes = await t.createUser(acme, "member");
  await onboardSeller(t, acme, sam.id);
  await onboardSeller(t, acme, wes.id);
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

const key = () => bearer(acme.apiKey);
const SUBSCRIPTION_FIELDS = [
  "id",
  "platform_id",
  "user_id",
  "service_id",
  "price",
  "isActive",
  "isPaused",
  "pausedAt",
  "pausedUntil",
  "pauseReason",
  "cycle",
  "startDate",
  "ended",
  "mode",
  "contract_id",
  "currency",
  "currentPeriodStart",
  "currentPeriodEnd",
  "pastDue",
  "failedAttempts",
  "nextAttempt",
  "created",
  "updated",
].sort();

async function buyerWithCard(card = "pm_card_visa"): Promise<TestUser> {
  const user = await t.createUser(acme, "member");
  await addCard(t, acme, user.id, card);
  return user;
}

/** A contract (sellers bear the fees, as a new contract has it): by default one 10000¢ line by sam. */
async function contract(buyers: TestUser[], items: Json[] = [{ user_id: sam.id, price: 10000 }], extra: Json = {}): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items, buyers: buyers.map((b) => ({ user_id: b.id })), ...extra } });
  return okContract(res, 201);
}

const subscribe = (user: TestUser, contractId: string, payload?: Json) =>
  t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${contractId}`, headers: bearer(user.token), ...(payload ? { payload } : {}) });

/** A subscription, created (201) and checked: the object has exactly its fields. */
async function subscribed(user: TestUser, contractId: string, payload?: Json): Promise<Json> {
  const res = await subscribe(user, contractId, payload);
  expect(res.statusCode, res.body).toBe(201);
  const sub = res.json() as Json;
  expect(Object.keys(sub).sort()).toEqual(SUBSCRIPTION_FIELDS);
  return sub;
}

const get = async (id: string, headers = key()) => {
  const res = await t.request({ method: "GET", url: `/v1/subscriptions/${id}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as Json;
};
const pause = (id: string, payload?: Json, headers = key()) => t.request({ method: "PUT", url: `/v1/subscriptions/${id}/pause`, headers, ...(payload ? { payload } : {}) });
const resume = (id: string, user: TestUser) => t.request({ method: "PUT", url: `/v1/subscriptions/auth/${id}/resume`, headers: bearer(user.token) });
const end = (id: string, user: TestUser) => t.request({ method: "DELETE", url: `/v1/subscriptions/auth/${id}`, headers: bearer(user.token) });

const quiet = new Logger(() => () => {});
const runJobs = (ctx: TestContext = t) => runOnce({ connectionString: ctx.databaseUrl, taskList: ctx.app.services.tasks, noHandleSignals: true, logger: quiet });

/** What the crontab does every minute, then the worker: the sweep queues the due subscriptions' jobs, `runOnce` runs them. */
async function runRenewals(ctx: TestContext = t): Promise<void> {
  await ctx.app.services.tasks["renew-subscriptions"]!({}, {} as never);
  await runJobs(ctx);
}

const group = (sub: Json, periodStart: string) => `${sub.id}:${periodStart}`;
const intentsOf = (transferGroup: string) => t.db.simPaymentIntent.findMany({ where: { transferGroup }, orderBy: { created: "asc" } });
const allIntentsOf = (sub: Json) => t.db.simPaymentIntent.findMany({ where: { transferGroup: { startsWith: `${sub.id}:` } }, orderBy: { created: "asc" } });
const transactionsOf = (transferGroup: string) => t.db.transaction.findMany({ where: { transferGroup }, orderBy: [{ created: "asc" }, { id: "asc" }] });

interface ApiEvent {
  type: string;
  object_id: string;
  request_id: string | null;
  data: { object: Json };
}

/** The events about one object, oldest first. */
async function eventsAbout(id: string): Promise<ApiEvent[]> {
  const res = await t.request({ method: "GET", url: `/v1/events?filter[object_id]=${id}&per_page=100`, headers: key() });
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().data as ApiEvent[]).reverse();
}

/** The one event of `type` the request recorded about its answer, holding what it answered. */
async function expectEventOf(res: LightMyRequestResponse, type: string): Promise<void> {
  const found = (await eventsAbout(res.json().id)).filter((e) => e.type === type && e.request_id === res.headers["request-id"]);
  expect(found, type).toHaveLength(1);
  expect(found[0]!.data.object).toEqual(res.json());
}

/** The books of one billed period: Σ incoming = amount = Σ outgoing + Σ fees. */
async function expectPaidOnce(sub: Json, periodStart: string): Promise<void> {
  const g = group(sub, periodStart);
  const intents = await intentsOf(g);
  expect(intents.filter((i) => i.chargeSucceeded).map((i) => i.amount)).toEqual([sub.price]);
  const txs = await transactionsOf(g);
  expect(txs.filter((x) => x.type === "incoming").map((x) => [x.buyerUserId, x.amount])).toEqual([[sub.user_id, sub.price]]);
  expect(txs.every((x) => x.subscriptionId === sub.id && x.contractId === sub.contract_id && x.status === "succeeded")).toBe(true);
  expect(await settlementBooks(t.db, { platformId: acme.id, mode: "test" }, g)).toMatchObject({ incoming: sub.price, balanced: true });
  const row = await t.db.subscriptionCharge.findUniqueOrThrow({ where: { transferGroup: g } });
  expect(row).toMatchObject({ status: "paid", amount: sub.price, leaseId: null });
}

describe("POST /v1/subscriptions/auth/contract/:contract_id", () => {
  it("subscribes a buyer: price is their amountDue, the first cycle is charged at once and the sellers are paid", async () => {
    const bob = await buyerWithCard();
    const created = await t.request({
      method: "POST",
      url: "/v1/products",
      headers: key(),
      payload: { user_id: wes.id, name: "Lamp care", price: 4000, type: "service", cycle: "weekly" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const lamp = created.json() as Json;
    const c = await contract([bob], [{ product_id: lamp.id }, { user_id: sam.id, price: 6000 }], { includeStripeFees: true, includeCandleFees: true, includePlatformFees: true });
    const res = await subscribe(bob, c.id);
    expect(res.statusCode, res.body).toBe(201);
    const sub = res.json() as Json;
    expect(Object.keys(sub).sort()).toEqual(SUBSCRIPTION_FIELDS);
    expect(sub).toMatchObject({
      platform_id: acme.id,
      user_id: bob.id,
      contract_id: c.id,
      service_id: lamp.id,
      price: c.buyers[0].amountDue,
      currency: "usd",
      cycle: "weekly",
      isActive: true,
      isPaused: false,
      pausedAt: null,
      pausedUntil: null,
      ended: null,
      pastDue: false,
      failedAttempts: 0,
      mode: "test",
    });
    expect(sub.id).toMatch(/^subs_[0-9a-f]{32}$/);
    expect(sub.startDate).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(sub.currentPeriodStart).toBe(sub.startDate);
    expect(new Date(sub.currentPeriodEnd).getTime() - new Date(sub.startDate).getTime()).toBe(WEEK);
    expect(sub.nextAttempt).toBe(sub.currentPeriodEnd);

    // Every fee on the buyer: the sellers get their items' worth, as in the contract's own settlement.
    await expectPaidOnce(sub, sub.startDate);
    const txs = await transactionsOf(group(sub, sub.startDate));
    const paidTo = Object.fromEntries(txs.filter((x) => x.type === "outgoing").map((x) => [x.sellerUserId, x.amount]));
    expect(paidTo).toEqual({ [wes.id]: 4000, [sam.id]: 6000 });
    const fee = (type: string) => txs.find((x) => x.type === type)?.amount ?? 0;
    const rows = (prefix: string) => c.fees.filter((f: Json) => f.type.startsWith(prefix)).reduce((s: number, f: Json) => s + f.amount, 0);
    expect([fee("fee_stripe"), fee("fee_candle"), fee("fee_platform")]).toEqual([rows("stripe:"), rows("candle:"), rows("platform:")]);
    // The charge's idempotency key is the subscription and the period.
    expect(await t.db.simIdempotencyKey.count({ where: { key: group(sub, sub.startDate) } })).toBe(1);
    const [intent] = await intentsOf(group(sub, sub.startDate));
    expect(intent!.metadata).toEqual({ subscription_id: sub.id, platform_id: acme.id, mode: "test", user_id: bob.id, period: "0", attempt: "0" });

    await expectEventOf(res, "subscription.created");
    expect(await get(sub.id)).toEqual(sub);

    // The contract is the subscription's terms now: it is not settled nor deleted on its own.
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }), 409, "contract_has_subscriptions");
    failed(await t.request({ method: "DELETE", url: `/v1/contracts/${c.id}`, headers: key() }), 409, "contract_has_subscriptions");
    expect(okContract(await t.request({ method: "GET", url: `/v1/contracts/${c.id}`, headers: key() })).status).toBe("draft");
    // A cycle from the body wins; without a product cycle it is monthly.
    const daily = await subscribed(bob, (await contract([bob])).id, { cycle: "daily" });
    expect(daily.cycle).toBe("daily");
    const monthly = await subscribed(bob, (await contract([bob])).id);
    expect(monthly).toMatchObject({ cycle: "monthly", service_id: null });
    for (const s of [sub.id, daily.id, monthly.id]) expect((await end(s, bob)).statusCode).toBe(200);
  });

  it("with several buyers, charges the subscriber their share and pays the sellers in proportion", async () => {
    const bob = await buyerWithCard();
    const carol = await buyerWithCard();
    const c = await contract(
      [bob, carol],
      [
        { user_id: sam.id, price: 6000 },
        { user_id: wes.id, price: 4001 },
      ],
    );
    const sub = await subscribed(carol, c.id);
    expect(sub.price).toBe(c.buyers[1].amountDue);
    const g = group(sub, sub.startDate);
    await expectPaidOnce(sub, sub.startDate);
    const txs = await transactionsOf(g);
    const owed = (userId: string) => c.sellers.find((s: Json) => s.user_id === userId).amountOwed;
    const paid = (userId: string) => txs.find((x) => x.type === "outgoing" && x.sellerUserId === userId)!.amount;
    // Each seller gets their share of carol's half, within a cent.
    for (const s of [sam.id, wes.id]) expect(Math.abs(paid(s) - (owed(s) * sub.price) / c.total)).toBeLessThan(1);
    // bob still owes the contract; nobody else was charged.
    expect((await t.db.simPaymentIntent.findMany({ where: { transferGroup: c.id } })).length).toBe(0);
    expect((await end(sub.id, carol)).statusCode).toBe(200);
  });

  it("402 on a decline, and no subscription is left behind; with a working card it goes through", async () => {
    const dan = await buyerWithCard("pm_card_chargeDeclined");
    const c = await contract([dan]);
    const eventsBefore = (await t.request({ method: "GET", url: "/v1/events?per_page=1", headers: key() })).json().meta.total;
    const error = failed(await subscribe(dan, c.id), 402, "card_declined");
    expect(error.decline_code).toBe("generic_decline");
    expect(await t.db.subscription.count({ where: { userId: dan.id } })).toBe(0);
    expect(await t.db.subscriptionCharge.count({ where: { transferGroup: { contains: dan.id } } })).toBe(0);
    expect(await t.db.transaction.count({ where: { buyerUserId: dan.id } })).toBe(0);
    expect((await t.request({ method: "GET", url: `/v1/subscriptions/user/${dan.id}`, headers: key() })).json().meta.total).toBe(0);
    // A failed change records nothing.
    expect((await t.request({ method: "GET", url: "/v1/events?per_page=1", headers: key() })).json().meta.total).toBe(eventsBefore);

    await useCard(t, acme, dan.id, "pm_card_visa");
    const sub = await subscribed(dan, c.id);
    await expectPaidOnce(sub, sub.startDate);
    expect((await end(sub.id, dan)).statusCode).toBe(200);
  });

  it("400, 401, 403, 404, 409 and 422", async () => {
    const bob = await buyerWithCard();
    const c = await contract([bob]);
    failed(await subscribe(bob, c.id, { cycle: "fortnightly" }), 400);
    expect(failed(await subscribe(bob, c.id, { price: 1 }), 400).param).toBe("price");
    expect(failed(await subscribe(bob, c.id, { isActive: false }), 400, "parameter_not_writable").param).toBe("isActive");
    failed(await t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${c.id}` }), 401);
    failed(await t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${c.id}`, headers: key() }), 401, "user_token_required");
    // The seller may see the contract but does not buy it; an outsider does not even see it.
    failed(await subscribe(sam, c.id), 403, "not_contract_buyer");
    failed(await subscribe(await t.createUser(acme, "member"), c.id), 404);
    failed(await subscribe(bob, "inv_00000000000000000000000000000000"), 404);
    const stranger = await t.createUser(other, "member");
    failed(await subscribe(stranger, c.id), 404);

    const cardless = await t.createUser(acme, "member");
    failed(await subscribe(cardless, (await contract([cardless])).id), 409, "no_payment_method");
    const newcomer = await t.createUser(acme, "member");
    failed(await subscribe(bob, (await contract([bob], [{ user_id: newcomer.id, price: 500 }])).id), 409, "seller_not_ready");
    const noSeller = okContract(await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { buyers: [{ user_id: bob.id }] } }), 201);
    failed(await subscribe(bob, noSeller.id), 422, "contract_incomplete");
    const carol = await buyerWithCard();
    const pinned = okContract(
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: key(),
        payload: { items: [{ user_id: sam.id, price: 10000 }], buyers: [{ user_id: carol.id, dueAmount: 20 }, { user_id: bob.id }] },
      }),
      201,
    );
    failed(await subscribe(carol, pinned.id), 422, "amount_too_small");
    expect(await t.db.subscription.count({ where: { userId: { in: [bob.id, carol.id, cardless.id] } } })).toBe(0);

    const sub = await subscribed(bob, c.id);
    failed(await subscribe(bob, c.id), 409, "already_subscribed");
    const paidOff = await contract([bob]);
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${paidOff.id}/settle`, headers: key() }));
    failed(await subscribe(bob, paidOff.id), 409, "contract_not_subscribable");
    // Ended, it may be subscribed to again.
    expect((await end(sub.id, bob)).statusCode).toBe(200);
    const again = await subscribed(bob, c.id);
    expect((await end(again.id, bob)).statusCode).toBe(200);
  });
});

describe("reading subscriptions", () => {
  it("GET /subscriptions/:id: the key, admins, the subscriber and the contract's sellers; anyone else 404", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id);
    const admin = await t.createUser(acme, "admin");
    for (const headers of [key(), bearer(admin.token), bearer(bob.token), bearer(sam.token)]) expect(await get(sub.id, headers)).toEqual(sub);
    failed(await t.request({ method: "GET", url: `/v1/subscriptions/${sub.id}`, headers: bearer(wes.token) }), 404);
    failed(await t.request({ method: "GET", url: `/v1/subscriptions/${sub.id}`, headers: bearer(other.apiKey) }), 404);
    failed(await t.request({ method: "GET", url: `/v1/subscriptions/${sub.id}` }), 401);
    failed(await t.request({ method: "GET", url: `/v1/subscriptions/subs_${"0".repeat(32)}`, headers: key() }), 404);
    failed(await t.request({ method: "GET", url: `/v1/subscriptions/${"x".repeat(101)}`, headers: key() }), 400);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("GET /subscriptions/user/:user_id: the key and admins for anyone, a user for themself", async () => {
    const bob = await buyerWithCard();
    const first = await subscribed(bob, (await contract([bob])).id);
    const second = await subscribed(bob, (await contract([bob])).id);
    const list = (headers: Record<string, string>, query = "") => t.request({ method: "GET", url: `/v1/subscriptions/user/${bob.id}${query}`, headers });
    const page = (await list(key())).json();
    expect(page.data.map((s: Json) => s.id)).toEqual([second.id, first.id]);
    expect(page.meta).toMatchObject({ total: 2, current_page: 1 });
    expect((await list(bearer(bob.token), "?sort=created")).json().data.map((s: Json) => s.id)).toEqual([first.id, second.id]);
    expect((await list(bearer((await t.createUser(acme, "admin")).token))).statusCode).toBe(200);
    failed(await list(bearer(sam.token)), 403, "insufficient_role");
    failed(await list(bearer(other.apiKey)), 404);
    failed(await t.request({ method: "GET", url: `/v1/subscriptions/user/${bob.id}` }), 401);
    failed(await list(key(), "?sort=price"), 400);
    failed(await list(key(), "?filter[isActive]=maybe"), 400);
    expect((await end(first.id, bob)).statusCode).toBe(200);
    expect((await list(key(), "?filter[isActive]=true")).json().data.map((s: Json) => s.id)).toEqual([second.id]);
    expect((await list(key(), "?filter[isActive]=false")).json().data.map((s: Json) => s.id)).toEqual([first.id]);
    expect((await end(second.id, bob)).statusCode).toBe(200);
  });
});

describe("GET /v1/subscriptions (every subscription of the platform)", () => {
  it("the key and admins list them, filtered and sorted; editors and members 403; another platform's key sees none", async () => {
    const bob = await buyerWithCard();
    const dan = await buyerWithCard();
    const first = await subscribed(bob, (await contract([bob])).id);
    const second = await subscribed(dan, (await contract([dan], [{ user_id: sam.id, price: 20000 }])).id);
    const list = (query = "", headers = key()) => t.request({ method: "GET", url: `/v1/subscriptions${query}`, headers });
    const ids = async (query: string, headers = key()) => {
      const res = await list(query, headers);
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data.map((s: Json) => s.id);
    };
    const both = `?filter[user_id]=${bob.id},${dan.id}`;
    const page = (await list(both)).json();
    expect(page.data.map((s: Json) => s.id)).toEqual([second.id, first.id]);
    expect(page.meta).toMatchObject({ total: 2, current_page: 1, per_page: 15 });
    expect(page.data[0]).toEqual(await get(second.id));
    expect(await ids(`${both}&sort=price`)).toEqual([first.id, second.id]);
    expect(await ids(`${both}&per_page=1&page=2`)).toEqual([first.id]);
    expect(await ids(`?filter[contract_id]=${second.contract_id}`)).toEqual([second.id]);
    expect(await ids(`?filter[user_id]=${bob.id}`, bearer((await t.createUser(acme, "admin")).token))).toEqual([first.id]);
    expect(await ids(`?filter[user_id]=${bob.id}`, bearer((await t.createUser(acme, "owner")).token))).toEqual([first.id]);
    // The attack: a member, an editor, a subscriber or another platform's key.
    failed(await list(both, bearer(bob.token)), 403, "insufficient_role");
    failed(await list(both, bearer((await t.createUser(acme, "editor")).token)), 403, "insufficient_role");
    failed(await list(both, {}), 401);
    const theirs = (await list(both, bearer(other.apiKey))).json();
    expect(theirs).toMatchObject({ data: [], meta: { total: 0 } });
    expect((await list("", bearer(other.apiKey))).json().meta.total).toBe(0);
    failed(await list("?filter[status]=sleeping"), 400);
    failed(await list("?sort=user_id"), 400);
    failed(await list("?filter[plan]=x"), 400);

    // Status: active, paused, past_due, ended — each one in one of them.
    expect(await ids(`${both}&filter[status]=active`)).toEqual([second.id, first.id]);
    expect((await pause(first.id)).statusCode).toBe(200);
    expect(await ids(`${both}&filter[status]=paused`)).toEqual([first.id]);
    expect(await ids(`${both}&filter[status]=active`)).toEqual([second.id]);
    expect(await ids(`${both}&filter[isPaused]=true`)).toEqual([first.id]);
    expect((await end(second.id, dan)).statusCode).toBe(200);
    expect(await ids(`${both}&filter[status]=ended`)).toEqual([second.id]);
    expect(await ids(`${both}&filter[status]=ended,paused`)).toEqual([second.id, first.id]);
    expect(await ids(`${both}&filter[isActive]=true`)).toEqual([first.id]);
    expect((await end(first.id, bob)).statusCode).toBe(200);
    expect(await ids(`${both}&filter[status]=paused`)).toEqual([]);
  });
});

describe("pause, resume, end", () => {
  it("routes: who may, and 400 / 401 / 403 / 404 / 409 for the transitions that cannot be", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id);
    const member = await t.createUser(acme, "member");
    // pause: the key or an admin.
    failed(await pause(sub.id, undefined, bearer(bob.token)), 403, "insufficient_role");
    failed(await pause(sub.id, undefined, {}), 401);
    failed(await pause(sub.id, undefined, bearer(other.apiKey)), 404);
    failed(await pause(sub.id, { pausedUntil: "tomorrow" }), 400);
    expect(failed(await pause(sub.id, { pausedUntil: "2020-01-01T00:00:00Z" }), 400).param).toBe("pausedUntil");
    expect(failed(await pause(sub.id, { isPaused: true }), 400, "parameter_not_writable").param).toBe("isPaused");
    failed(await resume(sub.id, bob), 409, "subscription_not_paused");

    const admin = await t.createUser(acme, "admin");
    const paused = await pause(sub.id, undefined, bearer(admin.token));
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ isPaused: true, pausedUntil: null, pauseReason: "admin", isActive: true });
    expect(paused.json().pausedAt).toMatch(/Z$/);
    await expectEventOf(paused, "subscription.paused");
    failed(await pause(sub.id), 409, "subscription_paused");

    // resume and end: the subscriber only.
    failed(await resume(sub.id, sam), 403, "not_subscriber");
    failed(await resume(sub.id, member), 404);
    failed(await t.request({ method: "PUT", url: `/v1/subscriptions/auth/${sub.id}/resume`, headers: key() }), 401, "user_token_required");
    failed(await t.request({ method: "PUT", url: `/v1/subscriptions/auth/${sub.id}/resume`, headers: bearer(bob.token), payload: { now: true } }), 400);
    const resumed = await resume(sub.id, bob);
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json()).toMatchObject({ isPaused: false, pauseReason: null, isActive: true });
    await expectEventOf(resumed, "subscription.resumed");

    failed(await end(sub.id, sam), 403, "not_subscriber");
    failed(await end(sub.id, member), 404);
    failed(await t.request({ method: "DELETE", url: `/v1/subscriptions/auth/${sub.id}` }), 401);
    failed(await t.request({ method: "DELETE", url: `/v1/subscriptions/auth/${"x".repeat(101)}`, headers: bearer(bob.token) }), 400);
    const ended = await end(sub.id, bob);
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json()).toMatchObject({ isActive: false, isPaused: false, nextAttempt: null });
    expect(ended.json().ended).toMatch(/Z$/);
    await expectEventOf(ended, "subscription.ended");

    const before = (await eventsAbout(sub.id)).length;
    failed(await end(sub.id, bob), 409, "subscription_ended");
    failed(await resume(sub.id, bob), 409, "subscription_ended");
    failed(await pause(sub.id), 409, "subscription_ended");
    expect(await eventsAbout(sub.id)).toHaveLength(before);
  });
});

describe("renewals (the job queue, the clock moved forward)", () => {
  it("charges each due cycle once: transactions written, sellers paid, books balanced, the next cycle scheduled", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(
      bob,
      (
        await contract(
          [bob],
          [
            { user_id: sam.id, price: 6000 },
            { user_id: wes.id, price: 3000 },
          ],
        )
      ).id,
      { cycle: "weekly" },
    );
    await runRenewals();
    expect(await allIntentsOf(sub)).toHaveLength(1);

    clock.advance(WEEK + 60_000);
    await runRenewals();
    const renewed = await get(sub.id);
    expect(renewed).toMatchObject({ currentPeriodStart: sub.currentPeriodEnd, failedAttempts: 0, pastDue: false });
    expect(new Date(renewed.currentPeriodEnd).getTime() - new Date(renewed.currentPeriodStart).getTime()).toBe(WEEK);
    await expectPaidOnce(sub, sub.currentPeriodEnd);
    const txs = await transactionsOf(group(sub, sub.currentPeriodEnd));
    expect(
      txs
        .filter((x) => x.type === "outgoing")
        .map((x) => x.sellerUserId)
        .sort(),
    ).toEqual([sam.id, wes.id].sort());
    const events = (await eventsAbout(sub.id)).filter((e) => e.type === "subscription.renewed");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ request_id: null });
    expect(events[0]!.data.object).toEqual(renewed);

    // Nothing more is due: running again charges nobody.
    await runRenewals();
    await runRenewals();
    expect(await allIntentsOf(sub)).toHaveLength(2);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("two renewal runs in parallel — two workers, and a second node — charge once", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "daily" });
    const node2 = await createTestContext({}, { sharedDatabaseUrl: t.databaseUrl, clock });
    try {
      clock.advance(DAY + 60_000);
      const job = { subscriptionId: sub.id, platformId: acme.id, mode: "test" as const };
      await Promise.all([
        t.app.services.billing.bringUpToDate(job),
        t.app.services.billing.bringUpToDate(job),
        node2.app.services.billing.bringUpToDate(job),
        runRenewals(),
        runRenewals(node2),
      ]);
      await expectPaidOnce(sub, sub.currentPeriodEnd);
      expect(await allIntentsOf(sub)).toHaveLength(2);
      expect(await t.db.subscriptionCharge.count({ where: { subscriptionId: sub.id } })).toBe(2);
      expect((await eventsAbout(sub.id)).filter((e) => e.type === "subscription.renewed")).toHaveLength(1);
      expect((await get(sub.id)).currentPeriodStart).toBe(sub.currentPeriodEnd);
    } finally {
      await node2.close();
    }
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("a node that dies after Stripe charged: the next run records that charge (same key) and pays the sellers, once", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "daily" });
    clock.advance(DAY + 60_000);
    faults.afterCharge = async () => {
      throw new Error("the node died");
    };
    try {
      await expect(t.app.services.billing.bringUpToDate({ subscriptionId: sub.id, platformId: acme.id, mode: "test" })).rejects.toThrow("the node died");
    } finally {
      faults.afterCharge = undefined;
    }
    const g = group(sub, sub.currentPeriodEnd);
    expect(await intentsOf(g)).toHaveLength(1);
    expect(await transactionsOf(g)).toHaveLength(0);
    // Within the lease nobody else charges; once it lapsed, the sweep's job carries on.
    await runRenewals();
    expect(await transactionsOf(g)).toHaveLength(0);
    clock.advance(2 * 60_000);
    await runRenewals();
    await expectPaidOnce(sub, sub.currentPeriodEnd);
    expect(await intentsOf(g)).toHaveLength(1);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("the same node started again resumes at once the renewal its earlier boot was charging: charged once, sellers paid once", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "daily" });
    clock.advance(DAY + 60_000);
    // The first boot dies after Stripe charged, before it recorded the charge, its lease current.
    let die!: (err: Error) => void;
    const stuck = new Promise<void>((_resolve, reject) => {
      die = reject;
    });
    faults.afterCharge = () => stuck;
    const first = t.app.services.billing.bringUpToDate({ subscriptionId: sub.id, platformId: acme.id, mode: "test" }).then(
      () => null,
      (err: Error) => err,
    );
    const g = group(sub, sub.currentPeriodEnd);
    const waitUntil = Date.now() + 20_000;
    while ((await intentsOf(g)).length === 0 && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 25));
    const held = await t.db.subscriptionCharge.findUniqueOrThrow({ where: { transferGroup: g } });
    expect(held.leaseId?.startsWith(`${t.app.services.leases.node}.${t.app.services.leases.boot}.`)).toBe(true);
    // The next boot of the same node (its clock where this one's is) frees the lease and queues the job for now.
    const reboot = await createTestContext({ NODE_ID: t.config.nodeId }, { sharedDatabaseUrl: t.databaseUrl, clock });
    try {
      expect(await t.db.subscriptionCharge.findUniqueOrThrow({ where: { transferGroup: g } })).toMatchObject({ leaseId: null, lockedUntil: null });
      faults.afterCharge = undefined;
      await runJobs(reboot);
    } finally {
      faults.afterCharge = undefined;
      die(new Error("the node died"));
      await reboot.close();
    }
    expect((await first)?.message).toBe("the node died");
    await expectPaidOnce(sub, sub.currentPeriodEnd);
    expect(await intentsOf(g)).toHaveLength(1);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("the payment_intent.succeeded webhook records a renewal's charge a hung node did not; the sweep finishes the period once its lease lapsed", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "daily" });
    clock.advance(DAY + 60_000);
    let die!: (err: Error) => void;
    const stuck = new Promise<void>((_resolve, reject) => (die = reject));
    faults.afterCharge = () => stuck;
    const hung = t.app.services.billing.bringUpToDate({ subscriptionId: sub.id, platformId: acme.id, mode: "test" });
    const g = group(sub, sub.currentPeriodEnd);
    const deadline = Date.now() + 10_000;
    while ((await intentsOf(g)).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    const [intent] = await intentsOf(g);

    const now = Math.floor(clock.now().getTime() / 1000);
    const payload = JSON.stringify({
      id: `evt_${intent!.id}`,
      object: "event",
      livemode: false,
      created: now,
      type: "payment_intent.succeeded",
      data: { object: { id: intent!.id, object: "payment_intent" } },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: OFFLINE_WEBHOOK_SECRET, timestamp: now });
    const delivered = await t.request({ method: "POST", url: "/v1/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": signature }, payload });
    expect(delivered.json()).toMatchObject({ status: "processed" });
    expect((await transactionsOf(g)).map((x) => [x.type, x.stripePaymentIntentId])).toEqual([["incoming", intent!.id]]);

    // The hung node still holds its lease: the queued job leaves it alone. Once it lapsed, the sweep's job pays the sellers.
    await runJobs();
    expect(await transactionsOf(g)).toHaveLength(1);
    clock.advance(2 * 60_000);
    try {
      await runRenewals();
    } finally {
      faults.afterCharge = undefined;
      die(new Error("the node died"));
    }
    await expect(hung).rejects.toThrow("the node died");
    await expectPaidOnce(sub, sub.currentPeriodEnd);
    expect(await intentsOf(g)).toHaveLength(1);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("anchors months on the start day: Jan 31 renews on Feb 28, then Mar 31", async () => {
    const bob = await buyerWithCard();
    const c = await contract([bob]);
    clock.set(new Date("2027-01-31T10:00:00Z"));
    const sub = await subscribed(bob, c.id, { cycle: "monthly" });
    const time = sub.startDate.slice(10);
    expect(sub.startDate.slice(0, 10)).toBe("2027-01-31");
    expect(sub.currentPeriodEnd).toBe(`2027-02-28${time}`);

    clock.set(new Date(`2027-02-28${time.replace("Z", ".000Z")}`));
    clock.advance(1_000);
    await runRenewals();
    let now = await get(sub.id);
    expect([now.currentPeriodStart, now.currentPeriodEnd]).toEqual([`2027-02-28${time}`, `2027-03-31${time}`]);
    await expectPaidOnce(sub, `2027-02-28${time}`);

    clock.set(new Date(`2027-03-31${time.replace("Z", ".000Z")}`));
    clock.advance(1_000);
    await runRenewals();
    now = await get(sub.id);
    expect([now.currentPeriodStart, now.currentPeriodEnd]).toEqual([`2027-03-31${time}`, `2027-04-30${time}`]);
    await expectPaidOnce(sub, `2027-03-31${time}`);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("paused cycles are not charged (the period moves on); resumed, the next one is", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "weekly" });
    expect((await pause(sub.id)).statusCode).toBe(200);
    clock.advance(2 * WEEK + 60_000);
    await runRenewals();
    const skipped = await get(sub.id);
    expect(await allIntentsOf(sub)).toHaveLength(1);
    expect(skipped).toMatchObject({ isPaused: true, failedAttempts: 0 });
    expect(new Date(skipped.currentPeriodStart).getTime() - new Date(sub.startDate).getTime()).toBe(2 * WEEK);
    const events = (await eventsAbout(sub.id)).filter((e) => e.type === "subscription.renewal_skipped");
    expect(events).toHaveLength(2);
    expect(events[1]!.data.object).toEqual(skipped);
    expect(await t.db.transaction.count({ where: { subscriptionId: sub.id } })).toBe(5);

    expect((await resume(sub.id, bob)).statusCode).toBe(200);
    clock.advance(WEEK);
    await runRenewals();
    await expectPaidOnce(sub, skipped.currentPeriodEnd);
    expect(await allIntentsOf(sub)).toHaveLength(2);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("pausedUntil resumes by itself; cycles before it are skipped, the ones after charged", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "daily" });
    const until = new Date(new Date(sub.startDate).getTime() + 36 * HOUR).toISOString().replace(".000", "");
    const paused = await pause(sub.id, { pausedUntil: until });
    expect(paused.json()).toMatchObject({ isPaused: true, pausedUntil: until });

    clock.advance(DAY + 60_000); // the first renewal falls due, paused
    await runRenewals();
    expect(await get(sub.id)).toMatchObject({ isPaused: true });
    expect(await allIntentsOf(sub)).toHaveLength(1);

    clock.advance(13 * HOUR); // past pausedUntil, before the next cycle
    await runRenewals();
    const resumed = await get(sub.id);
    expect(resumed).toMatchObject({ isPaused: false, pausedUntil: until });
    const event = (await eventsAbout(sub.id)).find((e) => e.type === "subscription.resumed")!;
    expect(event).toMatchObject({ request_id: null });
    expect(event.data.object).toEqual(resumed);
    expect(await allIntentsOf(sub)).toHaveLength(1);

    clock.advance(12 * HOUR); // the next cycle
    await runRenewals();
    await expectPaidOnce(sub, resumed.currentPeriodEnd);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("a renewal that would charge a suspended subscriber or pay a suspended seller pauses the subscription instead; a suspended subscriber cannot subscribe", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "weekly" });
    const suspend = (id: string) => t.request({ method: "PUT", url: `/v1/users/${id}/suspend`, headers: key() });
    const unsuspend = (id: string) => t.request({ method: "PUT", url: `/v1/users/${id}/unsuspend`, headers: key() });
    expect((await suspend(bob.id)).statusCode).toBe(200);
    failed(await subscribe(bob, (await contract([bob])).id), 403, "user_suspended");
    clock.advance(WEEK + 60_000);
    await runRenewals();
    expect(await allIntentsOf(sub)).toHaveLength(1);
    expect(await get(sub.id)).toMatchObject({ isPaused: true, pausedUntil: null, pauseReason: "buyer_suspended", failedAttempts: 0, pastDue: false });
    expect((await eventsAbout(sub.id)).map((e) => e.type)).toContain("subscription.paused");
    failed(await resume(sub.id, bob), 403, "user_suspended");
    expect((await unsuspend(bob.id)).statusCode).toBe(200);
    expect((await resume(sub.id, bob)).statusCode).toBe(200);

    // A seller suspended: the same, whoever the subscriber.
    const seller = await t.createUser(acme, "member");
    await onboardSeller(t, acme, seller.id);
    const dan = await buyerWithCard();
    const theirs = await subscribed(dan, (await contract([dan], [{ user_id: seller.id, price: 3000 }])).id, { cycle: "weekly" });
    expect((await suspend(seller.id)).statusCode).toBe(200);
    failed(await subscribe(bob, (await contract([bob], [{ user_id: seller.id, price: 3000 }])).id), 409, "seller_suspended");
    clock.advance(WEEK + 60_000);
    await runRenewals();
    expect(await allIntentsOf(theirs)).toHaveLength(1);
    expect(await get(theirs.id)).toMatchObject({ isPaused: true, pauseReason: "seller_suspended", failedAttempts: 0 });
    expect((await unsuspend(seller.id)).statusCode).toBe(200);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
    expect((await end(theirs.id, dan)).statusCode).toBe(200);
  });

  it("an ended subscription is never charged again", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "daily" });
    expect((await end(sub.id, bob)).statusCode).toBe(200);
    clock.advance(3 * DAY + 60_000);
    await runRenewals();
    expect(await allIntentsOf(sub)).toHaveLength(1);
    expect(await get(sub.id)).toMatchObject({ isActive: false, nextAttempt: null, currentPeriodStart: sub.startDate });
  });

  it("a declined renewal is retried after 1 h, 6 h and 24 h, then the subscription is past due and the buyer emailed; resuming pays", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "weekly" });
    await useCard(t, acme, bob.id, "pm_card_chargeDeclined");
    const g = group(sub, sub.currentPeriodEnd);

    clock.advance(WEEK + 60_000);
    await runRenewals();
    let now = await get(sub.id);
    expect(now).toMatchObject({ failedAttempts: 1, pastDue: false, currentPeriodStart: sub.startDate });
    const firstRetry = new Date(now.nextAttempt).getTime() - clock.now().getTime();
    expect(firstRetry).toBeGreaterThan(HOUR - 60_000);
    expect(firstRetry).toBeLessThanOrEqual(HOUR);
    expect(await transactionsOf(g)).toHaveLength(0);
    // Not due yet: nothing happens.
    await runRenewals();
    expect(await intentsOf(g)).toHaveLength(1);

    for (const [wait, failures] of [
      [HOUR, 2],
      [6 * HOUR, 3],
    ] as const) {
      clock.advance(wait);
      await runRenewals();
      now = await get(sub.id);
      expect(now).toMatchObject({ failedAttempts: failures, pastDue: false });
    }
    expect(await intentsOf(g)).toHaveLength(3);

    clock.advance(24 * HOUR);
    await runRenewals();
    now = await get(sub.id);
    expect(now).toMatchObject({ failedAttempts: 4, pastDue: true, nextAttempt: null, isActive: true });
    const declined = await intentsOf(g);
    expect(declined.map((i) => i.chargeSucceeded)).toEqual([false, false, false, false]);
    // Each attempt has its own key: the period's, then :attempt:1, :attempt:2, :attempt:3.
    expect(await t.db.simIdempotencyKey.count({ where: { key: { in: [g, `${g}:attempt:1`, `${g}:attempt:2`, `${g}:attempt:3`] } } })).toBe(4);
    const events = (await eventsAbout(sub.id)).map((e) => e.type);
    expect(events.filter((e) => e === "subscription.renewal_failed")).toHaveLength(4);
    expect(events.at(-1)).toBe("subscription.past_due");
    expect((await eventsAbout(sub.id)).at(-1)!.data.object).toEqual(now);
    const email = await smtp.waitFor(bob.email, (m) => m.raw.includes(sub.id));
    expect(email.subject).toContain("payment");

    // Past due: no more automatic attempts.
    clock.advance(2 * DAY);
    await runRenewals();
    expect(await intentsOf(g)).toHaveLength(4);

    // Still declined: 402, and it stays past due.
    failed(await resume(sub.id, bob), 402, "card_declined");
    expect(await get(sub.id)).toMatchObject({ pastDue: true, failedAttempts: 5 });
    await useCard(t, acme, bob.id, "pm_card_visa");
    const paid = await resume(sub.id, bob);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ pastDue: false, failedAttempts: 0, currentPeriodStart: sub.currentPeriodEnd });
    await expectEventOf(paid, "subscription.renewed");
    await expectPaidOnce(sub, sub.currentPeriodEnd);
    expect(await t.db.simIdempotencyKey.count({ where: { key: `${g}:attempt:5` } })).toBe(1);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("a past-due subscription resumed periods later is charged for the period it is in, not the ones it missed", async () => {
    const bob = await buyerWithCard();
    const sub = await subscribed(bob, (await contract([bob])).id, { cycle: "daily" });
    await useCard(t, acme, bob.id, "pm_card_chargeDeclined");
    clock.advance(DAY + 60_000);
    for (const wait of [0, HOUR, 6 * HOUR, 24 * HOUR]) {
      clock.advance(wait);
      await runRenewals();
    }
    expect(await get(sub.id)).toMatchObject({ pastDue: true });
    clock.advance(3 * DAY);
    await useCard(t, acme, bob.id, "pm_card_visa");
    const paid = await resume(sub.id, bob);
    expect(paid.statusCode, paid.body).toBe(200);
    const start = new Date(paid.json().currentPeriodStart).getTime();
    expect(start).toBeLessThanOrEqual(clock.now().getTime());
    expect(new Date(paid.json().currentPeriodEnd).getTime()).toBeGreaterThan(clock.now().getTime());
    expect((start - new Date(sub.startDate).getTime()) / DAY).toBe(5);
    await expectPaidOnce(sub, paid.json().currentPeriodStart);
    expect((await allIntentsOf(sub)).filter((i) => i.chargeSucceeded)).toHaveLength(2);
    expect((await t.db.subscriptionCharge.findUniqueOrThrow({ where: { transferGroup: group(sub, sub.currentPeriodEnd) } })).status).toBe("void");
    expect((await end(sub.id, bob)).statusCode).toBe(200);
  });

  it("erasing the subscriber ends their subscriptions, with subscription.ended", async () => {
    const eve = await buyerWithCard();
    const sub = await subscribed(eve, (await contract([eve])).id);
    await t.db.user.update({ where: { id: eve.id }, data: { scheduledDeletion: new Date(clock.now().getTime() - 1000) } });
    await t.db.$executeRaw`SELECT graphile_worker.add_job('erase-due-users')`;
    await runJobs();
    const ended = await get(sub.id);
    expect(ended).toMatchObject({ isActive: false, nextAttempt: null });
    const event = (await eventsAbout(sub.id)).find((e) => e.type === "subscription.ended")!;
    expect(event.data.object).toEqual(ended);
  });
});
