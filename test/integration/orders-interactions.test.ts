import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import type { Clock } from "../../src/lib/time.js";
import { settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * How the order's steps meet the rest (docs/api/contracts.md, Orders), on the offline simulator:
 * 3-D Secure under seller acceptance, a capture Stripe refuses, a cancel's refund that fails after
 * `pending`, the write-off of paid shares, held funds and disputes, refunds and bookings, and the
 * emails of each step. Jobs are run as the queue would run them (the worker is off).
 */

function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const clock = movableClock();
let t: TestContext;
let acme: TestPlatform;
let sam: TestUser;
let wes: TestUser;
let gateway: OfflinePaymentsGateway;

beforeAll(async () => {
  t = await createTestContext({}, { clock });
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  sam = await t.createUser(acme, "member");
  wes = await t.createUser(acme, "member");
  await onboardSeller(t, acme, sam.id);
  await onboardSeller(t, acme, wes.id);
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t?.close());

const key = () => bearer(acme.apiKey);
const post = (id: string, step: string, headers = key(), payload?: Json) =>
  t.request({ method: "POST", url: `/v1/contracts/${id}/${step}`, headers, ...(payload ? { payload } : {}) });
const get = async (id: string) => okContract(await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: key() }));
const settle = (id: string) => t.request({ method: "PUT", url: `/v1/contracts/${id}/settle`, headers: key() });

async function settings(orders: Json): Promise<void> {
  const res = await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { orders } });
  expect(res.statusCode, res.body).toBe(200);
}

async function buyer(card = "pm_card_visa"): Promise<TestUser> {
  const user = await t.createUser(acme, "member");
  await addCard(t, acme, user.id, card);
  return user;
}

async function contract(buyers: TestUser[], items: Json[] = [{ user_id: sam.id, price: 10000 }]): Promise<Json> {
  return okContract(await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items, buyers: buyers.map((b) => ({ user_id: b.id })) } }), 201);
}

async function product(quantity: number): Promise<string> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: key(), payload: { user_id: sam.id, name: "Lamp", price: 4000, quantity } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

/** Runs the job a change queued, as the worker would: it must be there. */
async function runJob(name: string, contractId: string): Promise<void> {
  const jobKey = `${name}:${contractId}`;
  const [job] = await t.db.$queryRaw<{ payload: unknown }[]>`SELECT payload FROM graphile_worker._private_jobs WHERE key = ${jobKey}`;
  expect(job, `${jobKey} is queued`).toBeDefined();
  await t.db.$executeRaw`SELECT graphile_worker.remove_job(${jobKey})`;
  await (t.app.services.tasks[name] as (payload: unknown, helpers: unknown) => Promise<void>)(job!.payload, {});
}
const queued = async (name: string, contractId: string) =>
  (await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker._private_jobs WHERE key = ${`${name}:${contractId}`}`)[0]!.n > 0n;

const intents = (contractId: string) => t.db.simPaymentIntent.findMany({ where: { transferGroup: contractId }, orderBy: { created: "asc" } });
const transfers = (contractId: string) => t.db.simTransfer.findMany({ where: { transferGroup: contractId } });
const ledger = (contractId: string) => t.db.transaction.findMany({ where: { contractId }, orderBy: [{ created: "asc" }, { id: "asc" }] });
const eventsOf = async (contractId: string) =>
  (await t.db.event.findMany({ where: { platformId: acme.id, type: { startsWith: "contract." } }, orderBy: { created: "asc" } }))
    .filter((e) => (e.data as Json).id === contractId || (e.data as Json).object?.id === contractId)
    .map((e) => e.type);
const stockOf = async (productId: string) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).quantity;

/** The emails queued to someone (`send-email` jobs: the worker is off), by subject. */
async function emailsTo(user: TestUser): Promise<{ subject: string; text: string }[]> {
  // Subjects start with the platform's name.
  const rows = await t.db.$queryRaw<{ payload: Json }[]>`
    SELECT j.payload FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks k ON k.id = j.task_id
    WHERE k.identifier = 'send-email' AND j.payload->>'to' = ${user.email}`;
  return rows.map((r) => ({ subject: (r.payload.subject as string).replace(/^Acme: /, ""), text: r.payload.text as string }));
}

/** What the buyer's browser does on the simulator's authentication page: press Complete (or Fail). */
async function authenticate(nextActionUrl: string, outcome: "complete" | "fail") {
  const url = new URL(nextActionUrl);
  return t.request({
    method: "POST",
    url: url.pathname,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    payload: new URLSearchParams({ client_secret: url.searchParams.get("client_secret")!, outcome }).toString(),
  });
}

const checkout = (id: string, user: TestUser) =>
  t.request({ method: "POST", url: `/v1/contracts/${id}/checkout`, headers: { ...bearer(user.token), "content-type": "application/json" }, payload: {} });

describe("3-D Secure on platforms requiring the seller's acceptance", () => {
  beforeAll(() => settings({ requireSellerAcceptance: true, acceptanceTimeoutHours: 48, holdFunds: false, holdDays: null }));

  it("checkout answers requires_action; once the buyer authenticates, the card is authorised and held for the seller, who captures it by accepting", async () => {
    const bea = await buyer("pm_card_authenticationRequired");
    const c = await contract([bea]);
    const res = await checkout(c.id, bea);
    expect(res.statusCode, res.body).toBe(202);
    const { payment } = res.json();
    expect(payment.status).toBe("requires_action");
    expect((await intents(c.id)).map((i) => [i.status, i.captureMethod])).toEqual([["requires_action", "manual"]]);
    // While the buyer authenticates, the seller has nothing to accept and a settle waits.
    failed(await post(c.id, "accept_order", bearer(sam.token)), 409, "order_state");
    failed(await settle(c.id), 409, "payment_requires_action");

    const done = await authenticate(payment.next_action_url, "complete");
    expect(done.statusCode, done.body).toBe(200);
    // Authorised, not charged: nothing in the ledger, the authorisation on the buyer.
    expect((await intents(c.id)).map((i) => [i.status, i.chargeSucceeded])).toEqual([["requires_capture", false]]);
    expect((await get(c.id)).buyers[0]).toMatchObject({ amountPaid: 0, amountAuthorized: c.total });
    expect(await ledger(c.id)).toEqual([]);
    // The webhook queued the settlement's job, which puts the order before the seller.
    await runJob("settle-contract", c.id);
    const authorised = await get(c.id);
    expect(authorised).toMatchObject({ status: "authorized", orderStatus: "awaiting_acceptance" });
    expect(await queued("expire-order", c.id)).toBe(true);
    // A second press of the page, or a replay, authorises nothing more.
    expect((await authenticate(payment.next_action_url, "complete")).statusCode).toBe(404);

    const accepted = okContract(await post(c.id, "accept_order", bearer(sam.token)));
    expect(accepted).toMatchObject({ status: "paid", orderStatus: "accepted" });
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["succeeded"]);
    expect((await transfers(c.id)).map((x) => x.amount)).toEqual([c.sellers[0].amountOwed]);
    expect(await eventsOf(c.id)).toEqual(expect.arrayContaining(["contract.payment_action_required", "contract.authorized", "contract.order_accepted", "contract.paid"]));
    const books = await settlementBooks(t.db, { platformId: acme.id, mode: "test" }, c.id);
    expect(books).toMatchObject({ incoming: c.total, paidOut: c.total, balanced: true });
  });

  it("an authorisation after 3-D Secure is released when the seller declines, or nobody accepts in time", async () => {
    for (const end of ["decline", "expire"] as const) {
      const bea = await buyer("pm_card_authenticationRequired");
      const c = await contract([bea]);
      const { payment } = (await checkout(c.id, bea)).json();
      expect((await authenticate(payment.next_action_url, "complete")).statusCode).toBe(200);
      await runJob("settle-contract", c.id);
      if (end === "decline") {
        expect(okContract(await post(c.id, "decline", bearer(sam.token)))).toMatchObject({ status: "void", orderStatus: "declined" });
      } else {
        clock.advance(49 * 3_600_000);
        try {
          await runJob("expire-order", c.id);
        } finally {
          clock.advance(-49 * 3_600_000);
        }
        expect(await get(c.id)).toMatchObject({ status: "void", orderStatus: "expired" });
      }
      expect((await intents(c.id)).map((i) => i.status)).toEqual(["canceled"]);
      expect((await get(c.id)).buyers[0].amountAuthorized).toBe(0);
      expect(await ledger(c.id)).toEqual([]);
    }
  });

  it("an accept and a decline sent together once the buyer authenticated: one wins, the authorisation is captured or released, never both", async () => {
    const bea = await buyer("pm_card_authenticationRequired");
    const c = await contract([bea]);
    const { payment } = (await checkout(c.id, bea)).json();
    expect((await authenticate(payment.next_action_url, "complete")).statusCode).toBe(200);
    await runJob("settle-contract", c.id);
    const [accept, decline] = await Promise.all([post(c.id, "accept_order", bearer(sam.token)), post(c.id, "decline", bearer(sam.token))]);
    expect([accept.statusCode, decline.statusCode].sort()).toEqual([200, 409]);
    const after = await get(c.id);
    const [intent] = await intents(c.id);
    if (accept.statusCode === 200) expect([after.status, intent!.status]).toEqual(["paid", "succeeded"]);
    else expect([after.status, intent!.status]).toEqual(["void", "canceled"]);
  });

  it("a card needing no authentication is authorised at once (requires_capture); a failed authentication leaves nothing authorised", async () => {
    const bea = await buyer();
    const c = await contract([bea]);
    const res = await checkout(c.id, bea);
    expect(res.statusCode, res.body).toBe(202);
    expect(res.json().payment.status).toBe("requires_capture");
    expect(res.json().contract).toMatchObject({ status: "authorized", orderStatus: "awaiting_acceptance" });

    const cy = await buyer("pm_card_authenticationRequired");
    const d = await contract([cy]);
    const first = (await checkout(d.id, cy)).json().payment;
    expect((await authenticate(first.next_action_url, "fail")).statusCode).toBe(200);
    expect(await get(d.id)).toMatchObject({ status: "open", orderStatus: null });
    expect((await get(d.id)).buyers[0].amountAuthorized).toBe(0);
    failed(await post(d.id, "accept_order", bearer(sam.token)), 409, "order_state");
  });

  it("two buyers authenticate their shares one after the other: the order awaits the seller once both cards are authorised", async () => {
    const [a, b] = [await buyer("pm_card_authenticationRequired"), await buyer("pm_card_authenticationRequired")];
    const c = await contract([a, b]);
    const pa = (await checkout(c.id, a)).json().payment;
    expect((await authenticate(pa.next_action_url, "complete")).statusCode).toBe(200);
    expect((await get(c.id)).status).toBe("open");
    const pb = (await checkout(c.id, b)).json().payment;
    expect(pb.status).toBe("requires_action");
    expect((await authenticate(pb.next_action_url, "complete")).statusCode).toBe(200);
    await runJob("settle-contract", c.id);
    expect(await get(c.id)).toMatchObject({ status: "authorized", orderStatus: "awaiting_acceptance" });
    expect(okContract(await post(c.id, "accept_order", key()))).toMatchObject({ status: "paid" });
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["succeeded", "succeeded"]);
  });
});

describe("a capture Stripe refuses", () => {
  beforeAll(() => settings({ requireSellerAcceptance: true, acceptanceTimeoutHours: 48, holdFunds: false, holdDays: null }));

  it("a card declining the capture: the order ends capture_failed, stock back, nothing kept, buyer and seller told", async () => {
    const productId = await product(5);
    const bea = await buyer("pm_card_captureDeclined");
    const c = await contract([bea], [{ product_id: productId, quantity: 2 }]);
    expect(await stockOf(productId)).toBe(3);
    expect(okContract(await settle(c.id))).toMatchObject({ status: "authorized" });
    const res = await post(c.id, "accept_order", bearer(sam.token));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: "void", orderStatus: "capture_failed" });
    expect(res.json().buyers[0]).toMatchObject({ amountPaid: 0, amountAuthorized: 0 });
    expect(await stockOf(productId)).toBe(5);
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["canceled"]);
    expect(await ledger(c.id)).toEqual([]);
    expect(await transfers(c.id)).toEqual([]);
    expect(await eventsOf(c.id)).toEqual(expect.arrayContaining(["contract.order_accepted", "contract.capture_failed"]));
    expect((await emailsTo(bea)).map((m) => m.subject)).toContain(`Order ${c.id} could not be paid`);
    expect((await emailsTo(sam)).map((m) => m.subject)).toContain(`Order ${c.id} could not be paid`);
    // It stays ended: nothing to accept, settle or cancel.
    failed(await post(c.id, "accept_order", key()), 409, "order_state");
    failed(await settle(c.id), 409, "contract_not_payable");
  });

  it("an authorisation that lapsed (Stripe's 7 days) ends the order the same way", async () => {
    const bea = await buyer();
    const c = await contract([bea]);
    expect(okContract(await settle(c.id))).toMatchObject({ status: "authorized" });
    clock.advance(8 * 86_400_000);
    try {
      const res = await post(c.id, "accept_order", key());
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: "void", orderStatus: "capture_failed" });
    } finally {
      clock.advance(-8 * 86_400_000);
    }
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["canceled"]);
    expect(await ledger(c.id)).toEqual([]);
  });

  it("with two buyers, the one captured before the refusal is refunded whole: the books net to nothing", async () => {
    const good = await buyer();
    const bad = await buyer("pm_card_captureDeclined");
    const c = await contract([good, bad]);
    expect(okContract(await settle(c.id))).toMatchObject({ status: "authorized" });
    expect(okContract(await post(c.id, "accept_order", key()))).toMatchObject({ status: "void", orderStatus: "capture_failed" });
    const rows = await ledger(c.id);
    expect(rows.map((r) => [r.type, r.status])).toEqual([
      ["incoming", "succeeded"],
      ["incoming_refund", "succeeded"],
    ]);
    expect(rows[0]!.amount).toBe(rows[1]!.amount);
    const sim = await intents(c.id);
    expect(sim.map((i) => i.amount - i.amountRefunded).filter((left, i) => sim[i]!.chargeSucceeded && left > 0)).toEqual([]);
    expect(sim.filter((i) => i.status === "requires_capture")).toEqual([]);
  });
});

describe("a cancel whose refund Stripe answers pending, then fails", () => {
  beforeAll(() => settings({ requireSellerAcceptance: false, holdFunds: true, holdDays: null }));

  it("follows the refund's webhook to refund_failed; canceling again retries it, and the books balance all along", async () => {
    const productId = await product(3);
    const bea = await buyer("pm_card_refundPending");
    const c = await contract([bea], [{ product_id: productId, quantity: 1 }]);
    expect(okContract(await settle(c.id))).toMatchObject({ status: "paid", fundsHeld: true });
    expect(okContract(await post(c.id, "cancel"))).toMatchObject({ status: "void", orderStatus: "canceled" });
    expect(await stockOf(productId)).toBe(3);
    let rows = await ledger(c.id);
    expect(rows.map((r) => [r.type, r.status])).toEqual([
      ["incoming", "succeeded"],
      ["incoming_refund", "processing"],
    ]);
    const first = rows[1]!.stripeRefundId!;
    // The bank refuses it.
    const fail = await t.request({ method: "POST", url: `/offline/refunds/${first}/finish`, payload: { outcome: "failed" } });
    expect(fail.json(), fail.body).toMatchObject({ event: { status: "processed" } });
    expect(await get(c.id)).toMatchObject({ status: "void", orderStatus: "refund_failed" });
    expect(await eventsOf(c.id)).toContain("contract.refund_failed");
    rows = await ledger(c.id);
    expect(rows.map((r) => [r.type, r.status, r.amountRefunded])).toEqual([
      ["incoming", "succeeded", 0],
      ["incoming_refund", "failed", 0],
    ]);
    // A buyer or seller cannot retry it; the platform cancels again: a new refund — once, however many cancels race.
    failed(await post(c.id, "cancel", bearer(sam.token)), 403);
    const racing = await Promise.all([post(c.id, "cancel"), post(c.id, "cancel"), post(c.id, "cancel")]);
    expect(racing.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect(await get(c.id)).toMatchObject({ status: "void", orderStatus: "canceled" });
    // Run again (the job), it asks for nothing more.
    await runJob("unwind-order", c.id);
    rows = await ledger(c.id);
    const retry = rows.filter((r) => r.type === "incoming_refund" && r.status === "processing");
    expect(retry).toHaveLength(1);
    expect(retry[0]!.stripeRefundId).not.toBe(first);
    const ok = await t.request({ method: "POST", url: `/offline/refunds/${retry[0]!.stripeRefundId}/finish`, payload: { outcome: "succeeded" } });
    expect(ok.json()).toMatchObject({ event: { status: "processed" } });
    // The old failure replayed changes nothing now.
    expect(await get(c.id)).toMatchObject({ status: "void", orderStatus: "canceled" });
    rows = await ledger(c.id);
    const of = (type: string) => rows.filter((r) => r.type === type && r.status === "succeeded").reduce((s, r) => s + r.amount, 0);
    expect(of("incoming") - of("incoming_refund")).toBe(0);
    const sim = await intents(c.id);
    expect(sim.map((i) => i.amount - i.amountRefunded)).toEqual([0]);
    expect((await emailsTo(bea)).map((m) => m.subject)).toEqual(expect.arrayContaining([expect.stringMatching(/^Refund of /)]));
  });
});

describe("writing off a partly paid contract", () => {
  beforeAll(() => settings({ requireSellerAcceptance: false, holdFunds: false, holdDays: null }));

  it("pays the paid shares out to the sellers in proportion, fees likewise: nothing stays with the platform unrecorded", async () => {
    const payer = await buyer();
    const decliner = await buyer("pm_card_chargeDeclined");
    const c = await contract(
      [payer, decliner],
      [
        { user_id: sam.id, price: 7000 },
        { user_id: wes.id, price: 3000 },
      ],
    );
    failed(await settle(c.id), 402);
    const open = await get(c.id);
    expect(open.status).toBe("open");
    const paid = open.buyers.find((b: Json) => b.user_id === payer.id).amountPaid as number;
    expect(paid).toBeGreaterThan(0);
    const res = await post(c.id, "uncollectible");
    expect(res.statusCode, res.body).toBe(200);
    const after = await get(c.id);
    expect(after.status).toBe("uncollectible");
    const sent = await transfers(c.id);
    const expected = c.sellers.map((s: Json) => Math.floor((s.amountOwed * paid) / c.total)).sort();
    expect(sent.map((x) => x.amount).sort()).toEqual(expected);
    const books = await settlementBooks(t.db, { platformId: acme.id, mode: "test" }, c.id);
    expect(books).toMatchObject({ incoming: paid, paidOut: paid, balanced: true });
    const fees = (await ledger(c.id)).filter((r) => r.type.startsWith("fee_"));
    expect(fees.reduce((s, r) => s + r.amount, 0)).toBe(paid - expected.reduce((s: number, a: number) => s + a, 0));
    expect(await eventsOf(c.id)).toEqual(expect.arrayContaining(["contract.uncollectible", "contract.funds_released"]));
    // The job run again pays nobody twice.
    await t.app.services.settlement.runOrderJob("unwind-order", { contractId: c.id, platformId: acme.id, mode: "test" });
    expect(await transfers(c.id)).toHaveLength(2);
  });

  it("is refused while a paid charge is disputed; canceling refunds the paid shares instead", async () => {
    const disputer = await buyer("pm_card_createDispute");
    const decliner = await buyer("pm_card_chargeDeclined");
    const c = await contract([disputer, decliner]);
    failed(await settle(c.id), 402);
    await gateway.idle();
    failed(await post(c.id, "uncollectible"), 409, "order_state");
    expect(await transfers(c.id)).toEqual([]);

    const payer = await buyer();
    const d = await contract([payer, decliner]);
    failed(await settle(d.id), 402);
    expect(okContract(await post(d.id, "cancel"))).toMatchObject({ status: "void", orderStatus: "canceled" });
    const rows = await ledger(d.id);
    expect(rows.map((r) => [r.type, r.status])).toEqual([
      ["incoming", "succeeded"],
      ["incoming_refund", "succeeded"],
    ]);
  });
});

describe("held funds and disputes", () => {
  beforeAll(() => settings({ requireSellerAcceptance: false, holdFunds: true, holdDays: 1 }));

  const close = (disputeId: string, outcome: "won" | "lost") => t.request({ method: "POST", url: `/offline/disputes/${disputeId}/close`, payload: { outcome } });
  const disputesOf = async (id: string) => (await intents(id)).map((i) => i.disputeId!);

  it("the release at the holding delay pays nothing while a charge is disputed; won, it goes out", async () => {
    const [a, b] = [await buyer("pm_card_createDispute"), await buyer("pm_card_createDispute")];
    const c = await contract([a, b]);
    expect(okContract(await settle(c.id))).toMatchObject({ status: "paid", fundsHeld: true });
    await gateway.idle();
    expect((await get(c.id)).status).toBe("disputed");
    clock.advance(2 * 86_400_000);
    try {
      await runJob("release-funds", c.id);
      expect(await transfers(c.id)).toEqual([]);
      const [first, second] = await disputesOf(c.id);
      // One of two disputes won: the other still holds the contract, and nothing is paid out.
      expect((await close(first!, "won")).statusCode).toBe(200);
      expect((await get(c.id)).status).toBe("disputed");
      expect(await queued("release-funds", c.id)).toBe(false);
      expect((await close(second!, "won")).statusCode).toBe(200);
      expect((await get(c.id)).status).toBe("paid");
      await runJob("release-funds", c.id);
    } finally {
      clock.advance(-2 * 86_400_000);
    }
    const released = await get(c.id);
    expect(released.fundsHeld).toBe(false);
    expect((await transfers(c.id)).map((x) => x.amount)).toEqual([c.sellers[0].amountOwed]);
    expect(await settlementBooks(t.db, { platformId: acme.id, mode: "test" }, c.id)).toMatchObject({ incoming: c.total, paidOut: c.total, balanced: true });
  });

  it("lost, the held funds are never paid out: the money went back to the buyer", async () => {
    const a = await buyer("pm_card_createDispute");
    const c = await contract([a]);
    okContract(await settle(c.id));
    await gateway.idle();
    const [dp] = await disputesOf(c.id);
    expect((await close(dp!, "lost")).statusCode).toBe(200);
    clock.advance(2 * 86_400_000);
    try {
      await runJob("release-funds", c.id);
    } finally {
      clock.advance(-2 * 86_400_000);
    }
    expect(await get(c.id)).toMatchObject({ status: "disputed", fundsHeld: true });
    expect(await transfers(c.id)).toEqual([]);
    failed(await post(c.id, "complete"), 409, "order_state");
  });
});

describe("the order's emails", () => {
  beforeAll(() => settings({ requireSellerAcceptance: true, acceptanceTimeoutHours: 48, holdFunds: false, holdDays: null }));

  it("the seller is told of an order to accept and a new order; the buyer of acceptance, fulfilment (with tracking) and decline", async () => {
    const bea = await buyer();
    const c = await contract([bea]);
    okContract(await settle(c.id));
    expect((await emailsTo(sam)).map((m) => m.subject)).toContain(`Order ${c.id} to accept`);
    okContract(await post(c.id, "accept_order", bearer(sam.token)));
    expect((await emailsTo(bea)).map((m) => m.subject)).toContain(`Order ${c.id} accepted`);
    expect((await emailsTo(sam)).map((m) => m.subject)).toContain(`New order ${c.id}`);
    okContract(await post(c.id, "fulfil", bearer(sam.token), { carrier: "DHL", number: "JD0123", url: "https://track.example/JD0123" }));
    const fulfilled = (await emailsTo(bea)).find((m) => m.subject === `Order ${c.id} fulfilled`);
    expect(fulfilled?.text).toContain("with DHL, tracking number JD0123");
    expect(fulfilled?.text).toContain("https://track.example/JD0123");

    const d = await contract([bea]);
    okContract(await settle(d.id));
    okContract(await post(d.id, "decline", bearer(sam.token)));
    expect((await emailsTo(bea)).map((m) => m.subject)).toContain(`Order ${d.id} declined`);
    // Each step is an event, so a webhook too.
    expect(await eventsOf(c.id)).toEqual(expect.arrayContaining(["contract.authorized", "contract.order_accepted", "contract.paid", "contract.fulfilled"]));
    expect(await eventsOf(d.id)).toContain("contract.declined");
  });
});

describe("refunds and bookings", () => {
  let cabin: string;
  let day = 0;
  beforeAll(async () => {
    await settings({ requireSellerAcceptance: false, holdFunds: false, holdDays: null });
    const res = await t.request({ method: "POST", url: "/v1/products", headers: key(), payload: { user_id: wes.id, name: "Cabin", price: 12000, type: "service" } });
    expect(res.statusCode, res.body).toBe(201);
    cabin = res.json().id;
  });

  async function booked(): Promise<{ id: string; buyer: TestUser }> {
    day += 5;
    const start = new Date(Date.UTC(2032, 0, 1 + day, 15));
    const dates = { startDate: start.toISOString().replace(".000", ""), endDate: new Date(start.getTime() + 86_400_000).toISOString().replace(".000", "") };
    const bea = await buyer();
    const cart = await t.request({ method: "POST", url: `/v1/carts/auth/product/${cabin}`, headers: bearer(bea.token), payload: { quantity: 1, ...dates } });
    expect(cart.statusCode, cart.body).toBeLessThan(300);
    const created = okContract(await t.request({ method: "POST", url: `/v1/contracts/cart/${cart.json().id}`, headers: bearer(bea.token) }), 201);
    expect(okContract(await t.request({ method: "PUT", url: `/v1/contracts/${created.id}/settle`, headers: bearer(bea.token) }))).toMatchObject({ status: "paid" });
    return { id: created.id, buyer: bea };
  }
  const bookingsOf = (id: string) => t.db.booking.findMany({ where: { contractId: id } });
  const chargeOf = async (id: string) => (await ledger(id)).find((r) => r.type === "incoming")!;
  const refund = (transactionId: string, payload?: Json) =>
    t.request({ method: "POST", url: `/v1/transactions/${transactionId}/refund`, headers: key(), ...(payload ? { payload } : {}) });

  it("a partial refund keeps the booking; the refund of the rest cancels it, and its calendar events", async () => {
    const { id } = await booked();
    expect((await bookingsOf(id)).map((b) => b.status)).toEqual(["confirmed"]);
    const charge = await chargeOf(id);
    const part = await refund(charge.id, { amount: 1000 });
    expect(part.statusCode, part.body).toBeLessThan(300);
    expect((await bookingsOf(id)).map((b) => b.status)).toEqual(["confirmed"]);
    const rest = await refund(charge.id);
    expect(rest.statusCode, rest.body).toBeLessThan(300);
    const [b] = await bookingsOf(id);
    expect(b!.status).toBe("cancelled");
    const events = await t.db.calendarEvent.findMany({ where: { id: { in: [b!.sellerEventId!, b!.buyerEventId!] } } });
    expect(events.map((e) => e.cancelled)).toEqual([true, true]);
    // The time is free again: another buyer books the same slot.
    day -= 5;
    await booked();
  });
});
