import fc from "fast-check";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { settleContract } from "../helpers/settlement.js";

/**
 * The books through random sequences of money going back — refunds that Stripe answers `pending`
 * and then end `succeeded` or `failed`, and disputes won or lost — on a real settlement: after every
 * step, Σ in = Σ out + fees + refunds + disputes lost, each side net of what was given back, and a
 * charge is never given back more than it took. A few short runs: each step is real work on the
 * database and the simulator.
 */

let t: TestContext;
let acme: TestPlatform;
let buyer: TestUser;
let sellers: TestUser[];
let gateway: OfflinePaymentsGateway;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  buyer = await t.createUser(acme, "member");
  sellers = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t.close());

type Step = { kind: "refund"; amount: number; outcome: "succeeded" | "failed" } | { kind: "close"; outcome: "won" | "lost" };

const sum = (rows: readonly { amount: number }[]) => rows.reduce((s, r) => s + r.amount, 0);

async function expectBooks(transferGroup: string, charged: number) {
  const rows = await t.db.transaction.findMany({ where: { transferGroup } });
  const ok = (type: string) => rows.filter((r) => r.type === type && r.status === "succeeded");
  const incoming = sum(rows.filter((r) => r.type === "incoming" && (r.status === "succeeded" || r.status === "disputed")));
  const out = sum(ok("outgoing")) - sum(ok("outgoing_refund"));
  const fees = sum([...ok("fee_stripe"), ...ok("fee_candle"), ...ok("fee_platform")]) - sum([...ok("fee_candle_refund"), ...ok("fee_platform_refund")]);
  const refunds = sum(ok("incoming_refund"));
  const disputesLost = sum(ok("dispute"));
  expect(incoming).toBe(charged);
  expect(incoming).toBe(out + fees + refunds + disputesLost);
  expect(refunds + disputesLost).toBeLessThanOrEqual(charged);
  for (const r of rows) expect(r.amountRefunded).toBeLessThanOrEqual(r.amount);
}

it("stays balanced through random refunds (pending → succeeded / failed) and disputes (won / lost)", async () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("refund" as const), amount: fc.integer({ min: 1, max: 6_000 }), outcome: fc.constantFrom("succeeded" as const, "failed" as const) }),
    fc.record({ kind: fc.constant("close" as const), outcome: fc.constantFrom("won" as const, "lost" as const) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.boolean(), fc.integer({ min: 2_000, max: 20_000 }), fc.array(step, { minLength: 1, maxLength: 4 }), async (dispute, charged, steps) => {
      const s = await settleContract(t, acme, {
        buyers: [{ userId: buyer.id, amount: charged }],
        sellers: sellers.map((u, i) => ({ userId: u.id, weight: i + 1 })),
        paymentMethod: dispute ? "pm_card_createDispute" : "pm_card_refundPending",
      });
      await gateway.idle();
      const charge = s.charges[0]!;
      const disputeId = (await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: charge.stripePaymentIntentId! } })).disputeId;
      await expectBooks(s.transferGroup, charged);
      for (const next of steps) {
        if (next.kind === "close") {
          if (disputeId) await t.request({ method: "POST", url: `/offline/disputes/${disputeId}/close`, payload: { outcome: next.outcome } });
        } else {
          const res = await t.request({ method: "POST", url: `/v1/transactions/${charge.id}/refund`, headers: bearer(acme.apiKey), payload: { amount: next.amount } });
          // Done at once (a card whose refunds are not pending, after a dispute was won), pending
          // until Stripe's webhook (202), or refused while disputed or for more than is left.
          if (res.statusCode === 201) {
            await expectBooks(s.transferGroup, charged);
          } else if (res.statusCode === 202) {
            await expectBooks(s.transferGroup, charged);
            const refundId = res.json().refunds[0].stripeRefundId as string;
            expect((await t.request({ method: "POST", url: `/offline/refunds/${refundId}/finish`, payload: { outcome: next.outcome } })).statusCode).toBe(200);
          } else {
            expect([409, 422]).toContain(res.statusCode);
          }
        }
        await gateway.idle();
        await expectBooks(s.transferGroup, charged);
      }
    }),
    // Six cases of a slow property (each settles a contract): a fixed seed, whose cases include a
    // refund after a won dispute, so CI runs the same ones; change it to explore others.
    { numRuns: 6, seed: 1117009688 },
  );
});
