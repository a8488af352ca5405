import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import type { Clock } from "../../src/lib/time.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * The books through random sequences of an order's steps (docs/api/contracts.md, Orders) —
 * settle (authorise or charge), accept (capture — also after the authorisation lapsed, or on a card
 * declining it), decline, expiry, cancel (release and refund), write-off (the paid shares paid out),
 * fulfil, complete (release of held funds), a pending refund ending either way, a dispute closing
 * either way — under random order settings, with buyers whose cards may decline, decline the
 * capture, refund `pending` or be disputed. After every step, whatever was refused:
 * - the ledger and the simulator agree: what the simulator captured less what it refunded (pending
 *   refunds too) is the ledger's `incoming` less its refunds succeeded or pending; its transfers
 *   are the ledger's `outgoing`;
 * - what came in and did not go out (net of refunds, lost disputes, transfers and fees and their
 *   reversals) is exactly what the contract holds: nothing once it is void (but `refund_failed`:
 *   all its buyers paid), written off or its sellers are paid, else what its buyers paid less what
 *   lost disputes gave back — Σ in = Σ out + fees + refunds;
 * - what the simulator holds authorised is what the buyers' `amountAuthorized` say, and nothing
 *   once the order ended;
 * - nobody is charged or paid twice, and no step answers a 5xx.
 * A few short runs: each step is real work on the database and the simulator.
 */

function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const clock = movableClock();
let t: TestContext;
let acme: TestPlatform;
let sellers: TestUser[];
let good: TestUser[];
let declining: TestUser;
let captureDeclining: TestUser;
let refundPending: TestUser;
let disputing: TestUser;
let gateway: OfflinePaymentsGateway;

beforeAll(async () => {
  t = await createTestContext({}, { clock });
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  sellers = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
  for (const s of sellers) await onboardSeller(t, acme, s.id);
  good = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
  for (const b of good) await addCard(t, acme, b.id);
  declining = await t.createUser(acme, "member");
  await addCard(t, acme, declining.id, "pm_card_chargeDeclined");
  captureDeclining = await t.createUser(acme, "member");
  await addCard(t, acme, captureDeclining.id, "pm_card_captureDeclined");
  refundPending = await t.createUser(acme, "member");
  await addCard(t, acme, refundPending.id, "pm_card_refundPending");
  disputing = await t.createUser(acme, "member");
  await addCard(t, acme, disputing.id, "pm_card_createDispute");
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t.close());

type Step =
  | "settle"
  | "accept_order"
  | "accept_late"
  | "decline"
  | "expire"
  | "cancel"
  | "uncollectible"
  | "fulfil"
  | "complete"
  | "refund_succeeds"
  | "refund_fails"
  | "dispute_won"
  | "dispute_lost";

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

async function expectConsistent(id: string): Promise<void> {
  const c = (await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: bearer(acme.apiKey) })).json() as Json;
  const all = await t.db.transaction.findMany({ where: { contractId: id } });
  const rows = all.filter((r) => r.status === "succeeded" || (r.type === "incoming" && r.status === "disputed"));
  const of = (...types: string[]) => sum(rows.filter((r) => types.includes(r.type)).map((r) => r.amount));
  const pendingRefunds = sum(all.filter((r) => r.type === "incoming_refund" && r.status === "processing").map((r) => r.amount));
  const refunded = of("incoming_refund") + pendingRefunds;
  const netIn = of("incoming") - refunded - of("dispute");
  const netOut = of("outgoing") - of("outgoing_refund") + of("fee_stripe", "fee_candle", "fee_platform") - of("fee_stripe_refund", "fee_candle_refund", "fee_platform_refund");
  const intents = await t.db.simPaymentIntent.findMany({ where: { transferGroup: id } });
  const transfers = await t.db.simTransfer.findMany({ where: { transferGroup: id } });

  // The simulator and the ledger agree.
  expect(sum(intents.filter((i) => i.chargeSucceeded).map((i) => i.amount - i.amountRefunded))).toBe(of("incoming") - refunded);
  expect(sum(transfers.map((x) => x.amount))).toBe(of("outgoing"));
  // What is held is what the contract says it holds: Σ in = Σ out + fees + refunds (and lost disputes).
  const sellersPaid = (c.sellers as Json[]).every((s) => s.amountReceived >= s.amountOwed);
  const paid = sum((c.buyers as Json[]).map((b) => b.amountPaid));
  const held = c.orderStatus === "refund_failed" ? paid : c.status === "void" || c.status === "uncollectible" || sellersPaid ? 0 : paid - of("dispute");
  expect(netIn - netOut, JSON.stringify({ status: c.status, orderStatus: c.orderStatus })).toBe(held);
  if (sellersPaid && c.status === "paid") expect(of("incoming")).toBe(c.total);
  if (c.status === "uncollectible") expect(of("incoming")).toBe(paid);
  // Authorisations: as recorded, and none left on an order that ended or was captured.
  const authorised = sum(intents.filter((i) => i.status === "requires_capture").map((i) => i.amount));
  expect(authorised).toBe(sum((c.buyers as Json[]).map((b) => b.amountAuthorized)));
  if (["void", "uncollectible", "paid"].includes(c.status)) expect(authorised).toBe(0);
  // Nothing stuck: a refused capture ended the order, it is not left accepted and processing.
  if (c.status === "processing") expect(c.orderStatus).not.toBe("accepted");
  // Once each.
  for (const b of c.buyers as Json[]) expect(intents.filter((i) => i.chargeSucceeded && (i.metadata as Json).user_id === b.user_id).length).toBeLessThanOrEqual(1);
  expect(new Set(transfers.map((x) => x.destinationId)).size).toBe(transfers.length);
}

async function run(id: string, step: Step): Promise<void> {
  if (step === "refund_succeeds" || step === "refund_fails") {
    // Stripe ends the contract's pending refunds, and its webhook follows.
    const pending = await t.db.transaction.findMany({ where: { contractId: id, type: "incoming_refund", status: "processing", stripeRefundId: { not: null } } });
    for (const r of pending) {
      const res = await t.request({
        method: "POST",
        url: `/offline/refunds/${r.stripeRefundId}/finish`,
        payload: { outcome: step === "refund_succeeds" ? "succeeded" : "failed" },
      });
      expect(res.statusCode, res.body).toBeLessThan(500);
    }
    return;
  }
  if (step === "dispute_won" || step === "dispute_lost") {
    await gateway.idle();
    const open = await t.db.simPaymentIntent.findMany({ where: { transferGroup: id, disputeStatus: "needs_response" } });
    for (const i of open) {
      const res = await t.request({ method: "POST", url: `/offline/disputes/${i.disputeId}/close`, payload: { outcome: step === "dispute_won" ? "won" : "lost" } });
      expect(res.statusCode, res.body).toBeLessThan(500);
    }
    return;
  }
  if (step === "accept_late") {
    // Past Stripe's 7 days: the authorisation lapsed, and the capture is refused.
    clock.advance(8 * 86_400_000);
    try {
      const res = await t.request({ method: "POST", url: `/v1/contracts/${id}/accept_order`, headers: bearer(acme.apiKey) });
      expect(res.statusCode, res.body).toBeLessThan(500);
    } finally {
      clock.advance(-8 * 86_400_000);
    }
    return;
  }
  if (step === "expire") {
    // Past any acceptance window: the expire-order job, as the queue runs it.
    clock.advance(8 * 86_400_000);
    try {
      await t.app.services.settlement.runOrderJob("expire-order", { contractId: id, platformId: acme.id, mode: "test" });
    } finally {
      clock.advance(-8 * 86_400_000);
    }
    return;
  }
  const res =
    step === "settle"
      ? await t.request({ method: "PUT", url: `/v1/contracts/${id}/settle`, headers: bearer(acme.apiKey) })
      : await t.request({ method: "POST", url: `/v1/contracts/${id}/${step}`, headers: bearer(acme.apiKey) });
  expect(res.statusCode, `${step}: ${res.body}`).toBeLessThan(500);
}

it("stays balanced through random authorise / capture / cancel / refund / dispute / write-off / complete sequences", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ accept: fc.boolean(), hold: fc.boolean() }),
      // Buyers: one, two, or one with a card that declines (a partly paid contract), declines the capture,
      // refunds `pending`, or is disputed.
      fc.oneof(
        { arbitrary: fc.constant([0]), weight: 3 },
        { arbitrary: fc.constant([0, 1]), weight: 2 },
        { arbitrary: fc.constant([0, 2]), weight: 1 },
        { arbitrary: fc.constant([0, 3]), weight: 1 },
        { arbitrary: fc.constant([4]), weight: 1 },
        { arbitrary: fc.constant([4, 2]), weight: 1 },
        { arbitrary: fc.constant([5]), weight: 1 },
      ),
      fc.array(fc.integer({ min: 1_000, max: 20_000 }), { minLength: 1, maxLength: 2 }),
      // The happy path's steps weigh more, so that runs reach captures, completions and releases too.
      fc.array(
        fc.oneof(
          { arbitrary: fc.constantFrom<Step>("accept_order", "fulfil", "complete"), weight: 3 },
          { arbitrary: fc.constantFrom<Step>("settle", "decline", "expire", "cancel", "uncollectible"), weight: 1 },
          { arbitrary: fc.constantFrom<Step>("accept_late", "refund_succeeds", "refund_fails", "dispute_won", "dispute_lost"), weight: 1 },
        ),
        { minLength: 2, maxLength: 7 },
      ),
      async (settings, buyerPicks, prices, steps) => {
        const put = await t.request({
          method: "PUT",
          url: `/v1/platforms/${acme.id}`,
          headers: bearer(acme.apiKey),
          payload: { orders: { requireSellerAcceptance: settings.accept, holdFunds: settings.hold } },
        });
        expect(put.statusCode).toBe(200);
        const buyers = buyerPicks.map((i) => [good[0]!, good[1]!, declining, captureDeclining, refundPending, disputing][i]!);
        const created = await t.request({
          method: "POST",
          url: "/v1/contracts",
          headers: bearer(acme.apiKey),
          payload: { items: prices.map((price, i) => ({ user_id: sellers[i]!.id, price })), buyers: buyers.map((b) => ({ user_id: b.id })) },
        });
        expect(created.statusCode, created.body).toBe(201);
        const id = created.json().id as string;
        // Settling first makes most sequences reach the interesting states.
        for (const step of ["settle" as const, ...steps]) {
          await run(id, step);
          await expectConsistent(id);
        }
      },
    ),
    { numRuns: 20, seed: 20261205 },
  );
}, 400_000);
