import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { settleContract, type SettledContract } from "../helpers/settlement.js";

/**
 * A refund Stripe answers `pending` (the simulator's `pm_card_refundPending`) stays `processing`
 * in the ledger until Stripe's `refund.updated` says how it ended — delivered by the offline hook
 * through the Stripe webhook endpoint's own path. The books balance at every step.
 */

let t: TestContext;
let acme: TestPlatform;
let buyer: TestUser;
let seller: TestUser;
let gateway: OfflinePaymentsGateway;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  buyer = await t.createUser(acme, "member");
  seller = await t.createUser(acme, "member");
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t.close());

const tenant = () => ({ platformId: acme.id, mode: acme.mode });
const settled = () =>
  settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 10_000 }], sellers: [{ userId: seller.id, weight: 1 }], paymentMethod: "pm_card_refundPending" });

function refund(id: string, payload: object = {}) {
  return t.request({ method: "POST", url: `/v1/transactions/${id}/refund`, headers: bearer(acme.apiKey), payload });
}
function finish(refundId: string, outcome: "succeeded" | "failed") {
  return t.request({ method: "POST", url: `/offline/refunds/${refundId}/finish`, payload: { outcome } });
}
function deliver(event: { rawBody: string; signature: string }) {
  return t.request({ method: "POST", url: "/v1/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": event.signature }, payload: event.rawBody });
}
const rowsOf = (refundId: string) =>
  t.db.transaction.findMany({ where: { OR: [{ id: refundId }, { idempotencyKey: { startsWith: `refund:${refundId}:` } }] }, orderBy: { idempotencyKey: "asc" } });

async function expectBalanced(s: SettledContract) {
  const books = await settlementBooks(t.db, tenant(), s.transferGroup);
  expect(books.incoming).toBe(books.paidOut);
  expect(books.refunded).toBe(books.reversed);
  return books;
}

async function pendingRefund(s: SettledContract, amount: number) {
  const res = await refund(s.charges[0]!.id, { amount });
  expect(res.statusCode, res.body).toBe(202);
  const head = res.json().refunds[0];
  expect(head).toMatchObject({ type: "incoming:refund", status: "processing", amount });
  expect(head.stripeRefundId).toMatch(/^re_/);
  return head as { id: string; stripeRefundId: string };
}

describe("a refund Stripe answers pending", () => {
  it("stays processing, the books balanced, until refund.updated says it succeeded; then the seller's transfer is reversed", async () => {
    const s = await settled();
    const head = await pendingRefund(s, 4_000);
    const pending = await rowsOf(head.id);
    expect(pending.map((r) => r.status)).toEqual(pending.map(() => "processing"));
    expect((await t.db.transaction.findUniqueOrThrow({ where: { id: s.charges[0]!.id } })).amountRefunded).toBe(4_000);
    expect(await expectBalanced(s)).toMatchObject({ refunded: 0, reversed: 0 });

    // The job finding it still pending changes nothing.
    await t.app.services.transactions.resumeRefund(head.id);
    expect((await rowsOf(head.id)).every((r) => r.status === "processing")).toBe(true);

    const res = await finish(head.stripeRefundId, "succeeded");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: head.stripeRefundId, status: "succeeded", event: { type: "refund.updated", status: "processed" } });
    const done = await rowsOf(head.id);
    expect(done.map((r) => [r.type, r.status])).toEqual(done.map((r) => [r.type, "succeeded"]));
    expect(done.find((r) => r.type === "outgoing_refund")!.stripeRefundId).toMatch(/^trr_/);
    expect(await expectBalanced(s)).toMatchObject({ refunded: 4_000, reversed: 4_000 });

    // Once ended, the hook has nothing to end: 404.
    expect((await finish(head.stripeRefundId, "failed")).statusCode).toBe(404);
  });

  it("failed: every row fails and the amount goes back to the charge, which can be refunded again", async () => {
    const s = await settled();
    const head = await pendingRefund(s, 10_000);
    const res = await finish(head.stripeRefundId, "failed");
    expect(res.statusCode, res.body).toBe(200);
    const failed = await rowsOf(head.id);
    expect(failed.map((r) => r.status)).toEqual(failed.map(() => "failed"));
    expect(failed[0]!.description).toMatch(/refund re_\w+ failed/);
    for (const row of [...s.charges, ...s.transfers, ...s.fees]) expect((await t.db.transaction.findUniqueOrThrow({ where: { id: row.id } })).amountRefunded).toBe(0);
    expect(await expectBalanced(s)).toMatchObject({ refunded: 0, reversed: 0 });
    const events = await t.db.event.findMany({ where: { platformId: acme.id, type: "transaction.updated", objectId: head.id } });
    expect(events.map((e) => (e.data as { status: string }).status)).toContain("failed");

    const again = await pendingRefund(s, 10_000);
    expect((await finish(again.stripeRefundId, "succeeded")).statusCode).toBe(200);
    expect(await expectBalanced(s)).toMatchObject({ refunded: 10_000, reversed: 10_000 });
  });

  it("a replayed webhook is a duplicate, and a new event about an ended refund changes nothing", async () => {
    const s = await settled();
    const head = await pendingRefund(s, 2_500);
    const event = await gateway.finishRefund({ refundId: head.stripeRefundId, outcome: "succeeded" });
    expect(event).not.toBeNull();
    const first = await deliver(event!);
    expect(first.json()).toMatchObject({ status: "processed" });
    expect((await deliver(event!)).json()).toMatchObject({ status: "duplicate" });
    const before = await rowsOf(head.id);
    // The same refund in a newer event (e.g. `charge.refund.updated` alongside `refund.updated`): re-read, already settled.
    const body = JSON.parse(event!.rawBody) as { id: string; type: string };
    const other = JSON.stringify({ ...body, id: `${body.id}x`, type: "charge.refund.updated" });
    const { default: Stripe } = await import("stripe");
    const { OFFLINE_WEBHOOK_SECRET } = await import("../../src/config.js");
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: other, secret: OFFLINE_WEBHOOK_SECRET });
    expect((await deliver({ rawBody: other, signature })).json()).toMatchObject({ status: "processed" });
    expect(await rowsOf(head.id)).toEqual(before);
    expect(await expectBalanced(s)).toMatchObject({ refunded: 2_500, reversed: 2_500 });
  });

  it("the finish hook answers 404 for an unknown refund and 400 for an unknown outcome", async () => {
    expect((await finish("re_nope", "succeeded")).statusCode).toBe(404);
    const res = await t.request({ method: "POST", url: "/offline/refunds/re_nope/finish", payload: { outcome: "maybe" } });
    expect(res.statusCode).toBe(400);
  });
});
