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
let rev: TestPlatform;
let buyer: TestUser;
let sellers: TestUser[];
let revBuyer: TestUser;
let revSellers: TestUser[];
let gateway: OfflinePaymentsGateway;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  buyer = await t.createUser(acme, "member");
  sellers = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
  // A platform that reverses the sellers' transfers when a dispute opens (disputeFunds: reverse).
  rev = await t.createPlatform({ name: "Rev", feePercent: 2.5 });
  await t.request({ method: "PUT", url: `/v1/platforms/${rev.id}`, headers: bearer(rev.apiKey), payload: { disputeFunds: "reverse" } });
  revBuyer = await t.createUser(rev, "member");
  revSellers = [await t.createUser(rev, "member"), await t.createUser(rev, "member")];
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t.close());

type Step =
  | { kind: "refund"; amount: number; outcome: "succeeded" | "failed" }
  | { kind: "request"; amount: number; outcome: "succeeded" | "failed" }
  | { kind: "close"; outcome: "won" | "lost" };

const sum = (rows: readonly { amount: number }[]) => rows.reduce((s, r) => s + r.amount, 0);

async function expectBooks(transferGroup: string, charged: number) {
  const rows = await t.db.transaction.findMany({ where: { transferGroup } });
  const ok = (type: string) => rows.filter((r) => r.type === type && r.status === "succeeded");
  const incoming = sum(rows.filter((r) => r.type === "incoming" && (r.status === "succeeded" || r.status === "disputed")));
  // A transfer made again after a won dispute (`refund_of` its reversal) makes good that reversal.
  const out = sum(ok("outgoing").filter((r) => !r.refundOfId)) - sum(ok("outgoing_refund")) + sum(ok("outgoing").filter((r) => r.refundOfId));
  const fees = sum([...ok("fee_stripe"), ...ok("fee_candle"), ...ok("fee_platform")]) - sum([...ok("fee_candle_refund"), ...ok("fee_platform_refund")]);
  const refunds = sum(ok("incoming_refund"));
  const disputesLost = sum(ok("dispute"));
  // Held from the sellers while the bank decides (disputeFunds: reverse).
  const held = sum(rows.filter((r) => r.type === "dispute" && r.status === "processing"));
  expect(incoming).toBe(charged);
  expect(incoming).toBe(out + fees + refunds + disputesLost + held);
  expect(refunds + disputesLost + held).toBeLessThanOrEqual(charged);
  for (const r of rows) expect(r.amountRefunded).toBeLessThanOrEqual(r.amount);
}

it("stays balanced through random refunds (pending → succeeded / failed) and disputes (won / lost)", async () => {
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ kind: fc.constant("refund" as const), amount: fc.integer({ min: 1, max: 6_000 }), outcome: fc.constantFrom("succeeded" as const, "failed" as const) }),
    fc.record({ kind: fc.constant("request" as const), amount: fc.integer({ min: 1, max: 6_000 }), outcome: fc.constantFrom("succeeded" as const, "failed" as const) }),
    fc.record({ kind: fc.constant("close" as const), outcome: fc.constantFrom("won" as const, "lost" as const) }),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 2_000, max: 20_000 }),
      fc.array(step, { minLength: 1, maxLength: 4 }),
      async (dispute, reverse, charged, steps) => {
        const platform = reverse ? rev : acme;
        const payer = reverse ? revBuyer : buyer;
        const payees = reverse ? revSellers : sellers;
        const s = await settleContract(t, platform, {
          buyers: [{ userId: payer.id, amount: charged }],
          sellers: payees.map((u, i) => ({ userId: u.id, weight: i + 1 })),
          paymentMethod: dispute ? "pm_card_createDispute" : "pm_card_refundPending",
        });
        await gateway.idle();
        const charge = s.charges[0]!;
        // The helper pays Connect accounts of its own: the sellers', for transfers made again after a won dispute.
        for (const transfer of s.transfers) {
          const made = await t.db.simTransfer.findUniqueOrThrow({ where: { id: transfer.stripeTransferId! } });
          await t.db.user.update({ where: { id: transfer.sellerUserId! }, data: { stripeConnectId: made.destinationId, chargesEnabled: true } });
        }
        const disputeId = (await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: charge.stripePaymentIntentId! } })).disputeId;
        await expectBooks(s.transferGroup, charged);
        for (const next of steps) {
          if (next.kind === "close") {
            if (disputeId) await t.request({ method: "POST", url: `/offline/disputes/${disputeId}/close`, payload: { outcome: next.outcome } });
          } else {
            let res;
            if (next.kind === "request") {
              // Asked by the buyer, approved by the platform: the same refund path.
              const asked = await t.request({
                method: "POST",
                url: `/v1/contracts/${s.contractId}/refund_requests`,
                headers: bearer(payer.token),
                payload: { amount: next.amount },
              });
              if (asked.statusCode !== 201) {
                expect([409, 422]).toContain(asked.statusCode);
                await expectBooks(s.transferGroup, charged);
                continue;
              }
              const approved = await t.request({ method: "POST", url: `/v1/refund_requests/${asked.json().id}/approve`, headers: bearer(platform.apiKey) });
              res = approved.statusCode === 200 ? { statusCode: 201, json: () => ({ refunds: [] }) } : approved;
              if (approved.statusCode === 202) {
                const head = await t.db.transaction.findUniqueOrThrow({ where: { id: approved.json().refund_transaction_id } });
                res = { statusCode: 202, json: () => ({ refunds: [head] }) };
              } else if (approved.statusCode !== 200) {
                // Refused before any money moved: the request waits; withdraw it for the next step.
                await t.request({ method: "POST", url: `/v1/refund_requests/${asked.json().id}/cancel`, headers: bearer(payer.token) });
              }
            } else {
              res = await t.request({ method: "POST", url: `/v1/transactions/${charge.id}/refund`, headers: bearer(platform.apiKey), payload: { amount: next.amount } });
            }
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
      },
    ),
    // Six cases of a slow property (each settles a contract): a fixed seed, whose cases include a
    // refund after a won dispute, so CI runs the same ones; change it to explore others.
    { numRuns: 6, seed: 1117009688 },
  );
  // Each case settles a contract and runs up to four steps through the simulator: slow on a loaded machine, never timed.
}, 300_000);
