import type { LightMyRequestResponse } from "fastify";
import { Logger, runOnce } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, onboardSeller, useCard, type Json } from "../helpers/contracts.js";

/**
 * Access that depends on a subscription (docs/api/subscriptions.md, Access): the platform's plan
 * gates buying and members-only products; paused, ended and past-due subscriptions do not count;
 * the answer is cached per node and evicted on every node when a subscription changes. Then the
 * subscriber's own pause, and the host's billing of platforms (`activeSubscription`).
 *
 * Two nodes share one database (node B proves the NOTIFY eviction); the renewals run through
 * graphile-worker's `runOnce` with the app's clock moved forward, as in subscriptions.test.ts.
 */

const DAY = 86_400_000;

function movableClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
}

const clock = movableClock();
const quiet = new Logger(() => () => {});
// One decline makes a renewal past due: no retries to wait for.
const env = { AUTH_CACHE_TTL: "300", SUBSCRIPTION_RETRY_SCHEDULE: "none" };
let a: TestContext;
let b: TestContext;
let acme: TestPlatform;
let sam: TestUser;
let plan: Json;
let goods: Json;

const as = (u: TestUser) => bearer(u.token);
const key = () => bearer(acme.apiKey);

async function runRenewals(ctx: TestContext): Promise<void> {
  await ctx.app.services.tasks["renew-subscriptions"]!({}, {} as never);
  await runOnce({ connectionString: ctx.databaseUrl, taskList: ctx.app.services.tasks, noHandleSignals: true, logger: quiet });
}

async function product(payload: Json, seller: TestUser = sam, ctx: TestContext = a): Promise<Json> {
  const res = await ctx.request({ method: "POST", url: "/v1/products", headers: as(seller), payload: { price: 1000, ...payload } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function settings(payload: Json): Promise<void> {
  const res = await a.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload });
  expect(res.statusCode, res.body).toBe(200);
}

async function member(role: "member" | "editor" | "admin" = "member"): Promise<TestUser> {
  const user = await a.createUser(acme, role);
  await addCard(a, acme, user.id);
  return user;
}

/** The user subscribes to the plan: a contract of theirs for the plan product, then the subscription. */
async function subscribeToPlan(user: TestUser, ctx: TestContext = a, planId: string = plan.id, extra: Json = {}): Promise<LightMyRequestResponse> {
  const c = await ctx.request({ method: "POST", url: "/v1/contracts", headers: as(user), payload: { items: [{ product_id: planId }], buyers: [{ user_id: user.id }] } });
  expect(c.statusCode, c.body).toBe(201);
  return ctx.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${c.json().id}`, headers: as(user), payload: extra });
}

async function subscribed(user: TestUser): Promise<Json> {
  const res = await subscribeToPlan(user);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const addToCart = (user: TestUser, productId: string, ctx: TestContext = a) =>
  ctx.request({ method: "POST", url: `/v1/carts/auth/product/${productId}`, headers: as(user), payload: { quantity: 1 } });
const retrieve = (user: TestUser, productId: string, ctx: TestContext = a) => ctx.request({ method: "GET", url: `/v1/products/${productId}`, headers: as(user) });
const listed = async (user: TestUser): Promise<string[]> => {
  const res = await a.request({ method: "GET", url: "/v1/products?per_page=100", headers: as(user) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().data.map((p: Json) => p.id);
};
const pauseOwn = (id: string, user: TestUser, payload?: Json, headers: Json = {}) =>
  a.request({ method: "PUT", url: `/v1/subscriptions/auth/${id}/pause`, headers: { ...as(user), ...headers }, ...(payload ? { payload } : {}) });
const resume = (id: string, user: TestUser) => a.request({ method: "PUT", url: `/v1/subscriptions/auth/${id}/resume`, headers: as(user) });
const end = (id: string, user: TestUser, ctx: TestContext = a) => ctx.request({ method: "DELETE", url: `/v1/subscriptions/auth/${id}`, headers: as(user) });

function expectRequired(res: LightMyRequestResponse, planId: string = plan.id): void {
  expect(res.statusCode, res.body).toBe(402);
  expect(res.json().error).toMatchObject({ code: "subscription_required", plan: planId });
  expect(res.json().error.message).toContain(planId);
}

beforeAll(async () => {
  a = await createTestContext(env, { clock });
  b = await createTestContext(env, { clock, sharedDatabaseUrl: a.databaseUrl });
  acme = await a.createPlatform({ name: "Acme" });
  sam = await a.createUser(acme, "member");
  await onboardSeller(a, acme, sam.id);
  plan = await product({ name: "Membership", type: "service", cycle: "monthly" });
  goods = await product({ name: "Lamp", price: 2500 });
});
afterAll(async () => {
  await b?.close();
  await a?.close();
});

describe("a platform that sells to subscribed members only", () => {
  it("names its plan on the platform object; a plan that is not its own is 404", async () => {
    const before = (await a.request({ method: "GET", url: "/v1/platforms", headers: key() })).json();
    expect(before).toMatchObject({ subscriptionPlan: null, subscriptionRequired: false, activeSubscription: null });
    const unknown = await a.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { subscriptionPlan: newId("contract") } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error.param).toBe("subscriptionPlan");
    expect((await a.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { subscriptionPlan: "lamp" } })).statusCode).toBe(400);
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: true });
    expect((await a.request({ method: "GET", url: "/v1/platforms", headers: key() })).json()).toMatchObject({ subscriptionPlan: plan.id, subscriptionRequired: true });
  });

  it("answers 402 naming the plan to a member without a subscription, and lets them buy once subscribed", async () => {
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: true });
    const bob = await member();
    expectRequired(await addToCart(bob, goods.id));
    const asBuyer = await a.request({ method: "POST", url: "/v1/contracts", headers: as(bob), payload: { items: [{ product_id: goods.id }], buyers: [{ user_id: bob.id }] } });
    expectRequired(asBuyer);
    // The plan itself is always for sale, and subscribing to it is open.
    const sub = await subscribed(bob);
    expect(sub).toMatchObject({ service_id: plan.id, isActive: true });
    // At once, on the node that answered 402 a moment ago (it forgot its cached answer at the commit).
    expect((await addToCart(bob, goods.id)).statusCode).toBe(200);
    const cart = (await a.request({ method: "GET", url: "/v1/carts/auth", headers: as(bob) })).json();
    const checkout = await a.request({ method: "POST", url: `/v1/contracts/cart/${cart.id}`, headers: as(bob) });
    expect(checkout.statusCode, checkout.body).toBe(201);
  });

  it("does not gate the key, owners or admins; editors buy like members", async () => {
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: true });
    const admin = await member("admin");
    const owner = await a.createUser(acme, "owner");
    const editor = await member("editor");
    expect((await addToCart(admin, goods.id)).statusCode).toBe(200);
    expect((await addToCart(owner, goods.id)).statusCode).toBe(200);
    expectRequired(await addToCart(editor, goods.id));
    const viaKey = await a.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ product_id: goods.id }], buyers: [{ user_id: editor.id }] } });
    expect(viaKey.statusCode, viaKey.body).toBe(201);
    // The editor, a buyer of it, cannot accept it (consent to pay is buying) without a subscription.
    expectRequired(await a.request({ method: "POST", url: `/v1/contracts/${viaKey.json().id}/accept`, headers: as(editor) }));
    // Nor settle it themself: nobody is charged.
    expectRequired(await a.request({ method: "PUT", url: `/v1/contracts/${viaKey.json().id}/settle`, headers: as(editor) }));
    expect((await a.request({ method: "GET", url: `/v1/contracts/${viaKey.json().id}`, headers: key() })).json().status).toBe("draft");
  });

  it("gates the checkout of a cart filled before the platform required the plan", async () => {
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: false });
    const jay = await member();
    const cart = (await addToCart(jay, goods.id)).json();
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: true });
    expectRequired(await a.request({ method: "POST", url: `/v1/contracts/cart/${cart.id}`, headers: as(jay) }));
    expect((await a.request({ method: "GET", url: "/v1/carts/auth", headers: as(jay) })).json().items).toHaveLength(1);
  });

  it("does not count paused, ended or past-due subscriptions", async () => {
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: true });
    const bob = await member();
    const sub = await subscribed(bob);
    expect((await addToCart(bob, goods.id)).statusCode).toBe(200);
    expect((await pauseOwn(sub.id, bob)).statusCode).toBe(200);
    expectRequired(await addToCart(bob, goods.id));
    expect((await resume(sub.id, bob)).statusCode).toBe(200);
    expect((await addToCart(bob, goods.id)).statusCode).toBe(200);
    expect((await end(sub.id, bob)).statusCode).toBe(200);
    expectRequired(await addToCart(bob, goods.id));

    const carol = await member();
    const hers = await subscribed(carol);
    expect((await addToCart(carol, goods.id)).statusCode).toBe(200);
    await useCard(a, acme, carol.id, "pm_card_chargeDeclined");
    clock.advance(32 * DAY);
    await runRenewals(a);
    const now = (await a.request({ method: "GET", url: `/v1/subscriptions/${hers.id}`, headers: key() })).json();
    expect(now).toMatchObject({ pastDue: true, isActive: true, ended: null });
    expectRequired(await addToCart(carol, goods.id));
  });

  it("forgets a cached answer on every node when the subscription changes", async () => {
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: true });
    const dan = await member();
    const sub = await subscribed(dan);
    // Node B answers from its cache: the row changes behind its back (no NOTIFY) and B does not notice.
    await expect
      .poll(
        async () => {
          await addToCart(dan, goods.id, b);
          await a.db.subscription.update({ where: { id: sub.id }, data: { isPaused: true } });
          const status = (await addToCart(dan, goods.id, b)).statusCode;
          await a.db.subscription.update({ where: { id: sub.id }, data: { isPaused: false } });
          return status;
        },
        { timeout: 20_000, interval: 50 },
      )
      .toBe(200);
    // A change through the API evicts it on node B as soon as it commits.
    expect((await pauseOwn(sub.id, dan)).statusCode).toBe(200);
    await expect.poll(async () => (await addToCart(dan, goods.id, b)).statusCode, { timeout: 5_000, interval: 20 }).toBe(402);
    expect((await resume(sub.id, dan)).statusCode).toBe(200);
    await expect.poll(async () => (await addToCart(dan, goods.id, b)).statusCode, { timeout: 5_000, interval: 20 }).toBe(200);
    expect((await end(sub.id, dan)).statusCode).toBe(200);
    await expect.poll(async () => (await addToCart(dan, goods.id, b)).statusCode, { timeout: 5_000, interval: 20 }).toBe(402);
  });

  it("takes a contract as the plan too", async () => {
    const erin = await member();
    const c = await a.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: sam.id, price: 1500 }], buyers: [{ user_id: erin.id }] } });
    expect(c.statusCode, c.body).toBe(201);
    await settings({ subscriptionPlan: c.json().id, subscriptionRequired: true });
    expectRequired(await addToCart(erin, goods.id), c.json().id);
    const sub = await a.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${c.json().id}`, headers: as(erin) });
    expect(sub.statusCode, sub.body).toBe(201);
    expect((await addToCart(erin, goods.id)).statusCode).toBe(200);
  });
});

describe("members-only products", () => {
  it("are hidden from lists, 402 to read and to buy for members without a subscription; their seller, editors and subscribers see them", async () => {
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: false });
    const secret = await product({ name: "Backstage pass", membersOnly: true });
    expect(secret.membersOnly).toBe(true);
    const variant = await product({ name: "Backstage pass, front row", parent_product_id: secret.id });
    const fred = await member();
    expect(await listed(fred)).not.toContain(secret.id);
    expect(await listed(fred)).toContain(goods.id);
    expectRequired(await retrieve(fred, secret.id));
    expectRequired(await retrieve(fred, variant.id));
    expectRequired(await a.request({ method: "GET", url: `/v1/products/${secret.id}/prices`, headers: as(fred) }));
    expectRequired(await addToCart(fred, variant.id));
    // Without the platform-wide setting, everything else is for sale to anyone.
    expect((await addToCart(fred, goods.id)).statusCode).toBe(200);

    // The seller reads their own; an editor reads the catalogue.
    expect(await listed(sam)).toContain(secret.id);
    expect((await retrieve(sam, secret.id)).statusCode).toBe(200);
    const editor = await member("editor");
    expect((await retrieve(editor, secret.id)).statusCode).toBe(200);
    expect((await a.request({ method: "GET", url: `/v1/products/${secret.id}`, headers: key() })).statusCode).toBe(200);

    await subscribed(fred);
    expect(await listed(fred)).toContain(secret.id);
    expect((await retrieve(fred, secret.id)).statusCode).toBe(200);
    expect((await addToCart(fred, variant.id)).statusCode).toBe(200);
  });

  it("are open to everyone while the platform names no plan", async () => {
    await settings({ subscriptionPlan: null, subscriptionRequired: false });
    const open = await product({ name: "Open day", membersOnly: true });
    const gus = await member();
    expect((await retrieve(gus, open.id)).statusCode).toBe(200);
    expect((await addToCart(gus, open.id)).statusCode).toBe(200);
  });
});

describe("PUT /v1/subscriptions/auth/:id/pause: the subscriber pauses their own subscription", () => {
  it("pauses the caller's subscription (until a date, or until resumed), not another's", async () => {
    await settings({ subscriptionPlan: plan.id, subscriptionRequired: false });
    const hal = await member();
    const ida = await member();
    const sub = await subscribed(hal);
    // Another member cannot see it: 404; the contract's seller can: 403, as for resume and end.
    const other = await pauseOwn(sub.id, ida);
    expect(other.statusCode).toBe(404);
    const seller = await pauseOwn(sub.id, sam);
    expect(seller.statusCode).toBe(403);
    expect(seller.json().error.code).toBe("not_subscriber");
    expect((await pauseOwn(sub.id, hal, { pausedUntil: new Date(clock.now().getTime() - DAY).toISOString() })).statusCode).toBe(400);

    const until = new Date(clock.now().getTime() + 10 * DAY).toISOString().replace(/\.\d{3}Z$/, "Z");
    const idem = { "idempotency-key": newId("event") };
    const paused = await pauseOwn(sub.id, hal, { pausedUntil: until }, idem);
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ isPaused: true, pausedUntil: until, pauseReason: "subscriber" });
    const replay = await pauseOwn(sub.id, hal, { pausedUntil: until }, idem);
    expect(replay.statusCode).toBe(200);
    expect(replay.body).toBe(paused.body);
    const again = await pauseOwn(sub.id, hal);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("subscription_paused");
    const events = (await a.request({ method: "GET", url: `/v1/events?filter[object_id]=${sub.id}`, headers: key() })).json().data as Json[];
    expect(events.filter((e) => e.type === "subscription.paused")).toHaveLength(1);

    // The platform's own pause route stays the key's and admins'.
    expect((await a.request({ method: "PUT", url: `/v1/subscriptions/${sub.id}/pause`, headers: as(hal) })).statusCode).toBe(403);
    expect((await resume(sub.id, hal)).statusCode).toBe(200);
    expect((await end(sub.id, hal)).statusCode).toBe(200);
    expect((await pauseOwn(sub.id, hal)).json().error.code).toBe("subscription_ended");
  });
});

describe("activeSubscription: the host bills its platforms", () => {
  let h0: TestContext;
  let h: TestContext;
  let host: TestPlatform;
  let shop: TestPlatform;
  let hostPlan: Json;
  let olivia: TestUser;

  beforeAll(async () => {
    // The host's id is configuration: a first node creates the host platform, the node under test is configured with it.
    h0 = await createTestContext({}, { clock });
    host = await h0.createPlatform({ name: "Host" });
    h = await createTestContext({ ...env, HOST_PLATFORM_ID: host.id }, { clock, sharedDatabaseUrl: h0.databaseUrl });
    shop = await h.createPlatform({ name: "Shop" });
    await h.createUser(shop, "owner", "olivia@shop.test");
    olivia = await h.createUser(host, "member", "olivia@shop.test");
    await addCard(h, host, olivia.id);
    const seller = await h.createUser(host, "member");
    await onboardSeller(h, host, seller.id);
    hostPlan = await product({ name: "Shop plan", type: "service", cycle: "monthly", price: 4900 }, seller, h);
  });
  afterAll(async () => {
    await h?.close();
    await h0?.close();
  });

  const activeSubscription = async () => (await h.request({ method: "GET", url: "/v1/platforms", headers: bearer(shop.apiKey) })).json().activeSubscription;
  const runJobs = () => runOnce({ connectionString: h.databaseUrl, taskList: h.app.services.tasks, noHandleSignals: true, logger: quiet });

  it("is null while the host does not bill the platform; platform_id is the host's and its owners' only", async () => {
    expect(await activeSubscription()).toBeNull();
    const elsewhere = await subscribeToPlan(await member(), a, plan.id, { platform_id: shop.id });
    expect(elsewhere.statusCode).toBe(400);
    expect(elsewhere.json().error.param).toBe("platform_id");
    const stranger = await h.createUser(host, "member");
    await addCard(h, host, stranger.id);
    const notOwner = await subscribeToPlan(stranger, h, hostPlan.id, { platform_id: shop.id });
    expect(notOwner.statusCode).toBe(404);
    expect(notOwner.json().error.param).toBe("platform_id");
  });

  it("is set when the owner subscribes for the platform, and cleared when the subscription ends or goes unpaid", async () => {
    const res = await subscribeToPlan(olivia, h, hostPlan.id, { platform_id: shop.id });
    expect(res.statusCode, res.body).toBe(201);
    const first = res.json();
    await runJobs();
    expect(await activeSubscription()).toBe(first.id);
    expect((await end(first.id, olivia, h)).statusCode).toBe(200);
    await runJobs();
    expect(await activeSubscription()).toBeNull();

    const second = await subscribeToPlan(olivia, h, hostPlan.id, { platform_id: shop.id });
    expect(second.statusCode, second.body).toBe(201);
    await runJobs();
    expect(await activeSubscription()).toBe(second.json().id);
    await useCard(h, host, olivia.id, "pm_card_chargeDeclined");
    clock.advance(32 * DAY);
    await runRenewals(h);
    expect((await h.request({ method: "GET", url: `/v1/subscriptions/${second.json().id}`, headers: bearer(host.apiKey) })).json().pastDue).toBe(true);
    await runJobs();
    expect(await activeSubscription()).toBeNull();
  });
});
