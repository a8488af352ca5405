import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import type { Clock } from "../../src/lib/time.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, type Json, okContract, onboardSeller } from "../helpers/contracts.js";

/**
 * Payouts (docs/api/payouts.md): sellers' payout settings set their Connect account's schedule (or a
 * threshold this API pays out at), the offline simulator pays out on that schedule, `payout.*`
 * webhooks of the connected accounts become payout rows and events, balances come from Stripe and
 * statements from our records. Each rule of who may see and change a seller's money is tried as
 * the request a hostile member (or another platform) would send.
 */

/** A clock the tests move forward (funds become available after Stripe's delay). */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const DAY = 86_400_000;
const clock = movableClock();
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let sam: TestUser;
let wes: TestUser;
let bob: TestUser;
let mia: TestUser;
let ada: TestUser;
let olive: TestUser;

const key = () => bearer(acme.apiKey);
const as = (u: TestUser) => bearer(u.token);
const gateway = () => t.app.services.payments as OfflinePaymentsGateway;

async function sell(seller: TestUser, price: number): Promise<Json> {
  const c = okContract(
    await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: seller.id, price }], buyers: [{ user_id: bob.id }] } }),
    201,
  );
  const settled = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() });
  expect(settled.statusCode, settled.body).toBe(200);
  return settled.json();
}

async function eventsOf(type: string) {
  return t.db.event.findMany({ where: { platformId: acme.id, type }, orderBy: { seq: "asc" } });
}

beforeAll(async () => {
  t = await createTestContext({}, { clock });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  sam = await t.createUser(acme, "member");
  wes = await t.createUser(acme, "member");
  bob = await t.createUser(acme, "member");
  mia = await t.createUser(acme, "member");
  ada = await t.createUser(acme, "admin");
  olive = await t.createUser(acme, "owner");
  await onboardSeller(t, acme, sam.id);
  await onboardSeller(t, acme, wes.id);
  await onboardSeller(t, acme, olive.id);
  await addCard(t, acme, bob.id);
});
afterAll(() => t.close());

describe("balances", () => {
  it("a sale's share is pending at first, available after Stripe's delay; the seller, an admin and the key read it, nobody else", async () => {
    const paid = await sell(sam, 10_000);
    const share = paid.sellers[0].amountReceived as number;
    const now = await t.request({ method: "GET", url: `/v1/users/${sam.id}/payout_balance`, headers: as(sam) });
    expect(now.statusCode, now.body).toBe(200);
    expect(now.json()).toEqual({ user_id: sam.id, payout_currency: null, available: [], pending: [{ amount: share, currency: "usd" }] });

    clock.advance(3 * DAY);
    for (const headers of [as(sam), as(ada), key()]) {
      const later = await t.request({ method: "GET", url: `/v1/users/${sam.id}/payout_balance`, headers });
      expect(later.json().available).toEqual([{ amount: share, currency: "usd" }]);
    }
    // Another member, another platform's key: as if sam were not there.
    for (const headers of [as(mia), bearer(other.apiKey)]) {
      const refused = await t.request({ method: "GET", url: `/v1/users/${sam.id}/payout_balance`, headers });
      expect(refused.statusCode).toBe(404);
    }
    // A user without a Connect account: 409.
    const none = await t.request({ method: "GET", url: `/v1/users/${mia.id}/payout_balance`, headers: as(mia) });
    expect([none.statusCode, none.json().error.code]).toEqual([409, "bank_account_missing"]);
  });
});

describe("payout settings", () => {
  it("default to Stripe's daily schedule; the seller sets a weekly one, applied to their Connect account, with an event", async () => {
    const before = await t.request({ method: "GET", url: `/v1/users/${wes.id}/payout_settings`, headers: as(wes) });
    expect(before.json()).toMatchObject({ measurement: "day", frequency: 2, threshold: null, stripe_schedule: { interval: "daily", delay_days: 2 }, updated: null });

    const set = await t.request({ method: "PUT", url: `/v1/users/${wes.id}/payout_settings`, headers: as(wes), payload: { measurement: "week", frequency: 3 } });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toMatchObject({ measurement: "week", frequency: 3, threshold: null, stripe_schedule: { interval: "weekly", weekly_anchor: "wednesday" } });
    const account = await t.db.simAccount.findUniqueOrThrow({ where: { id: (await t.db.user.findUniqueOrThrow({ where: { id: wes.id } })).stripeConnectId! } });
    expect([account.payoutInterval, account.payoutWeeklyAnchor]).toEqual(["weekly", "wednesday"]);
    expect((await eventsOf("payout_settings.updated")).map((e) => e.objectId)).toContain(wes.id);

    const lastDay = await t.request({ method: "PUT", url: `/v1/users/${wes.id}/payout_settings`, headers: key(), payload: { measurement: "month_day", frequency: -1 } });
    expect(lastDay.json().stripe_schedule).toEqual({ interval: "monthly", monthly_anchor: 31 });
  });

  it("refuses a frequency that does not fit its measurement (400 naming it), and changes nothing", async () => {
    for (const payload of [
      { measurement: "week", frequency: 8 },
      { measurement: "month_day", frequency: 32 },
      { measurement: "day", frequency: 0 },
    ]) {
      const res = await t.request({ method: "PUT", url: `/v1/users/${wes.id}/payout_settings`, headers: as(wes), payload });
      expect([res.statusCode, res.json().error.param]).toEqual([400, "frequency"]);
    }
    const kept = await t.request({ method: "GET", url: `/v1/users/${wes.id}/payout_settings`, headers: as(wes) });
    expect(kept.json()).toMatchObject({ measurement: "month_day", frequency: -1 });
  });

  it("attacks: a member cannot read or set another seller's settings; an admin cannot set an owner's; another platform sees nothing", async () => {
    const mine = { measurement: "day", frequency: 30 };
    for (const method of ["GET", "PUT"] as const) {
      const res = await t.request({ method, url: `/v1/users/${sam.id}/payout_settings`, headers: as(mia), ...(method === "PUT" ? { payload: mine } : {}) });
      expect(res.statusCode).toBe(404);
      const foreign = await t.request({ method, url: `/v1/users/${sam.id}/payout_settings`, headers: bearer(other.apiKey), ...(method === "PUT" ? { payload: mine } : {}) });
      expect(foreign.statusCode).toBe(404);
    }
    const overOwner = await t.request({ method: "PUT", url: `/v1/users/${olive.id}/payout_settings`, headers: as(ada), payload: mine });
    expect([overOwner.statusCode, overOwner.json().error.code]).toEqual([403, "user_role_protected"]);
    const owner = await t.request({ method: "GET", url: `/v1/users/${olive.id}/payout_settings`, headers: as(olive) });
    expect(owner.json().updated).toBeNull();
    // An admin sets a member's.
    const byAdmin = await t.request({ method: "PUT", url: `/v1/users/${sam.id}/payout_settings`, headers: as(ada), payload: { measurement: "day", frequency: 2 } });
    expect(byAdmin.statusCode, byAdmin.body).toBe(200);
  });
});

describe("payouts", () => {
  it("a threshold: the schedule is manual; nothing is paid out below it, the whole available balance once it is reached; payout.* webhooks make the row and its events", async () => {
    const high = await t.request({
      method: "PUT",
      url: `/v1/users/${sam.id}/payout_settings`,
      headers: as(sam),
      payload: { measurement: "day", frequency: 2, threshold: 1_000_000 },
    });
    expect(high.json().stripe_schedule).toEqual({ interval: "manual" });
    const run = t.app.services.tasks["pay-out-thresholds"] as (payload: unknown, helpers: unknown) => Promise<void>;
    await run({}, {});
    await gateway().idle();
    expect(await t.db.payout.count({ where: { userId: sam.id } })).toBe(0);

    await t.request({ method: "PUT", url: `/v1/users/${sam.id}/payout_settings`, headers: as(sam), payload: { measurement: "day", frequency: 2, threshold: 500 } });
    const available = (await t.request({ method: "GET", url: `/v1/users/${sam.id}/payout_balance`, headers: as(sam) })).json().available[0].amount as number;
    await run({}, {});
    await run({}, {});
    await gateway().idle();
    const list = await t.request({ method: "GET", url: "/v1/payouts", headers: as(sam) });
    expect(list.json().data).toHaveLength(1);
    const payout = list.json().data[0];
    expect(payout).toMatchObject({ user_id: sam.id, amount: available, currency: "usd", status: "pending", automatic: false });
    expect((await t.request({ method: "GET", url: `/v1/users/${sam.id}/payout_balance`, headers: as(sam) })).json().available).toEqual([{ amount: 0, currency: "usd" }]);

    const finished = await t.request({ method: "POST", url: `/offline/payouts/${payout.stripe_payout_id}/finish`, payload: { outcome: "paid" } });
    expect(finished.json().event.status).toBe("processed");
    const paid = await t.request({ method: "GET", url: `/v1/payouts/${payout.id}`, headers: key() });
    expect(paid.json().status).toBe("paid");
    expect((await eventsOf("payout.created")).map((e) => e.objectId)).toContain(payout.id);
    expect((await eventsOf("payout.paid")).map((e) => e.objectId)).toEqual([payout.id]);
  });

  it("the simulator pays out on each account's schedule, once a day; a failed payout's money comes back", async () => {
    await t.request({ method: "PUT", url: `/v1/users/${wes.id}/payout_settings`, headers: as(wes), payload: { measurement: "day", frequency: 2 } });
    await sell(wes, 5_000);
    clock.advance(3 * DAY);
    const run = await t.request({ method: "POST", url: "/offline/payouts/run" });
    expect(run.statusCode, run.body).toBe(200);
    const mine = run.json().data.filter((p: Json) => p.event.status === "processed");
    const wesPayouts = await t.db.payout.findMany({ where: { userId: wes.id } });
    expect(wesPayouts).toHaveLength(1);
    expect(wesPayouts[0]).toMatchObject({ automatic: true, status: "pending" });
    expect(mine.map((p: Json) => p.id)).toContain(wesPayouts[0]!.stripePayoutId);
    // Sam is on a threshold (a manual schedule): Stripe pays nothing out on its own.
    expect(await t.db.payout.count({ where: { userId: sam.id, automatic: true } })).toBe(0);
    // Once a day.
    expect((await t.request({ method: "POST", url: "/offline/payouts/run" })).json().data).toEqual([]);

    await t.request({ method: "POST", url: `/offline/payouts/${wesPayouts[0]!.stripePayoutId}/finish`, payload: { outcome: "failed" } });
    const failed = await t.request({ method: "GET", url: `/v1/payouts/${wesPayouts[0]!.id}`, headers: as(wes) });
    expect(failed.json()).toMatchObject({ status: "failed", failure_code: "account_closed" });
    const balance = (await t.request({ method: "GET", url: `/v1/users/${wes.id}/payout_balance`, headers: as(wes) })).json();
    expect(balance.available).toEqual([{ amount: wesPayouts[0]!.amount, currency: "usd" }]);
    expect((await eventsOf("payout.failed")).map((e) => e.objectId)).toEqual([wesPayouts[0]!.id]);
  });

  it("attacks: a member lists only their own payouts and cannot retrieve another's; another platform sees none", async () => {
    const samPayout = (await t.db.payout.findFirstOrThrow({ where: { userId: sam.id } })).id;
    const asMia = await t.request({ method: "GET", url: "/v1/payouts", headers: as(mia) });
    expect(asMia.json().data).toEqual([]);
    const filtered = await t.request({ method: "GET", url: `/v1/payouts?filter[user_id]=${sam.id}`, headers: as(mia) });
    expect(filtered.json().data).toEqual([]);
    expect((await t.request({ method: "GET", url: `/v1/payouts/${samPayout}`, headers: as(mia) })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/payouts/${samPayout}`, headers: bearer(other.apiKey) })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: "/v1/payouts", headers: bearer(other.apiKey) })).json().data).toEqual([]);
    const all = await t.request({ method: "GET", url: "/v1/payouts?filter[status]=failed", headers: as(ada) });
    expect(all.json().data.map((p: Json) => p.user_id)).toEqual([wes.id]);
  });
});

describe("statements", () => {
  it("list a seller's transfers, payouts and returned payouts with totals; as CSV too; only for those who may see them", async () => {
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const range = `from=${day(new Date(Date.now() - DAY))}&to=${day(new Date(clock.now().getTime() + DAY))}`;
    const res = await t.request({ method: "GET", url: `/v1/users/${wes.id}/statement?${range}`, headers: as(wes) });
    expect(res.statusCode, res.body).toBe(200);
    const statement = res.json();
    expect(statement.lines.map((l: Json) => l.kind)).toEqual(["transfer", "payout", "payout_returned"]);
    const [transfer, payout, returned] = statement.lines;
    expect(payout.amount).toBe(-transfer.amount);
    expect(returned.amount).toBe(transfer.amount);
    expect(statement.totals).toEqual([{ currency: "usd", in: 2 * transfer.amount, out: transfer.amount, net: transfer.amount }]);

    const csv = await t.request({ method: "GET", url: `/v1/users/${wes.id}/statement?${range}&format=csv`, headers: key() });
    expect(csv.headers["content-type"]).toMatch(/^text\/csv/);
    const rows = csv.body.trim().split("\r\n");
    expect(rows[0]).toBe("date,kind,amount,currency,reference,contract_id,subscription_id,description,original_amount,original_currency,exchange_rate");
    expect(rows).toHaveLength(4);
    expect(rows[2]).toContain(`,payout,-${transfer.amount},usd,`);

    const bad = await t.request({ method: "GET", url: `/v1/users/${wes.id}/statement?from=2026-12-10&to=2026-12-01`, headers: key() });
    expect([bad.statusCode, bad.json().error.param]).toEqual([400, "to"]);
    expect((await t.request({ method: "GET", url: `/v1/users/${wes.id}/statement?${range}`, headers: as(mia) })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/users/${wes.id}/statement?${range}`, headers: bearer(other.apiKey) })).statusCode).toBe(404);
  });
});
