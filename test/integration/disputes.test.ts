import Stripe from "stripe";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { DISPUTE_FEE } from "../../src/adapters/payments/offline/charges.js";
import { OFFLINE_WEBHOOK_SECRET } from "../../src/config.js";
import { allocateRefund } from "../../src/domain/fees/index.js";
import { settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { settleContract, type SettledContract } from "../helpers/settlement.js";

/**
 * Disputes: a charge on the simulator's `pm_card_createDispute` is disputed right after it
 * succeeds (`charge.dispute.created`, sent by the simulator through the Stripe webhook endpoint's
 * path); `POST /offline/disputes/:id/close` is the bank's decision (`charge.dispute.closed`).
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

async function disputed(): Promise<SettledContract & { disputeId: string }> {
  const s = await settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 10_000 }], sellers: [{ userId: seller.id, weight: 1 }], paymentMethod: "pm_card_createDispute" });
  // The dispute's webhook came while the helper was still recording the charge: the simulator sends it again until it is handled.
  await gateway.idle();
  const intent = await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: s.charges[0]!.stripePaymentIntentId! } });
  expect(intent.disputeId).toMatch(/^dp_/);
  return { ...s, disputeId: intent.disputeId! };
}

const close = (disputeId: string, outcome: "won" | "lost") => t.request({ method: "POST", url: `/offline/disputes/${disputeId}/close`, payload: { outcome } });
const contractOf = (s: SettledContract) => t.db.contract.findUniqueOrThrow({ where: { id: s.contractId } });
const eventsOf = (s: SettledContract) => t.db.event.findMany({ where: { objectId: s.contractId, type: { startsWith: "contract.dispute" } }, orderBy: { created: "asc" } });
const byId = (id: string) => t.db.transaction.findUniqueOrThrow({ where: { id } });

async function expectBalanced(s: SettledContract) {
  const books = await settlementBooks(t.db, tenant(), s.transferGroup);
  expect(books.incoming).toBe(books.paidOut);
  expect(books.refunded).toBe(books.reversed);
  return books;
}

describe("disputes", () => {
  it("opened: the charge is disputed, the contract too (contract.disputed), nothing else moves; it cannot be refunded", async () => {
    const s = await disputed();
    expect((await byId(s.charges[0]!.id)).status).toBe("disputed");
    expect((await contractOf(s)).status).toBe("disputed");
    expect((await eventsOf(s)).map((e) => e.type)).toEqual(["contract.disputed"]);
    expect(await expectBalanced(s)).toMatchObject({ incoming: 10_000, refunded: 0, disputed: 0, disputeFees: 0 });
    const refund = await t.request({ method: "POST", url: `/v1/transactions/${s.charges[0]!.id}/refund`, headers: bearer(acme.apiKey), payload: {} });
    expect(refund.statusCode).toBe(409);
  });

  it("won: the charge and the contract are as before (contract.dispute_closed); nothing was taken back", async () => {
    const s = await disputed();
    const res = await close(s.disputeId, "won");
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: "won", event: { type: "charge.dispute.closed", status: "processed" } });
    expect((await byId(s.charges[0]!.id)).status).toBe("succeeded");
    expect((await contractOf(s)).status).toBe("paid");
    expect((await eventsOf(s)).map((e) => e.type)).toEqual(["contract.disputed", "contract.dispute_closed"]);
    expect(await t.db.transaction.count({ where: { transferGroup: s.transferGroup, type: { in: ["dispute", "fee_dispute", "outgoing_refund"] } } })).toBe(0);
    expect(await expectBalanced(s)).toMatchObject({ refunded: 0, reversed: 0 });
    // Closed already: 404.
    expect((await close(s.disputeId, "lost")).statusCode).toBe(404);
  });

  it("lost: a dispute row, the seller's transfer reversed and the fees given back in proportion, Stripe's fee recorded", async () => {
    const s = await disputed();
    const res = await close(s.disputeId, "lost");
    expect(res.statusCode, res.body).toBe(200);
    const rows = await t.db.transaction.findMany({
      where: { transferGroup: s.transferGroup, type: { in: ["dispute", "fee_dispute", "outgoing_refund", "fee_candle_refund", "fee_platform_refund"] } },
    });
    const head = rows.find((r) => r.type === "dispute")!;
    expect(head).toMatchObject({ amount: 10_000, status: "succeeded", stripeRefundId: s.disputeId, refundOfId: s.charges[0]!.id, buyerUserId: buyer.id });
    expect(rows.find((r) => r.type === "fee_dispute")).toMatchObject({ amount: DISPUTE_FEE, status: "succeeded", refundOfId: s.charges[0]!.id });
    const pool = [...s.transfers, ...s.fees];
    const shares = allocateRefund(
      10_000,
      pool.map((p) => p.amount),
    );
    const reversal = rows.find((r) => r.type === "outgoing_refund")!;
    expect(reversal).toMatchObject({ status: "succeeded", amount: shares[0], refundOfId: s.transfers[0]!.id });
    expect(reversal.stripeRefundId).toMatch(/^trr_/);
    expect((await byId(s.charges[0]!.id)).amountRefunded).toBe(10_000);
    expect(await expectBalanced(s)).toMatchObject({ incoming: 10_000, refunded: 10_000, reversed: 10_000, disputed: 10_000, disputeFees: DISPUTE_FEE });
    expect((await contractOf(s)).status).toBe("disputed");
    expect((await eventsOf(s)).map((e) => e.type)).toEqual(["contract.disputed", "contract.dispute_closed"]);
  });

  it("a replayed or repeated closing event writes nothing more", async () => {
    const s = await disputed();
    const event = await gateway.finishDispute({ disputeId: s.disputeId, outcome: "lost" });
    const deliver = () =>
      t.request({ method: "POST", url: "/v1/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": event!.signature }, payload: event!.rawBody });
    expect((await deliver()).json()).toMatchObject({ status: "processed" });
    await gateway.idle();
    const count = () => t.db.transaction.count({ where: { transferGroup: s.transferGroup } });
    const before = await count();
    expect((await deliver()).json()).toMatchObject({ status: "duplicate" });
    // A new event about the same closed dispute (a different id): re-read, already recorded.
    const other = event!.rawBody.replace(/"evt_/, '"evt_x');
    const signature = Stripe.webhooks.generateTestHeaderString({ payload: other, secret: OFFLINE_WEBHOOK_SECRET });
    const res = await t.request({ method: "POST", url: "/v1/webhooks/stripe", headers: { "content-type": "application/json", "stripe-signature": signature }, payload: other });
    expect(res.json()).toMatchObject({ status: "processed" });
    await gateway.idle();
    expect(await count()).toBe(before);
    await expectBalanced(s);
  });
});

describe("disputes on a platform that reverses the sellers' transfers (disputeFunds: reverse)", { timeout: 180_000 }, () => {
  let rev: TestPlatform;
  let revBuyer: TestUser;
  let revSeller: TestUser;
  beforeAll(async () => {
    rev = await t.createPlatform({ name: "Rev", feePercent: 2.5 });
    revBuyer = await t.createUser(rev, "member");
    revSeller = await t.createUser(rev, "member");
    const res = await t.request({ method: "PUT", url: `/v1/platforms/${rev.id}`, headers: bearer(rev.apiKey), payload: { disputeFunds: "reverse" } });
    expect(res.json().disputeFunds).toBe("reverse");
  });
  const revTenant = () => ({ platformId: rev.id, mode: rev.mode });

  async function held() {
    const s = await settleContract(t, rev, {
      buyers: [{ userId: revBuyer.id, amount: 10_000 }],
      sellers: [{ userId: revSeller.id, weight: 1 }],
      paymentMethod: "pm_card_createDispute",
    });
    await gateway.idle();
    const disputeId = (await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: s.charges[0]!.stripePaymentIntentId! } })).disputeId!;
    const hold = await t.db.transaction.findFirstOrThrow({ where: { transferGroup: s.transferGroup, type: "dispute" } });
    const reversal = await t.db.transaction.findFirstOrThrow({ where: { transferGroup: s.transferGroup, type: "outgoing_refund" } });
    // The helper pays a Connect account of its own: the seller's, for the transfer made again when it is won.
    const transfer = await t.db.simTransfer.findUniqueOrThrow({ where: { id: s.transfers[0]!.stripeTransferId! } });
    await t.db.user.update({ where: { id: revSeller.id }, data: { stripeConnectId: transfer.destinationId, chargesEnabled: true } });
    return { s, disputeId, hold, reversal };
  }

  async function books(s: SettledContract) {
    const b = await settlementBooks(t.db, revTenant(), s.transferGroup);
    expect(b.incoming).toBe(b.paidOut);
    expect(b.refunded).toBe(b.reversed);
    return b;
  }

  it("opened: the seller's share is reversed at once and held (a processing dispute row); the books count it as given back", async () => {
    const { s, hold, reversal } = await held();
    const shares = allocateRefund(
      10_000,
      [...s.transfers, ...s.fees].map((p) => p.amount),
    );
    expect(hold).toMatchObject({ status: "processing", amount: shares[0], refundOfId: s.charges[0]!.id });
    expect(reversal).toMatchObject({ status: "succeeded", amount: shares[0], refundOfId: s.transfers[0]!.id });
    expect(reversal.stripeRefundId).toMatch(/^trr_/);
    expect(await books(s)).toMatchObject({ held: shares[0], disputed: 0 });
  });

  it("won: the hold is released and the seller paid again by a new transfer", async () => {
    const { s, disputeId, hold, reversal } = await held();
    expect((await close(disputeId, "won")).statusCode).toBe(200);
    await gateway.idle();
    expect((await byId(hold.id)).status).toBe("canceled");
    const again = await t.db.transaction.findFirstOrThrow({ where: { transferGroup: s.transferGroup, type: "outgoing", refundOfId: reversal.id } });
    expect(again).toMatchObject({ status: "succeeded", amount: reversal.amount, sellerUserId: revSeller.id });
    expect(again.stripeTransferId).toMatch(/^tr_/);
    expect(await byId(s.charges[0]!.id)).toMatchObject({ status: "succeeded", amountRefunded: 0 });
    expect(await books(s)).toMatchObject({ held: 0, disputed: 0, refunded: 0, reversed: 0 });
  });

  it("lost: the hold becomes the dispute, the fees' shares follow, Stripe's fee is recorded", async () => {
    const { s, disputeId, hold } = await held();
    expect((await close(disputeId, "lost")).statusCode).toBe(200);
    await gateway.idle();
    expect((await byId(hold.id)).status).toBe("succeeded");
    const disputes = await t.db.transaction.findMany({ where: { transferGroup: s.transferGroup, type: "dispute" } });
    expect(disputes.reduce((sum, d) => sum + d.amount, 0)).toBe(10_000);
    // The seller's transfer was reversed once, when it opened.
    expect(await t.db.transaction.count({ where: { transferGroup: s.transferGroup, type: "outgoing_refund" } })).toBe(1);
    expect((await byId(s.charges[0]!.id)).amountRefunded).toBe(10_000);
    expect(await books(s)).toMatchObject({ disputed: 10_000, held: 0, refunded: 10_000, reversed: 10_000, disputeFees: DISPUTE_FEE });
  });
});
