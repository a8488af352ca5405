import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { convertAmount } from "../../src/lib/currency.js";
import type { Clock } from "../../src/lib/time.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, type Json, okContract, onboardSeller } from "../helpers/contracts.js";

/**
 * Per-seller payout currency (docs/api/payouts.md, Payout currency): a seller's payout settings set
 * their Connect account's default currency where its country allows it; transfers stay in the
 * charge currency and arrive converted (the simulator's fixed rates), shown in the statement with
 * the original amount and the rate. And the one way to set a schedule: the bank account route's
 * payoutSchedule goes through the payout settings.
 */

function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const DAY = 86_400_000;
const clock = movableClock();
let t: TestContext;
let acme: TestPlatform;
let dora: TestUser; // a German seller
let kai: TestUser; // a Japanese seller
let sam: TestUser; // a US seller
let bob: TestUser;

const key = () => bearer(acme.apiKey);
const as = (u: TestUser) => bearer(u.token);
const gateway = () => t.app.services.payments as OfflinePaymentsGateway;
const day = (d: Date) => d.toISOString().slice(0, 10);

async function onboardIn(user: TestUser, country: string): Promise<void> {
  const created = await t.request({ method: "POST", url: `/v1/users/${user.id}/bank_account`, headers: key(), payload: { return_url: "https://shop.test/p", country } });
  expect(created.statusCode, created.body).toBe(200);
  const link = new URL(created.json().url as string);
  expect((await t.request({ method: "GET", url: `${link.pathname}${link.search}` })).statusCode).toBe(302);
}

async function sell(seller: TestUser, price: number): Promise<Json> {
  const c = okContract(
    await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: seller.id, price }], buyers: [{ user_id: bob.id }] } }),
    201,
  );
  const settled = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() });
  expect(settled.statusCode, settled.body).toBe(200);
  return settled.json();
}

async function statementOf(user: TestUser) {
  const range = `from=${day(new Date(Date.now() - DAY))}&to=${day(new Date(clock.now().getTime() + DAY))}`;
  const res = await t.request({ method: "GET", url: `/v1/users/${user.id}/statement?${range}`, headers: as(user) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

beforeAll(async () => {
  t = await createTestContext({}, { clock });
  acme = await t.createPlatform({ name: "Acme" });
  dora = await t.createUser(acme, "member");
  kai = await t.createUser(acme, "member");
  sam = await t.createUser(acme, "member");
  bob = await t.createUser(acme, "member");
  await onboardIn(dora, "DE");
  await onboardIn(kai, "JP");
  await onboardSeller(t, acme, sam.id);
  await addCard(t, acme, bob.id);
});
afterAll(() => t.close());

describe("setting the payout currency", () => {
  it("a German seller chooses euros: the account's default currency follows, the settings say so", async () => {
    const res = await t.request({ method: "PUT", url: `/v1/users/${dora.id}/payout_settings`, headers: as(dora), payload: { measurement: "day", frequency: 2, currency: "eur" } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ currency: "eur", measurement: "day", frequency: 2 });
    const connectId = (await t.db.user.findUniqueOrThrow({ where: { id: dora.id } })).stripeConnectId!;
    expect((await gateway().retrieveAccount(connectId)).defaultCurrency).toBe("eur");
    // Sending the settings again without a currency keeps it.
    const kept = await t.request({ method: "PUT", url: `/v1/users/${dora.id}/payout_settings`, headers: key(), payload: { measurement: "week", frequency: 1 } });
    expect(kept.json().currency).toBe("eur");
    expect((await t.request({ method: "GET", url: `/v1/users/${dora.id}/payout_balance`, headers: as(dora) })).json().payout_currency).toBe("eur");
  });

  it("refuses a currency the account's country cannot be paid out in (422 naming currency), and one we do not know (400); nothing changes", async () => {
    const us = await t.request({ method: "PUT", url: `/v1/users/${sam.id}/payout_settings`, headers: key(), payload: { measurement: "day", frequency: 2, currency: "eur" } });
    expect([us.statusCode, us.json().error.code, us.json().error.param]).toEqual([422, "currency_unsupported", "currency"]);
    for (const currency of ["xyz", "EUR", "btc"]) {
      const bad = await t.request({ method: "PUT", url: `/v1/users/${sam.id}/payout_settings`, headers: key(), payload: { measurement: "day", frequency: 2, currency } });
      expect([bad.statusCode, bad.json().error.param]).toEqual([400, "currency"]);
    }
    const settings = await t.request({ method: "GET", url: `/v1/users/${sam.id}/payout_settings`, headers: key() });
    expect(settings.json()).toMatchObject({ currency: null, updated: null });
    const jp = await t.request({ method: "PUT", url: `/v1/users/${kai.id}/payout_settings`, headers: key(), payload: { measurement: "day", frequency: 2, currency: "usd" } });
    expect([jp.statusCode, jp.json().error.param]).toEqual([422, "currency"]);
  });
});

describe("a converted transfer", () => {
  it("a sale in dollars reaches the German seller in euros: the statement shows the original, the rate and what arrived; the balance and payouts are in euros", async () => {
    const shares: number[] = [];
    for (const price of [10_000, 3_333, 777]) shares.push((await sell(dora, price)).sellers[0].amountReceived as number);
    const statement = await statementOf(dora);
    const transfers = statement.lines.filter((l: Json) => l.kind === "transfer");
    expect(transfers).toHaveLength(3);
    transfers.forEach((line: Json, i: number) => {
      expect(line.conversion).toEqual({
        original_amount: shares[i],
        original_currency: "usd",
        converted_amount: convertAmount(shares[i]!, "usd", "eur", "0.92"),
        converted_currency: "eur",
        exchange_rate: 0.92,
      });
      expect([line.amount, line.currency]).toEqual([line.conversion.converted_amount, "eur"]);
    });
    const inEuros = transfers.reduce((sum: number, l: Json) => sum + (l.amount as number), 0);
    expect(statement.totals).toEqual([{ currency: "eur", in: inEuros, out: 0, net: inEuros }]);
    // The simulator's balance is the sum of what arrived, each converted once.
    const balance = (await t.request({ method: "GET", url: `/v1/users/${dora.id}/payout_balance`, headers: key() })).json();
    expect(balance.pending).toEqual([{ amount: inEuros, currency: "eur" }]);

    // The CSV carries the conversion too.
    const range = `from=${day(new Date(Date.now() - DAY))}&to=${day(new Date(clock.now().getTime() + DAY))}`;
    const csv = await t.request({ method: "GET", url: `/v1/users/${dora.id}/statement?${range}&format=csv`, headers: key() });
    expect(csv.body.split("\r\n")[1]).toMatch(new RegExp(`,transfer,${transfers[0].amount},eur,.*,${shares[0]},usd,0\\.92$`));

    // Paid out in euros on the seller's (daily) schedule.
    await t.request({ method: "PUT", url: `/v1/users/${dora.id}/payout_settings`, headers: key(), payload: { measurement: "day", frequency: 2 } });
    clock.advance(3 * DAY);
    await t.request({ method: "POST", url: "/offline/payouts/run", headers: { "content-type": "application/json" }, payload: {} });
    await gateway().idle();
    const payouts = await t.request({ method: "GET", url: `/v1/payouts?filter[user_id]=${dora.id}`, headers: key() });
    expect(payouts.json().data.map((p: Json) => [p.amount, p.currency])).toEqual([[inEuros, "eur"]]);
  });

  it("a zero-decimal currency: the Japanese seller, whose account is in yen from the start, gets whole yen", async () => {
    expect((await t.request({ method: "GET", url: `/v1/users/${kai.id}/payout_settings`, headers: key() })).json().currency).toBeNull();
    const share = (await sell(kai, 2_599)).sellers[0].amountReceived as number;
    const [line] = (await statementOf(kai)).lines;
    expect(line.conversion).toMatchObject({ original_amount: share, converted_currency: "jpy", exchange_rate: 151.5 });
    expect(line.amount).toBe(Math.round((share / 100) * 151.5));
  });

  it("a seller with no payout currency is paid as before: no conversion", async () => {
    await sell(sam, 5_000);
    const [line] = (await statementOf(sam)).lines;
    expect([line.currency, line.conversion]).toEqual(["usd", null]);
  });
});

describe("one way to set the schedule", () => {
  it("the bank account's payoutSchedule is written to the payout settings: both say the same, and a threshold is cleared", async () => {
    const withThreshold = await t.request({
      method: "PUT",
      url: `/v1/users/${sam.id}/payout_settings`,
      headers: key(),
      payload: { measurement: "day", frequency: 2, threshold: 5_000 },
    });
    expect(withThreshold.json().stripe_schedule).toEqual({ interval: "manual" });
    const weekly = await t.request({
      method: "PUT",
      url: `/v1/users/${sam.id}/bank_account`,
      headers: key(),
      payload: { payoutSchedule: { interval: "weekly", weeklyAnchor: "thursday" } },
    });
    expect(weekly.statusCode, weekly.body).toBe(200);
    expect(weekly.json().bankAccount.payoutSchedule).toMatchObject({ interval: "weekly", weeklyAnchor: "thursday" });
    const settings = (await t.request({ method: "GET", url: `/v1/users/${sam.id}/payout_settings`, headers: as(sam) })).json();
    expect(settings).toMatchObject({ measurement: "week", frequency: 4, threshold: null, stripe_schedule: { interval: "weekly", weekly_anchor: "thursday" } });

    const monthly = await t.request({
      method: "PUT",
      url: "/v1/users/auth/bank_account",
      headers: as(sam),
      payload: { payoutSchedule: { interval: "monthly", monthlyAnchor: 31 } },
    });
    expect(monthly.json().bankAccount.payoutSchedule).toMatchObject({ interval: "monthly", monthlyAnchor: 31 });
    expect((await t.request({ method: "GET", url: `/v1/users/${sam.id}/payout_settings`, headers: key() })).json()).toMatchObject({ measurement: "month_day", frequency: -1 });

    // And the other way: payout settings show in the bank account without re-reading Stripe.
    await t.request({ method: "PUT", url: `/v1/users/${sam.id}/payout_settings`, headers: key(), payload: { measurement: "day", frequency: 5 } });
    const row = await t.db.user.findUniqueOrThrow({ where: { id: sam.id } });
    expect(row.payoutSchedule).toMatchObject({ interval: "daily", delay_days: 5 });
    const types = (await t.db.event.findMany({ where: { platformId: acme.id, type: { in: ["payout_settings.updated", "bank_account.updated"] } } })).map((e) => e.type);
    expect(new Set(types)).toEqual(new Set(["payout_settings.updated", "bank_account.updated"]));
  });
});
