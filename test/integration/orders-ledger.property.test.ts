import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Clock } from "../../src/lib/time.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, onboardSeller, type Json } from "../helpers/contracts.js";

/**
 * The books through random sequences of an order's steps (docs/api/contracts.md, Orders) —
 * settle (authorise or charge), accept (capture), decline, expiry, cancel (release and refund),
 * write-off, fulfil, complete (release of held funds) — under random order settings, with buyers
 * whose cards may decline. After every step, whatever was refused:
 * - the ledger and the simulator agree: what the simulator captured less what it refunded is the
 *   ledger's net `incoming`; its transfers are the ledger's `outgoing`;
 * - what came in and did not go out (net of refunds, transfers and fees) is exactly what the
 *   contract holds: nothing once it is void or its sellers are paid, else what its buyers paid;
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

beforeAll(async () => {
  t = await createTestContext({}, { clock });
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  sellers = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
  for (const s of sellers) await onboardSeller(t, acme, s.id);
  good = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
  for (const b of good) await addCard(t, acme, b.id);
  declining = await t.createUser(acme, "member");
  await addCard(t, acme, declining.id, "pm_card_chargeDeclined");
});
afterAll(() => t.close());

type Step = "settle" | "accept_order" | "decline" | "expire" | "cancel" | "uncollectible" | "fulfil" | "complete";

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

async function expectConsistent(id: string): Promise<void> {
  const c = (await t.request({ method: "GET", url: `/v1/contracts/${id}`, headers: bearer(acme.apiKey) })).json() as Json;
  const rows = await t.db.transaction.findMany({ where: { contractId: id, status: "succeeded" } });
  const of = (...types: string[]) => sum(rows.filter((r) => types.includes(r.type)).map((r) => r.amount));
  const netIn = of("incoming") - of("incoming_refund");
  const netOut = of("outgoing") - of("outgoing_refund") + of("fee_stripe", "fee_candle", "fee_platform");
  const intents = await t.db.simPaymentIntent.findMany({ where: { transferGroup: id } });
  const transfers = await t.db.simTransfer.findMany({ where: { transferGroup: id } });

  // The simulator and the ledger agree.
  expect(sum(intents.filter((i) => i.chargeSucceeded).map((i) => i.amount - i.amountRefunded))).toBe(netIn);
  expect(sum(transfers.map((x) => x.amount))).toBe(of("outgoing"));
  // What is held is what the contract says it holds.
  const sellersPaid = (c.sellers as Json[]).every((s) => s.amountReceived >= s.amountOwed);
  const held = c.status === "void" ? 0 : sellersPaid ? 0 : sum((c.buyers as Json[]).map((b) => b.amountPaid));
  expect(netIn - netOut).toBe(held);
  if (sellersPaid && c.status === "paid") expect(netIn).toBe(c.total);
  // Authorisations: as recorded, and none left on an order that ended or was captured.
  const authorised = sum(intents.filter((i) => i.status === "requires_capture").map((i) => i.amount));
  expect(authorised).toBe(sum((c.buyers as Json[]).map((b) => b.amountAuthorized)));
  if (["void", "uncollectible", "paid"].includes(c.status)) expect(authorised).toBe(0);
  // Once each.
  for (const b of c.buyers as Json[]) expect(intents.filter((i) => i.chargeSucceeded && (i.metadata as Json).user_id === b.user_id).length).toBeLessThanOrEqual(1);
  expect(new Set(transfers.map((x) => x.destinationId)).size).toBe(transfers.length);
}

async function run(id: string, step: Step): Promise<void> {
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

it("stays balanced through random authorise / capture / cancel / refund / complete sequences", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ accept: fc.boolean(), hold: fc.boolean() }),
      // Buyers: one, two, or one with a card that declines (a partly paid contract).
      fc.oneof({ arbitrary: fc.constant([0]), weight: 3 }, { arbitrary: fc.constant([0, 1]), weight: 2 }, { arbitrary: fc.constant([0, 2]), weight: 1 }),
      fc.array(fc.integer({ min: 1_000, max: 20_000 }), { minLength: 1, maxLength: 2 }),
      // The happy path's steps weigh more, so that runs reach captures, completions and releases too.
      fc.array(
        fc.oneof(
          { arbitrary: fc.constantFrom<Step>("accept_order", "fulfil", "complete"), weight: 3 },
          { arbitrary: fc.constantFrom<Step>("settle", "decline", "expire", "cancel", "uncollectible"), weight: 1 },
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
        const buyers = buyerPicks.map((i) => (i === 2 ? declining : good[i]!));
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
    { numRuns: 16, seed: 20261204 },
  );
});
