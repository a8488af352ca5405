import { Logger, runOnce } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, okContract, onboardSeller, useCard, type Json } from "../helpers/contracts.js";
import { startSmtpServer } from "../helpers/smtp.js";

/**
 * Renewals of a card that wants 3-D Secure (`pm_card_authenticationRequired`): off-session it
 * declines `authentication_required`, so the renewal asks the subscriber — an on-session intent in
 * `requires_action`, an email (to a real SMTP server) with the link, `subscription.payment_action_required`
 * — and the link's Complete renews the subscription through the webhook; unanswered, it is past due.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

function movableClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => void (offset += ms) };
}

const clock = movableClock();
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let sam: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, PUBLIC_URL: "http://api.test", SUBSCRIPTION_RETRY_SCHEDULE: "1h,6h" }, { clock });
  acme = await t.createPlatform({ name: "Acme", url: "https://acme.test" });
  sam = await t.createUser(acme, "member");
  await onboardSeller(t, acme, sam.id);
});
afterAll(async () => {
  await t?.close();
  await smtp?.stop();
});

const key = () => bearer(acme.apiKey);
const quiet = new Logger(() => () => {});
async function runRenewals(): Promise<void> {
  await t.app.services.tasks["renew-subscriptions"]!({}, {} as never);
  await runOnce({ connectionString: t.databaseUrl, taskList: t.app.services.tasks, noHandleSignals: true, logger: quiet });
}
const get = async (id: string) => (await t.request({ method: "GET", url: `/v1/subscriptions/${id}`, headers: key() })).json() as Json;
const eventsAbout = async (id: string) =>
  (await t.request({ method: "GET", url: `/v1/events?filter[object_id]=${id}&per_page=100`, headers: key() })).json().data.map((e: Json) => e.type as string);

/** A weekly subscription paid with a visa, whose default card then becomes one that wants 3-D Secure. */
async function subscriptionOnAuthenticatingCard(): Promise<{ subscriber: TestUser; sub: Json }> {
  const subscriber = await t.createUser(acme, "member");
  await addCard(t, acme, subscriber.id, "pm_card_visa");
  const c = okContract(
    await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: sam.id, price: 2500 }], buyers: [{ user_id: subscriber.id }] } }),
    201,
  );
  const res = await t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${c.id}`, headers: bearer(subscriber.token), payload: { cycle: "weekly" } });
  expect(res.statusCode, res.body).toBe(201);
  await useCard(t, acme, subscriber.id, "pm_card_authenticationRequired");
  return { subscriber, sub: res.json() };
}

function linkIn(raw: string): URL {
  // Quoted-printable may wrap the line: undo soft breaks first.
  const text = raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
  const match = /http:\/\/api\.test\/offline\/payment_intents\/\S+/.exec(text);
  expect(match, text).not.toBeNull();
  return new URL(match![0]);
}

describe("a renewal whose card wants 3-D Secure", () => {
  it("asks the subscriber by email; completing the link renews the subscription", async () => {
    const { subscriber, sub } = await subscriptionOnAuthenticatingCard();
    clock.advance(WEEK + 60_000);
    await runRenewals();

    const email = await smtp.waitFor(subscriber.email, (m) => m.subject.includes("confirm your subscription payment"));
    const link = linkIn(email.raw);
    const waiting = await get(sub.id);
    expect(waiting.currentPeriodStart).toBe(sub.currentPeriodStart);
    expect(await eventsAbout(sub.id)).toContain("subscription.payment_action_required");
    const rows = await t.db.subscriptionCharge.findMany({ where: { subscriptionId: sub.id, status: "open" } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.actionPaymentIntentId).toBe(link.pathname.split("/")[3]);

    // Nothing automatic while it waits: another sweep makes no new intent and sends no second email.
    const before = await t.db.simPaymentIntent.count({
      where: { customerId: (await t.db.simPaymentIntent.findFirstOrThrow({ where: { id: rows[0]!.actionPaymentIntentId! } })).customerId },
    });
    clock.advance(2 * HOUR);
    await runRenewals();
    expect(
      await t.db.simPaymentIntent.count({ where: { customerId: (await t.db.simPaymentIntent.findFirstOrThrow({ where: { id: rows[0]!.actionPaymentIntentId! } })).customerId } }),
    ).toBe(before);

    const page = await t.request({ method: "GET", url: `${link.pathname}${link.search}` });
    expect(page.statusCode).toBe(200);
    const done = await t.request({
      method: "POST",
      url: link.pathname,
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: new URLSearchParams({ client_secret: link.searchParams.get("client_secret")!, outcome: "complete" }).toString(),
    });
    expect(done.statusCode, done.body).toBe(200);
    // The webhook recorded the charge and queued the job that pays the seller and renews.
    await runOnce({ connectionString: t.databaseUrl, taskList: t.app.services.tasks, noHandleSignals: true, logger: quiet });
    const renewed = await get(sub.id);
    expect(renewed).toMatchObject({ currentPeriodStart: sub.currentPeriodEnd, pastDue: false, failedAttempts: 0 });
    expect(await eventsAbout(sub.id)).toContain("subscription.renewed");
  });

  it("unanswered past its window, the subscription is past due (and the subscriber emailed)", async () => {
    const { subscriber, sub } = await subscriptionOnAuthenticatingCard();
    clock.advance(WEEK + 60_000);
    await runRenewals();
    await smtp.waitFor(subscriber.email, (m) => m.subject.includes("confirm your subscription payment"));
    clock.advance(DAY + HOUR);
    await runRenewals();
    const after = await get(sub.id);
    expect(after.pastDue).toBe(true);
    expect(await eventsAbout(sub.id)).toContain("subscription.past_due");
    await smtp.waitFor(subscriber.email, (m) => /payment of .* failed/.test(m.subject));
  });
});
