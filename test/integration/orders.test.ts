import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentsUnavailableError } from "../../src/adapters/payments/errors.js";
import type { PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import type { Clock } from "../../src/lib/time.js";
import { settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, failed, okContract, onboardSeller, useCard, type Json } from "../helpers/contracts.js";

/**
 * Orders (docs/api/contracts.md, Orders): seller acceptance with manual capture, fulfilment,
 * completion, funds held until completion, cancel and write-off — on the offline simulator, whose
 * PaymentIntents and transfers the tests count. Jobs are run as the queue would run them: the job
 * the change queued is read from graphile-worker's table and its task called.
 */

function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const faults: { transfer?: () => Promise<void>; capture?: () => Promise<void> } = {};
const clock = movableClock();
let t: TestContext;
let acme: TestPlatform;
let sam: TestUser;
let wes: TestUser;
let admin: TestUser;
let editor: TestUser;
let mallory: TestUser;

function withFaults(gateway: PaymentsGateway): PaymentsGateway {
  return {
    ...gateway,
    async capturePaymentIntent(input) {
      await faults.capture?.();
      return gateway.capturePaymentIntent(input);
    },
    async createTransfer(input) {
      await faults.transfer?.();
      return gateway.createTransfer(input);
    },
  };
}

/** Fails the next call once, as a node that died before the call reached Stripe. */
const once = (name: keyof typeof faults) => {
  faults[name] = async () => {
    faults[name] = undefined;
    throw new PaymentsUnavailableError("the node died");
  };
};

beforeAll(async () => {
  t = await createTestContext({}, { clock, payments: withFaults });
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  sam = await t.createUser(acme, "member");
  wes = await t.createUser(acme, "member");
  admin = await t.createUser(acme, "admin");
  editor = await t.createUser(acme, "editor");
  mallory = await t.createUser(acme, "member");
  await onboardSeller(t, acme, sam.id);
  await onboardSeller(t, acme, wes.id);
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);
const post = (id: string, step: string, headers = key(), payload?: Json) =>
  t.request({ method: "POST", url: `/v1/contracts/${id}/${step}`, headers, ...(payload ? { payload } : {}) });
const get = async (id: string) => okContract(await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: key() }));

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

const stockOf = async (productId: string) => (await t.db.product.findUniqueOrThrow({ where: { id: productId } })).quantity;

/** Runs the job a change queued, as the worker would: it must be there. */
async function runJob(name: string, contractId: string): Promise<void> {
  const jobKey = `${name}:${contractId}`;
  const [job] = await t.db.$queryRaw<{ payload: unknown }[]>`SELECT payload FROM graphile_worker._private_jobs WHERE key = ${jobKey}`;
  expect(job, `${jobKey} is queued`).toBeDefined();
  await t.db.$executeRaw`SELECT graphile_worker.remove_job(${jobKey})`;
  await (t.app.services.tasks[name] as (payload: unknown, helpers: unknown) => Promise<void>)(job!.payload, {});
}

const intents = (contractId: string) => t.db.simPaymentIntent.findMany({ where: { transferGroup: contractId }, orderBy: { created: "asc" } });
const transfers = (contractId: string) => t.db.simTransfer.findMany({ where: { transferGroup: contractId } });
const ledger = (contractId: string) => t.db.transaction.findMany({ where: { contractId }, orderBy: [{ created: "asc" }, { id: "asc" }] });
const eventsOf = async (contractId: string) =>
  (await t.db.event.findMany({ where: { platformId: acme.id, type: { startsWith: "contract." } }, orderBy: { created: "asc" } }))
    .filter((e) => (e.data as Json).id === contractId || (e.data as Json).object?.id === contractId)
    .map((e) => e.type);

async function expectBalanced(c: Json): Promise<void> {
  const books = await settlementBooks(t.db, { platformId: acme.id, mode: "test" }, c.id);
  expect(books).toMatchObject({ incoming: c.total, paidOut: c.total, balanced: true });
}

describe("orders the seller accepts (manual capture)", () => {
  beforeAll(() => settings({ requireSellerAcceptance: true, acceptanceTimeoutHours: 48, holdFunds: false }));

  it("settling authorises; the seller's acceptance captures and pays; fulfil with tracking, then the buyer completes", async () => {
    const bob = await buyer();
    const c = await contract([bob]);
    const authorised = okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    expect(authorised).toMatchObject({ status: "authorized", orderStatus: "awaiting_acceptance", paid: null });
    expect(authorised.buyers[0]).toMatchObject({ amountPaid: 0, amountAuthorized: c.total });
    expect(Date.parse(authorised.acceptBy) - Date.now()).toBeGreaterThan(47 * 3_600_000);
    expect((await intents(c.id)).map((i) => [i.status, i.chargeSucceeded])).toEqual([["requires_capture", false]]);
    expect(await ledger(c.id)).toEqual([]);
    // Nothing is settled twice, and the contract is locked while authorised.
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }), 409, "order_state");
    failed(await post(c.id, "item", key(), { user_id: sam.id, price: 100 }), 409, "contract_locked");
    // The seller's balance shows it awaiting acceptance.
    const balance = await t.request({ method: "GET", url: `/v1/users/${sam.id}/balance`, headers: bearer(sam.token) });
    expect(balance.json().awaitingAcceptance).toEqual([{ currency: "usd", amount: c.sellers[0].amountOwed }]);

    const accepted = okContract(await post(c.id, "accept_order", bearer(sam.token)));
    expect(accepted).toMatchObject({ status: "paid", orderStatus: "accepted", fundsHeld: false });
    expect(accepted.buyers[0]).toMatchObject({ amountPaid: c.total, amountAuthorized: 0 });
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["succeeded"]);
    expect((await transfers(c.id)).map((x) => x.amount)).toEqual([c.sellers[0].amountOwed]);
    await expectBalanced(accepted);

    failed(await post(c.id, "complete", bearer(bob.token)), 409, "order_state");
    const fulfilled = okContract(await post(c.id, "fulfil", bearer(sam.token), { carrier: "UPS", number: "1Z999", url: "https://ups.example/1Z999" }));
    expect(fulfilled).toMatchObject({ orderStatus: "fulfilled", tracking: { carrier: "UPS", number: "1Z999", url: "https://ups.example/1Z999" } });
    expect(fulfilled.fulfilled).not.toBeNull();
    const completed = okContract(await post(c.id, "complete", bearer(bob.token)));
    expect(completed).toMatchObject({ orderStatus: "completed", status: "paid" });
    const error = failed(await post(c.id, "fulfil", key()), 409, "order_state");
    expect(error).toMatchObject({ status: "paid", orderStatus: "completed" });
    expect(await eventsOf(c.id)).toEqual(expect.arrayContaining(["contract.authorized", "contract.order_accepted", "contract.paid", "contract.fulfilled", "contract.completed"]));
  });

  it("a decline releases the authorisation and the stock; the other steps are refused with the state named", async () => {
    const bob = await buyer();
    const productId = await product(5);
    const c = okContract(
      await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ product_id: productId, quantity: 2 }], buyers: [{ user_id: bob.id }] } }),
      201,
    );
    expect(await stockOf(productId)).toBe(3);
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    for (const step of ["fulfil", "complete"])
      expect(failed(await post(c.id, step), 409, "order_state")).toMatchObject({ status: "authorized", orderStatus: "awaiting_acceptance" });
    const declined = okContract(await post(c.id, "decline", bearer(sam.token)));
    expect(declined).toMatchObject({ status: "void", orderStatus: "declined" });
    expect(declined.buyers[0].amountAuthorized).toBe(0);
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["canceled"]);
    expect(await stockOf(productId)).toBe(5);
    expect(await ledger(c.id)).toEqual([]);
    expect(failed(await post(c.id, "accept_order", bearer(sam.token)), 409, "order_state")).toMatchObject({ status: "void", orderStatus: "declined" });
  });

  it("nobody accepts by acceptBy: the expire-order job declines it (expired) and releases the authorisation", async () => {
    const bob = await buyer();
    const c = await contract([bob]);
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    const [job] = await t.db.$queryRaw<{ run_at: Date }[]>`SELECT run_at FROM graphile_worker.jobs WHERE key = ${`expire-order:${c.id}`}`;
    expect(job!.run_at.toISOString().slice(0, 16)).toBe(new Date((await get(c.id)).acceptBy).toISOString().slice(0, 16));
    // Early, the job changes nothing (a clock that has not reached acceptBy).
    await t.db
      .$executeRaw`SELECT graphile_worker.add_job('expire-order', ${JSON.stringify({ contractId: c.id, platformId: acme.id, mode: "test" })}::json, job_key => ${`expire-order:${c.id}`})`;
    await runJob("expire-order", c.id);
    expect((await get(c.id)).orderStatus).toBe("awaiting_acceptance");
    clock.advance(49 * 3_600_000);
    try {
      await t.db
        .$executeRaw`SELECT graphile_worker.add_job('expire-order', ${JSON.stringify({ contractId: c.id, platformId: acme.id, mode: "test" })}::json, job_key => ${`expire-order:${c.id}`})`;
      await runJob("expire-order", c.id);
    } finally {
      clock.advance(-49 * 3_600_000);
    }
    expect(await get(c.id)).toMatchObject({ status: "void", orderStatus: "expired" });
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["canceled"]);
    expect(await eventsOf(c.id)).toContain("contract.expired");
  });

  it("who may: a seller accepts, declines, fulfils; a buyer completes; a stranger gets 404, a party in the wrong role 403, an editor 403", async () => {
    const bob = await buyer();
    const c = await contract([bob]);
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    for (const step of ["accept_order", "decline", "fulfil", "complete", "cancel", "uncollectible"]) {
      failed(await post(c.id, step, bearer(mallory.token)), 404, "resource_missing");
    }
    failed(await post(c.id, "accept_order", bearer(bob.token)), 403, "not_contract_seller");
    failed(await post(c.id, "decline", bearer(bob.token)), 403, "not_contract_seller");
    failed(await post(c.id, "accept_order", bearer(editor.token)), 403, "not_contract_seller");
    failed(await post(c.id, "uncollectible", bearer(sam.token)), 403, "platform_only");
    // Another platform's key: 404.
    const other = await t.createPlatform({ name: "Other" });
    failed(await post(c.id, "accept_order", bearer(other.apiKey)), 404);
    // Nothing moved.
    expect(await get(c.id)).toMatchObject({ status: "authorized", orderStatus: "awaiting_acceptance" });
    // An admin answers for the platform.
    okContract(await post(c.id, "accept_order", bearer(admin.token)));
    failed(await post(c.id, "fulfil", bearer(bob.token)), 403, "not_contract_seller");
    okContract(await post(c.id, "fulfil", bearer(sam.token)));
    failed(await post(c.id, "complete", bearer(sam.token)), 403, "not_contract_buyer");
    failed(await post(c.id, "complete", bearer(mallory.token)), 404);
    okContract(await post(c.id, "complete", bearer(admin.token)));
    // A stranger's balance is nobody's business; one's own is.
    failed(await t.request({ method: "GET", url: `/v1/users/${sam.id}/balance`, headers: bearer(mallory.token) }), 404);
    expect((await t.request({ method: "GET", url: `/v1/users/${sam.id}/balance`, headers: bearer(editor.token) })).statusCode).toBe(200);
  });

  it("accept and decline (and cancel) at once: exactly one wins; the authorisation is captured or released, never both", async () => {
    for (const other of ["decline", "cancel"]) {
      const bob = await buyer();
      const c = await contract([bob]);
      okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
      const [a, b] = await Promise.all([post(c.id, "accept_order", bearer(sam.token)), post(c.id, other, key())]);
      const codes = [a.statusCode, b.statusCode].sort();
      expect(codes).toEqual([200, 409]);
      const after = await get(c.id);
      const sim = await intents(c.id);
      if (a.statusCode === 200) {
        expect(after).toMatchObject({ status: "paid", orderStatus: "accepted" });
        expect(sim.map((i) => i.status)).toEqual(["succeeded"]);
        await expectBalanced(after);
      } else {
        expect(after.status).toBe("void");
        expect(sim.map((i) => i.status)).toEqual(["canceled"]);
        expect(await transfers(c.id)).toEqual([]);
      }
    }
  });

  it("accepting for a seller who cannot be paid is refused before anything is captured", async () => {
    const newcomer = await t.createUser(acme, "member");
    const bob = await buyer();
    await onboardSeller(t, acme, newcomer.id);
    const c = await contract([bob], [{ user_id: newcomer.id, price: 5000 }]);
    // Settling checks the seller too; the account loses its capabilities after the authorisation.
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    await t.db.user.update({ where: { id: newcomer.id }, data: { chargesEnabled: false } });
    const res = await post(c.id, "accept_order", bearer(newcomer.token));
    expect(res.statusCode, res.body).toBe(409);
    expect(res.json().error.code).toBe("seller_not_ready");
    expect(await get(c.id)).toMatchObject({ status: "authorized", orderStatus: "awaiting_acceptance" });
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["requires_capture"]);
  });

  it("two accepts at once capture once and pay once", async () => {
    const bob = await buyer();
    const c = await contract(
      [bob],
      [
        { user_id: sam.id, price: 6000 },
        { user_id: wes.id, price: 3000 },
      ],
    );
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    const answers = await Promise.all([post(c.id, "accept_order", bearer(sam.token)), post(c.id, "accept_order", bearer(wes.token)), post(c.id, "accept_order", key())]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["succeeded"]);
    expect(await transfers(c.id)).toHaveLength(2);
    const captures = await t.db.simIdempotencyKey.findMany({ where: { key: { startsWith: `contract:${c.id}:buyer:` }, operation: "payment_intents.capture" } });
    expect(captures).toHaveLength(1);
    await expectBalanced(await get(c.id));
  });

  it("a node dies between the capture and the transfers: the settle-contract job finishes, nothing is paid twice", async () => {
    const bob = await buyer();
    const c = await contract([bob]);
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    once("transfer");
    const res = await post(c.id, "accept_order", bearer(sam.token));
    expect(res.statusCode).toBe(502);
    const stuck = await get(c.id);
    expect(stuck).toMatchObject({ status: "processing", orderStatus: "accepted" });
    expect(stuck.buyers[0].amountPaid).toBe(c.total);
    expect(await transfers(c.id)).toEqual([]);
    await runJob("settle-contract", c.id);
    const done = await get(c.id);
    expect(done).toMatchObject({ status: "paid", orderStatus: "accepted" });
    expect(await transfers(c.id)).toHaveLength(1);
    expect((await intents(c.id)).map((i) => i.status)).toEqual(["succeeded"]);
    await expectBalanced(done);
  });

  it("partly paid: one buyer authorised, the other declined for good — the platform cancels (authorisation released) or writes it off", async () => {
    const bob = await buyer();
    const dee = await buyer();
    await useCard(t, acme, dee.id, "pm_card_chargeDeclined");
    const c = await contract([bob, dee]);
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }), 402);
    const open = await get(c.id);
    expect(open.status).toBe("open");
    expect(open.buyers.map((b: Json) => b.amountAuthorized)).toEqual([open.buyers[0].amountDue, 0]);
    failed(await t.request({ method: "DELETE", url: `/v1/contracts/${c.id}`, headers: key() }), 409, "contract_locked");
    failed(await post(c.id, "cancel", bearer(bob.token)), 403, "platform_only");
    // Nothing was paid (only authorised): there is nothing to write off.
    failed(await post(c.id, "uncollectible"), 409, "order_state");
    const canceled = okContract(await post(c.id, "cancel"));
    expect(canceled).toMatchObject({ status: "void", orderStatus: "canceled" });
    expect((await intents(c.id)).map((i) => i.status).sort()).toEqual(["canceled", "requires_payment_method"]);
  });
});

describe("funds held until completion", () => {
  beforeAll(() => settings({ requireSellerAcceptance: false, holdFunds: true, holdDays: null, autoCompleteDays: 7 }));

  it("the charge is at settle, the transfers at completion; the balance moves from pending to available", async () => {
    const bob = await buyer();
    const c = await contract([bob]);
    const paid = okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    expect(paid).toMatchObject({ status: "paid", orderStatus: "accepted", fundsHeld: true });
    expect(await transfers(c.id)).toEqual([]);
    expect((await ledger(c.id)).map((x) => x.type)).toEqual(["incoming"]);
    const owed = paid.sellers[0].amountOwed as number;
    const before = (await t.request({ method: "GET", url: `/v1/users/${sam.id}/balance`, headers: bearer(sam.token) })).json();
    expect(before.pending).toContainEqual({ currency: "usd", amount: expect.any(Number) });
    const pendingBefore = before.pending[0].amount as number;

    okContract(await post(c.id, "fulfil", bearer(sam.token)));
    // The buyer does not complete: the complete-order job does, after autoCompleteDays.
    clock.advance(8 * 86_400_000);
    try {
      await runJob("complete-order", c.id);
    } finally {
      clock.advance(-8 * 86_400_000);
    }
    await runJob("release-funds", c.id);
    const done = await get(c.id);
    expect(done).toMatchObject({ orderStatus: "completed", fundsHeld: false });
    expect((await transfers(c.id)).map((x) => x.amount)).toEqual([owed]);
    await expectBalanced(done);
    const after = (await t.request({ method: "GET", url: `/v1/users/${sam.id}/balance`, headers: bearer(sam.token) })).json();
    const pendingAfter = (after.pending as Json[]).find((p) => p.currency === "usd")?.amount ?? 0;
    expect(pendingBefore - pendingAfter).toBe(owed);
    expect(after.available.find((a: Json) => a.currency === "usd").amount).toBeGreaterThanOrEqual(owed);
    expect(await eventsOf(c.id)).toContain("contract.funds_released");
  });

  it("a crash between the completion and the transfer loses nothing: the release-funds job pays the seller once", async () => {
    const bob = await buyer();
    const c = await contract(
      [bob],
      [
        { user_id: sam.id, price: 6000 },
        { user_id: wes.id, price: 3000 },
      ],
    );
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    okContract(await post(c.id, "fulfil"));
    once("transfer");
    // The completion commits; its transfers fail (the node "died" at the gateway call).
    const completed = okContract(await post(c.id, "complete", bearer(bob.token)));
    expect(completed).toMatchObject({ orderStatus: "completed", fundsHeld: true });
    expect(await transfers(c.id)).toEqual([]);
    // The lease the dead release took lapses; the job it queued runs.
    clock.advance(60_000);
    try {
      await runJob("release-funds", c.id);
    } finally {
      clock.advance(-60_000);
    }
    const done = await get(c.id);
    expect(done.fundsHeld).toBe(false);
    expect((await transfers(c.id)).length).toBe(2);
    for (const s of done.sellers) expect(s.amountReceived).toBe(s.amountOwed);
    await expectBalanced(done);
    // Once more changes nothing.
    await t.app.services.settlement.runOrderJob("release-funds", { contractId: c.id, platformId: acme.id, mode: "test" });
    expect((await transfers(c.id)).length).toBe(2);
  });

  it("a paid order with its funds held can be canceled by the platform: the charge refunded whole, the stock back", async () => {
    const bob = await buyer();
    const productId = await product(3);
    const c = okContract(
      await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ product_id: productId, quantity: 1 }], buyers: [{ user_id: bob.id }] } }),
      201,
    );
    okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
    failed(await post(c.id, "cancel", bearer(bob.token)), 403, "platform_only");
    const canceled = okContract(await post(c.id, "cancel", bearer(admin.token)));
    expect(canceled).toMatchObject({ status: "void", orderStatus: "canceled", fundsHeld: false });
    expect(await stockOf(productId)).toBe(3);
    const rows = await ledger(c.id);
    expect(rows.map((x) => [x.type, x.amount])).toEqual([
      ["incoming", c.total],
      ["incoming_refund", c.total],
    ]);
    expect((await intents(c.id))[0]!.amountRefunded).toBe(c.total);
    expect(await transfers(c.id)).toEqual([]);
  });

  it("holdDays: the sellers are paid after the platform's holding delay even without completion", async () => {
    await settings({ holdDays: 3 });
    try {
      const bob = await buyer();
      const c = await contract([bob]);
      okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() }));
      clock.advance(4 * 86_400_000);
      try {
        await runJob("release-funds", c.id);
      } finally {
        clock.advance(-4 * 86_400_000);
      }
      const done = await get(c.id);
      expect(done).toMatchObject({ orderStatus: "accepted", fundsHeld: false });
      await expectBalanced(done);
    } finally {
      await settings({ holdDays: null });
    }
  });
});

describe("the instant flow stays the default", () => {
  it("a platform without order settings charges and pays at once; a paid order can still be fulfilled and completed", async () => {
    const plain = await t.createPlatform({ name: "Plain" });
    const seller = await t.createUser(plain, "member");
    await onboardSeller(t, plain, seller.id);
    const customer = await t.createUser(plain, "member");
    await addCard(t, plain, customer.id);
    const platform = (await t.request({ method: "GET", url: "/v1/platforms", headers: bearer(plain.apiKey) })).json();
    expect(platform.orders).toEqual({ requireSellerAcceptance: false, acceptanceTimeoutHours: 72, autoCompleteDays: 14, holdFunds: false, holdDays: null });
    const c = okContract(
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: bearer(plain.apiKey),
        payload: { items: [{ user_id: seller.id, price: 2500 }], buyers: [{ user_id: customer.id }] },
      }),
      201,
    );
    const paid = okContract(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: bearer(plain.apiKey) }));
    expect(paid).toMatchObject({ status: "paid", orderStatus: "accepted", fundsHeld: false });
    expect(paid.sellers[0].amountReceived).toBe(paid.sellers[0].amountOwed);
    okContract(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/fulfil`, headers: bearer(seller.token) }));
    okContract(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/complete`, headers: bearer(customer.token) }));
    // Paid out already: cancel is refused (refunds go through the transactions' route).
    failed(await t.request({ method: "POST", url: `/v1/contracts/${c.id}/cancel`, headers: bearer(plain.apiKey) }), 409, "order_state");
  });

  it("partly paid (one buyer charged, another declined for good): the platform refunds the paid share, or writes the contract off", async () => {
    const plain = await t.createPlatform({ name: "Plain 2" });
    const seller = await t.createUser(plain, "member");
    await onboardSeller(t, plain, seller.id);
    const make = async () => {
      const payer = await t.createUser(plain, "member");
      await addCard(t, plain, payer.id);
      const decliner = await t.createUser(plain, "member");
      await addCard(t, plain, decliner.id, "pm_card_chargeDeclined");
      const c = okContract(
        await t.request({
          method: "POST",
          url: "/v1/contracts",
          headers: bearer(plain.apiKey),
          payload: { items: [{ user_id: seller.id, price: 9000 }], buyers: [{ user_id: payer.id }, { user_id: decliner.id }] },
        }),
        201,
      );
      failed(await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: bearer(plain.apiKey) }), 402);
      return c;
    };
    const refunded = await make();
    const canceled = okContract(await t.request({ method: "POST", url: `/v1/contracts/${refunded.id}/cancel`, headers: bearer(plain.apiKey) }));
    expect(canceled).toMatchObject({ status: "void", orderStatus: "canceled" });
    const paidShare = canceled.buyers[0].amountPaid as number;
    expect(paidShare).toBeGreaterThan(0);
    expect((await ledger(refunded.id)).map((x) => [x.type, x.amount])).toEqual([
      ["incoming", paidShare],
      ["incoming_refund", paidShare],
    ]);
    const writtenOff = await make();
    const uncollectible = okContract(await t.request({ method: "POST", url: `/v1/contracts/${writtenOff.id}/uncollectible`, headers: bearer(plain.apiKey) }));
    expect(uncollectible.status).toBe("uncollectible");
    // The paid share goes to the seller in proportion, the fees likewise: nothing stays with the platform unrecorded.
    expect((await ledger(writtenOff.id)).map((x) => x.type)).toEqual(["incoming", "outgoing", "fee_stripe", "fee_candle", "fee_platform"]);
    expect(await settlementBooks(t.db, { platformId: plain.id, mode: "test" }, writtenOff.id)).toMatchObject({ incoming: paidShare, paidOut: paidShare, balanced: true });
    // Final: neither settles nor changes again.
    failed(await t.request({ method: "PUT", url: `/v1/contracts/${writtenOff.id}/settle`, headers: bearer(plain.apiKey) }), 409, "contract_not_payable");
    failed(await t.request({ method: "POST", url: `/v1/contracts/${writtenOff.id}/cancel`, headers: bearer(plain.apiKey) }), 409, "order_state");
  });

  it("order settings are validated: the acceptance timeout is at most 7 days", async () => {
    const res = await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { orders: { acceptanceTimeoutHours: 169 } } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toContain("acceptanceTimeoutHours");
  });
});
