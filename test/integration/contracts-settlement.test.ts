import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentsUnavailableError } from "../../src/adapters/payments/errors.js";
import type { PaymentIntent, PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import { OFFLINE_WEBHOOK_SECRET } from "../../src/config.js";
import type { Clock } from "../../src/lib/time.js";
import { settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, simulatorCounts, useCard, type Json } from "../helpers/contracts.js";

/**
 * Settlement through the offline simulator (Stripe test-mode semantics, state in the sim_* tables,
 * where these tests count PaymentIntents and transfers). Faults are injected around the real
 * gateway — a decorator that can delay, fail or hang a call — never by mocking what is tested.
 * A "crash" is a node whose gateway call never returns: a second app on the same database, its
 * clock past the lease, takes over.
 */

interface Faults {
  beforeCharge?: () => Promise<void>;
  afterCharge?: (intent: PaymentIntent) => Promise<void>;
  beforeTransfer?: () => Promise<void>;
}

/** A clock the tests move forward (leases expire); everything else runs on real time. */
function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const faults: Faults = {};
const clock = movableClock();
let t: TestContext;
let acme: TestPlatform;
let sam: TestUser;
let wes: TestUser;

function withFaults(gateway: PaymentsGateway): PaymentsGateway {
  return {
    ...gateway,
    async createPaymentIntent(input) {
      await faults.beforeCharge?.();
      const intent = await gateway.createPaymentIntent(input);
      await faults.afterCharge?.(intent);
      return intent;
    },
    async createTransfer(input) {
      await faults.beforeTransfer?.();
      return gateway.createTransfer(input);
    },
  };
}

beforeAll(async () => {
  t = await createTestContext({}, { clock, payments: withFaults });
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  sam = await t.createUser(acme, "member");
  wes = await t.createUser(acme, "member");
  await onboardSeller(t, acme, sam.id);
  await onboardSeller(t, acme, wes.id);
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);
const settle = (id: string, headers = key(), ctx: TestContext = t) => ctx.request({ method: "PUT", url: `/v1/contracts/${id}/settle`, headers });
const get = async (id: string) => okContract(await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: key() }));

async function buyerWithCard(card = "pm_card_visa"): Promise<TestUser> {
  const user = await t.createUser(acme, "member");
  await addCard(t, acme, user.id, card);
  return user;
}

/** A contract: items by sam (and wes), the given buyers; fees as a new contract has them (sellers bear them). */
async function contract(
  buyers: TestUser[],
  items: Json[] = [
    { user_id: sam.id, price: 10000 },
    { user_id: wes.id, price: 5000 },
  ],
  extra: Json = {},
): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items, buyers: buyers.map((b) => ({ user_id: b.id })), ...extra } });
  return okContract(res, 201);
}

async function transactionsOf(contractId: string) {
  return t.db.transaction.findMany({ where: { contractId }, orderBy: [{ created: "asc" }, { id: "asc" }] });
}

/** Every buyer charged once, every seller paid once, the books balanced: Σ incoming = total = Σ outgoing + Σ fees. */
async function expectSettledOnce(c: Json): Promise<void> {
  const paid = await get(c.id);
  expect(paid.status).toBe("paid");
  expect(paid.paid).not.toBeNull();
  for (const b of paid.buyers) expect(b.amountPaid).toBe(b.amountDue);
  for (const s of paid.sellers) expect(s.amountReceived).toBe(s.amountOwed);
  const sim = await simulatorCounts(t, c.id);
  expect(sim.succeeded.map((i) => i.amount).sort()).toEqual(paid.buyers.map((b: Json) => b.amountDue).sort());
  expect(sim.transfers.map((x) => x.amount).sort()).toEqual(
    paid.sellers
      .filter((s: Json) => s.amountOwed > 0)
      .map((s: Json) => s.amountOwed)
      .sort(),
  );
  const books = await settlementBooks(t.db, { platformId: acme.id, mode: "test" }, c.id);
  expect(books).toMatchObject({ incoming: paid.total, balanced: true });
  const txs = await transactionsOf(c.id);
  expect(txs.filter((x) => x.type === "incoming")).toHaveLength(paid.buyers.length);
  expect(txs.filter((x) => x.type === "outgoing")).toHaveLength(paid.sellers.filter((s: Json) => s.amountOwed > 0).length);
  const fee = (type: string) => txs.filter((x) => x.type === type).reduce((sum, x) => sum + x.amount, 0);
  const rows = (prefix: string) => paid.fees.filter((f: Json) => f.type.startsWith(prefix)).reduce((sum: number, f: Json) => sum + f.amount, 0);
  expect(fee("fee_stripe")).toBe(rows("stripe:"));
  expect(fee("fee_candle")).toBe(rows("candle:"));
  expect(fee("fee_platform")).toBe(rows("platform:") + rows("custom"));
  expect(paid.settlementLeaseId).toBeUndefined();
  const row = await t.db.contract.findUniqueOrThrow({ where: { id: c.id } });
  expect([row.settlementLeaseId, row.settlementLockedUntil]).toEqual([null, null]);
}

/** A promise the test settles later: a gateway call that "hangs" until the node is declared dead. */
function hang() {
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((_resolve, reject) => {
    fail = reject;
  });
  return { promise, die: () => fail(new Error("the node died")) };
}

async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("PUT /v1/contracts/:id/settle", () => {
  it("charges every buyer, pays every seller, writes one transaction per movement, and marks the contract paid", async () => {
    const bob = await buyerWithCard();
    const carol = await buyerWithCard("pm_card_mastercard");
    const c = await contract([bob, carol], undefined, { fees: [{ amount: 500, description: "Handling" }] });
    const paid = okContract(await settle(c.id));
    expect(paid).toMatchObject({ status: "paid", total: c.total });
    expect(paid.paid).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(paid.lastPaymentAttempt).not.toBeNull();
    await expectSettledOnce(c);

    const sim = await simulatorCounts(t, c.id);
    expect(sim.succeeded.map((i) => i.metadata)).toEqual([
      { contract_id: c.id, platform_id: acme.id, mode: "test", user_id: bob.id, attempt: "0" },
      { contract_id: c.id, platform_id: acme.id, mode: "test", user_id: carol.id, attempt: "0" },
    ]);
    const txs = await transactionsOf(c.id);
    expect(txs.map((x) => [x.type, x.status])).toEqual([
      ["incoming", "succeeded"],
      ["incoming", "succeeded"],
      ["outgoing", "succeeded"],
      ["outgoing", "succeeded"],
      ["fee_stripe", "succeeded"],
      ["fee_candle", "succeeded"],
      ["fee_platform", "succeeded"],
    ]);
    expect(txs.filter((x) => x.type === "incoming").map((x) => [x.buyerUserId, x.amount, x.stripePaymentIntentId])).toEqual([
      [bob.id, paid.buyers[0].amountDue, sim.succeeded[0]!.id],
      [carol.id, paid.buyers[1].amountDue, sim.succeeded[1]!.id],
    ]);
    expect(txs.every((x) => x.transferGroup === c.id)).toBe(true);
    // The transactions are the API's too.
    const listed = await t.request({ method: "GET", url: `/v1/transactions?filter[contract_id]=${c.id}`, headers: key() });
    expect(listed.json().meta.total).toBe(7);

    // Paid: locked for good.
    failed(await settle(c.id), 409, "already_paid");
    failed(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/item`, headers: key(), payload: { user_id: sam.id, price: 100 } }), 409, "contract_locked");
    failed(await t.request({ method: "DELETE", url: `/v1/contracts/${c.id}`, headers: key() }), 409, "contract_locked");
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/buyer/${bob.id}/due`, headers: key(), payload: { dueAmount: 1 } }), 409, "contract_locked");
    failed(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/send`, headers: key() }), 409, "contract_not_sendable");
    expect(okContract(await t.request({ method: "GET", url: `/v1/contracts/${c.id}/sync`, headers: key() }))).toEqual(await get(c.id));
  });

  it("with one buyer, pays the sellers out of that charge (source_transaction)", async () => {
    const bob = await buyerWithCard();
    const c = await contract([bob], undefined, { includeStripeFees: true, includeCandleFees: true, includePlatformFees: true });
    okContract(await settle(c.id, bearer(bob.token)));
    await expectSettledOnce(c);
    const sim = await simulatorCounts(t, c.id);
    expect(sim.transfers.map((x) => x.sourceTransaction)).toEqual([sim.succeeded[0]!.chargeId, sim.succeeded[0]!.chargeId]);
    expect(sim.succeeded[0]!.amountTransferred).toBe(15000);
  });

  it("checks everything before anyone is charged: sellers' accounts, buyers' payment methods, parties, amounts", async () => {
    const bob = await buyerWithCard();
    const newcomer = await t.createUser(acme, "member");
    const c = await contract(
      [bob],
      [
        { user_id: sam.id, price: 10000 },
        { user_id: newcomer.id, price: 100 },
      ],
    );
    const error = failed(await settle(c.id), 409, "seller_not_ready");
    expect(error.message).toContain(newcomer.id);
    expect(error.param).toBe("sellers");
    expect((await simulatorCounts(t, c.id)).succeeded).toHaveLength(0);
    expect((await get(c.id)).status).toBe("draft");

    // Onboarding started but unfinished is not ready either.
    await t.request({ method: "POST", url: `/v1/users/${newcomer.id}/bank_account`, headers: key(), payload: { return_url: "https://shop.test/r" } });
    failed(await settle(c.id), 409, "seller_not_ready");

    const cardless = await t.createUser(acme, "member");
    const d = await contract([bob, cardless]);
    expect(failed(await settle(d.id), 409, "no_payment_method").message).toContain(cardless.id);
    expect((await simulatorCounts(t, d.id)).succeeded).toHaveLength(0);

    const noSeller = okContract(await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { buyers: [{ user_id: bob.id }] } }), 201);
    expect(failed(await settle(noSeller.id), 422, "contract_incomplete").param).toBe("sellers");
    const noBuyer = okContract(await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: sam.id, price: 100 }] } }), 201);
    expect(failed(await settle(noBuyer.id), 422, "contract_incomplete").param).toBe("buyers");
    // A buyer whose share is below what a card can be charged.
    const tiny = await contract([bob, await buyerWithCard()], [{ user_id: sam.id, price: 80 }]);
    expect(failed(await settle(tiny.id), 422, "amount_too_small").param).toBe("dueAmount");
    expect((await simulatorCounts(t, tiny.id)).succeeded).toHaveLength(0);
  });

  it("a buyer, a seller (with the buyers' consent), an editor or the key settle; the creator who is neither gets 403, anyone else 404", async () => {
    const bob = await buyerWithCard();
    const creator = await t.createUser(acme, "member");
    const outsider = await t.createUser(acme, "member");
    const c = okContract(
      // The key creates it in the member's name: a member cannot build a deal they are not in.
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: key(),
        payload: { user_id: creator.id, items: [{ user_id: sam.id, price: 2000 }], buyers: [{ user_id: bob.id }] },
      }),
      201,
    );
    failed(await settle(c.id, bearer(creator.token)), 403, "not_contract_party");
    failed(await settle(c.id, bearer(outsider.token)), 404);
    // The seller may settle, but charges bob only once bob accepted (trust-consent.test.ts).
    failed(await settle(c.id, bearer(sam.token)), 409, "buyer_consent_required");
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle` }), 401);
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key(), payload: { amount: 5 } }), 400);
    okContract(await settle(c.id, bearer(bob.token)));
    await expectSettledOnce(c);
  });

  it("a declined card: 402 with Stripe's codes, contract open again, lastPaymentAttempt set; a good card then settles it, charging nobody twice", async () => {
    const bob = await buyerWithCard();
    const carol = await buyerWithCard("pm_card_chargeDeclined");
    const c = await contract([bob, carol]);
    const declined = failed(await settle(c.id), 402, "card_declined");
    expect(declined).toMatchObject({ type: "card_error", decline_code: "generic_decline", message: "Your card was declined." });
    const open = await get(c.id);
    expect(open.status).toBe("open");
    expect(open.lastPaymentAttempt).not.toBeNull();
    expect(open.buyers.map((b: Json) => b.amountPaid)).toEqual([open.buyers[0].amountDue, 0]);
    const carolRow = await t.db.contractBuyer.findFirstOrThrow({ where: { contractId: c.id, userId: carol.id } });
    expect(carolRow).toMatchObject({ attempts: 1, attemptPaymentMethodId: null });
    expect(carolRow.lastPaymentAttempt).not.toBeNull();
    let sim = await simulatorCounts(t, c.id);
    expect([sim.succeeded.length, sim.declined.length, sim.transfers.length]).toEqual([1, 1, 0]);
    // Bob has paid: the contract no longer changes.
    failed(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/fee`, headers: key(), payload: { amount: 100 } }), 409, "contract_locked");
    // The same card again declines again (attempt 1), and still nobody is charged twice.
    failed(await settle(c.id), 402, "card_declined");
    sim = await simulatorCounts(t, c.id);
    expect([sim.succeeded.length, sim.declined.length]).toEqual([1, 2]);

    await useCard(t, acme, carol.id, "pm_card_visa");
    const paid = okContract(await settle(c.id, bearer(carol.token)));
    expect(paid.status).toBe("paid");
    await expectSettledOnce(c);
    sim = await simulatorCounts(t, c.id);
    expect(sim.succeeded.map((i) => (i.metadata as Json).user_id)).toEqual([bob.id, carol.id]);
    expect((sim.succeeded[1]!.metadata as Json).attempt).toBe("2");
  });

  it("a decline of the only buyer leaves the contract open and changeable", async () => {
    const bob = await buyerWithCard("pm_card_insufficientFunds");
    const c = await contract([bob]);
    expect(failed(await settle(c.id), 402, "card_declined").decline_code).toBe("insufficient_funds");
    const open = await get(c.id);
    expect(open).toMatchObject({ status: "open" });
    okContract(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/item`, headers: key(), payload: { user_id: sam.id, price: 700 } }));
  });

  it("two settles at once: one settles, the other gets 409; nobody is charged twice", async () => {
    const bob = await buyerWithCard();
    const carol = await buyerWithCard();
    const c = await contract([bob, carol]);
    // Both buyers accept first, so each of the three may settle whoever claims it first: a buyer
    // settling before the other had accepted would be refused for consent, not for the race.
    for (const buyer of [bob, carol]) {
      expect((await t.request({ method: "POST", url: `/v1/contracts/${c.id}/accept`, headers: bearer(buyer.token) })).statusCode).toBe(200);
    }
    faults.beforeCharge = () => new Promise((r) => setTimeout(r, 150));
    try {
      const answers = await Promise.all([settle(c.id), settle(c.id, bearer(bob.token)), settle(c.id, bearer(carol.token))]);
      const codes = answers.map((a) => a.statusCode).sort();
      expect(codes).toEqual([200, 409, 409]);
      for (const a of answers.filter((x) => x.statusCode === 409)) {
        expect(a.json().error.code).toBe("settlement_in_progress");
        expect(Number(a.headers["retry-after"])).toBeGreaterThan(0);
      }
    } finally {
      delete faults.beforeCharge;
    }
    await expectSettledOnce(c);
  });

  it("an unknown outcome (Stripe unreachable) keeps the contract processing; settling again uses the same key", async () => {
    const bob = await buyerWithCard();
    const c = await contract([bob]);
    // The charge goes through at Stripe, but its answer is lost on the way back.
    faults.afterCharge = async () => {
      delete faults.afterCharge;
      throw new PaymentsUnavailableError();
    };
    failed(await settle(c.id), 502, "payments_unavailable");
    const processing = await get(c.id);
    expect(processing.status).toBe("processing");
    expect(processing.buyers[0].amountPaid).toBe(0);
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}`, headers: key(), payload: { includeStripeFees: true } }), 409, "contract_locked");
    okContract(await settle(c.id));
    await expectSettledOnce(c);
    expect((await simulatorCounts(t, c.id)).succeeded).toHaveLength(1);
  });

  it("a charge key Stripe already saw with another request (400 idempotency_error) ends that attempt: the next settle charges under a new key", async () => {
    // The case where the engine's rule and refunds' rule used to differ: the engine took it for an
    // unknown outcome and repeated the same key on every settle, a contract stuck in processing.
    const bob = await buyerWithCard();
    const c = await contract([bob]);
    const user = await t.db.user.findUniqueOrThrow({ where: { id: bob.id } });
    const card = await t.db.paymentMethod.findFirstOrThrow({ where: { userId: bob.id, isDefault: true } });
    await t.app.services.payments.createPaymentIntent({
      amount: 123,
      currency: "usd",
      customerId: user.stripeCustomerId!,
      paymentMethodId: card.stripePaymentMethodId,
      transferGroup: "another-request",
      metadata: {},
      idempotencyKey: `contract:${c.id}:buyer:${bob.id}:attempt:0`,
    });
    expect(failed(await settle(c.id), 400, "idempotency_key_reused").type).toBe("idempotency_error");
    const open = await get(c.id);
    expect(open.status).toBe("open");
    expect(await t.db.contractBuyer.findFirstOrThrow({ where: { contractId: c.id, userId: bob.id } })).toMatchObject({ attempts: 1, amountPaid: 0 });
    okContract(await settle(c.id));
    await expectSettledOnce(c);
    const sim = await simulatorCounts(t, c.id);
    expect(sim.succeeded.map((i) => (i.metadata as Json).attempt)).toEqual(["1"]);
  });

  it("a transfer Stripe refuses (the seller's account lost its capabilities): 409, the buyers' payments kept; settled later with a new transfer", async () => {
    const bob = await buyerWithCard();
    const c = await contract([bob]);
    const account = (await t.db.user.findUniqueOrThrow({ where: { id: wes.id } })).stripeConnectId!;
    await t.db.simAccount.update({ where: { id: account }, data: { chargesEnabled: false } });
    try {
      const error = failed(await settle(c.id), 409, "seller_not_ready");
      expect(error.message).toContain(wes.id);
      const stuck = await get(c.id);
      expect(stuck.status).toBe("processing");
      expect(stuck.buyers[0].amountPaid).toBe(stuck.buyers[0].amountDue);
      expect(stuck.sellers.map((s: Json) => s.amountReceived > 0)).toEqual([true, false]);
    } finally {
      await t.db.simAccount.update({ where: { id: account }, data: { chargesEnabled: true } });
    }
    okContract(await settle(c.id));
    await expectSettledOnce(c);
    expect((await simulatorCounts(t, c.id)).succeeded).toHaveLength(1);
  });
});

describe("crash safety", () => {
  /** A second node on the same database whose clock is past this one's leases. */
  async function secondNode(): Promise<TestContext> {
    const later = movableClock();
    later.advance(61_000);
    return createTestContext({}, { sharedDatabaseUrl: t.databaseUrl, clock: later });
  }

  it("a node dies between the charges and the transfers; another settles after the lease: every buyer charged once, every seller paid once, the books balance", async () => {
    const bob = await buyerWithCard();
    const carol = await buyerWithCard();
    const c = await contract([bob, carol]);
    const stuck = hang();
    faults.beforeTransfer = () => stuck.promise;
    const first = settle(c.id);
    await until(async () => (await t.db.contractBuyer.count({ where: { contractId: c.id, amountPaid: { gt: 0 } } })) === 2);
    const node2 = await secondNode();
    try {
      // Before the lease is up, the other node must wait.
      failed(await settle(c.id, key(), t), 409, "settlement_in_progress");
      okContract(await settle(c.id, key(), node2));
    } finally {
      delete faults.beforeTransfer;
      stuck.die();
      await node2.close();
    }
    // The dead node's request ends without undoing anything.
    expect((await first).statusCode).toBe(500);
    await expectSettledOnce(c);
  });

  it("a node dies after Stripe charged a buyer but before it recorded the charge: the next settle records that charge, it does not make another", async () => {
    const bob = await buyerWithCard();
    const carol = await buyerWithCard();
    const c = await contract([bob, carol]);
    const stuck = hang();
    let charged = 0;
    faults.afterCharge = async () => {
      charged += 1;
      if (charged === 2) await stuck.promise;
    };
    const first = settle(c.id);
    await until(async () => (await simulatorCounts(t, c.id)).succeeded.length === 2);
    const node2 = await secondNode();
    try {
      okContract(await settle(c.id, key(), node2));
    } finally {
      delete faults.afterCharge;
      stuck.die();
      await node2.close();
    }
    expect((await first).statusCode).toBe(500);
    await expectSettledOnce(c);
  });

  it("the payment_intent.succeeded webhook records a charge the dead node did not, and the resume job finishes the settlement", async () => {
    const bob = await buyerWithCard();
    const c = await contract([bob]);
    const stuck = hang();
    faults.afterCharge = () => stuck.promise;
    const first = settle(c.id);
    await until(async () => (await simulatorCounts(t, c.id)).succeeded.length === 1);
    const intent = (await simulatorCounts(t, c.id)).succeeded[0]!;

    const payload = JSON.stringify({
      id: `evt_${intent.id}`,
      object: "event",
      livemode: false,
      created: Math.floor(clock.now().getTime() / 1000),
      type: "payment_intent.succeeded",
      data: { object: { id: intent.id, object: "payment_intent" } },
    });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: OFFLINE_WEBHOOK_SECRET, timestamp: Math.floor(clock.now().getTime() / 1000) });
    const delivered = await t.request({ method: "POST", url: "/v1/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": signature }, payload });
    expect(delivered.json()).toMatchObject({ status: "processed" });
    const recorded = await get(c.id);
    expect(recorded.status).toBe("processing");
    expect(recorded.buyers[0].amountPaid).toBe(recorded.buyers[0].amountDue);
    const incoming = (await transactionsOf(c.id)).filter((x) => x.type === "incoming");
    expect(incoming.map((x) => [x.stripePaymentIntentId, x.idempotencyKey])).toEqual([[intent.id, `charge:${intent.id}`]]);

    // The job finishes once the dead node's lease is over (before, it only looks again later).
    const job = { contractId: c.id, platformId: acme.id, mode: "test" };
    const run = () => (t.app.services.tasks["settle-contract"] as (payload: unknown, helpers: unknown) => Promise<void>)(job, {});
    await run();
    expect((await get(c.id)).status).toBe("processing");
    clock.advance(61_000);
    try {
      await run();
    } finally {
      delete faults.afterCharge;
      stuck.die();
    }
    expect((await first).statusCode).toBe(500);
    await expectSettledOnce(c);
    // Delivered again, the event changes nothing.
    const again = await t.request({ method: "POST", url: "/v1/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": signature }, payload });
    expect(again.json().status).toBe("duplicate");
  });

  it("the same node started again resumes at once what its earlier boot left processing; another node's current lease is left alone", async () => {
    const bob = await buyerWithCard();
    const carol = await buyerWithCard();
    const c = await contract([bob, carol]);
    // The first boot dies after Stripe charged bob, before it recorded the charge, its lease current.
    const stuck = hang();
    faults.afterCharge = () => stuck.promise;
    const first = settle(c.id);
    await until(async () => (await simulatorCounts(t, c.id)).succeeded.length === 1);
    const held = await t.db.contract.findUniqueOrThrow({ where: { id: c.id } });
    expect(held.status).toBe("processing");
    expect(held.settlementLeaseId?.startsWith(`${t.app.services.leases.node}.${t.app.services.leases.boot}.`)).toBe(true);
    const queuedAt = async () => {
      const jobs = await t.db.$queryRaw<{ run_at: Date }[]>`SELECT run_at FROM graphile_worker.jobs WHERE key = ${`settle-contract:${c.id}`}`;
      return jobs[0]?.run_at;
    };

    // Another node starting leaves the lease alone.
    const other = await createTestContext({ NODE_ID: "another-node" }, { sharedDatabaseUrl: t.databaseUrl });
    await other.close();
    expect((await t.db.contract.findUniqueOrThrow({ where: { id: c.id } })).settlementLeaseId).toBe(held.settlementLeaseId);

    // The same node's next boot frees the lease and queues the resume for now, not when the lease lapses.
    const reboot = await createTestContext({ NODE_ID: t.config.nodeId }, { sharedDatabaseUrl: t.databaseUrl });
    try {
      const freed = await t.db.contract.findUniqueOrThrow({ where: { id: c.id } });
      expect([freed.status, freed.settlementLeaseId, freed.settlementLockedUntil]).toEqual(["processing", null, null]);
      expect((await queuedAt())!.getTime()).toBeLessThanOrEqual(Date.now());
      delete faults.afterCharge;
      const job = { contractId: c.id, platformId: acme.id, mode: "test" };
      await (reboot.app.services.tasks["settle-contract"] as (payload: unknown, helpers: unknown) => Promise<void>)(job, {});
    } finally {
      delete faults.afterCharge;
      stuck.die();
      await reboot.close();
    }
    expect((await first).statusCode).toBe(500);
    // Bob's charge was recorded from Stripe's answer to the same key, not made again.
    await expectSettledOnce(c);
  });

  it("payment_intent.payment_failed for a contract's charge ends that attempt once", async () => {
    const bob = await buyerWithCard("pm_card_chargeDeclined");
    const c = await contract([bob]);
    failed(await settle(c.id), 402, "card_declined");
    const declined = (await simulatorCounts(t, c.id)).declined[0]!;
    const deliver = async (id: string) => {
      const payload = JSON.stringify({
        id,
        object: "event",
        livemode: false,
        created: Math.floor(clock.now().getTime() / 1000),
        type: "payment_intent.payment_failed",
        data: { object: { id: declined.id, object: "payment_intent" } },
      });
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: OFFLINE_WEBHOOK_SECRET, timestamp: Math.floor(clock.now().getTime() / 1000) });
      return t.request({ method: "POST", url: "/v1/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": signature }, payload });
    };
    expect((await deliver(`evt_a_${declined.id}`)).json().status).toBe("processed");
    expect((await deliver(`evt_b_${declined.id}`)).json().status).toBe("processed");
    // The settle already ended attempt 0: the webhooks change nothing.
    expect((await t.db.contractBuyer.findFirstOrThrow({ where: { contractId: c.id } })).attempts).toBe(1);
    expect((await get(c.id)).status).toBe("open");
  });
});
