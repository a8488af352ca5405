import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { newId } from "../../src/lib/ids.js";
import { settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { settleContract, type SettledContract } from "../helpers/settlement.js";

/**
 * Refunds buyers ask for: `POST /v1/contracts/:id/refund_requests`, approved or declined by a seller
 * or the platform; approval runs the refund through the ledger's refund path on the offline simulator.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let buyer: TestUser;
let stranger: TestUser;
let admin: TestUser;
let editor: TestUser;
let sellers: TestUser[];
let gateway: OfflinePaymentsGateway;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  other = await t.createPlatform({ name: "Other" });
  buyer = await t.createUser(acme, "member");
  stranger = await t.createUser(acme, "member");
  admin = await t.createUser(acme, "admin");
  editor = await t.createUser(acme, "editor");
  sellers = [await t.createUser(acme, "member"), await t.createUser(acme, "member")];
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t.close());

/** A paid contract of 10 000¢: an item of each seller's (7 000 + 3 000 of subTotal). */
async function paid(): Promise<SettledContract & { items: string[] }> {
  const s = await settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 10_000 }], sellers: sellers.map((u, i) => ({ userId: u.id, weight: i === 0 ? 7 : 3 })) });
  const tenant = { platformId: acme.id, mode: acme.mode };
  const items = [newId("contractItem"), newId("contractItem")];
  await t.db.contractItem.createMany({
    data: [
      { id: items[0]!, ...tenant, contractId: s.contractId, userId: sellers[0]!.id, quantity: 2, price: 3_500, total: 7_000, description: "Chair" },
      { id: items[1]!, ...tenant, contractId: s.contractId, userId: sellers[1]!.id, quantity: 1, price: 3_000, total: 3_000, description: "Lamp" },
    ],
  });
  await t.db.contract.update({ where: { id: s.contractId }, data: { subTotal: 10_000 } });
  return { ...s, items };
}

const ask = (s: { contractId: string }, who: { token: string } | string, payload: object = {}) =>
  t.request({ method: "POST", url: `/v1/contracts/${s.contractId}/refund_requests`, headers: bearer(typeof who === "string" ? who : who.token), payload });
const act = (id: string, action: "approve" | "decline" | "cancel", who: { token: string } | string, payload?: object) =>
  t.request({ method: "POST", url: `/v1/refund_requests/${id}/${action}`, headers: bearer(typeof who === "string" ? who : who.token), ...(payload ? { payload } : {}) });

async function expectBalanced(s: SettledContract) {
  const books = await settlementBooks(t.db, { platformId: acme.id, mode: acme.mode }, s.transferGroup);
  expect(books.incoming).toBe(books.paidOut);
  expect(books.refunded).toBe(books.reversed);
  return books;
}

describe("refund requests", { timeout: 180_000 }, () => {
  it("a buyer asks for part of their payment; a seller approves: refunded, every seller's transfer reversed in proportion", async () => {
    const s = await paid();
    const created = await ask(s, buyer, { amount: 4_000, reason: "Arrived scratched" });
    expect(created.statusCode, created.body).toBe(201);
    const request = created.json();
    expect(request).toMatchObject({
      status: "requested",
      amount: 4_000,
      currency: "usd",
      items: null,
      seller_user_ids: [],
      reason: "Arrived scratched",
      transaction_id: s.charges[0]!.id,
    });
    expect(request.id).toMatch(/^rfreq_[0-9a-f]{32}$/);

    const approved = await act(request.id, "approve", sellers[1]!);
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: "refunded", decided_by: sellers[1]!.id });
    const refundId = approved.json().refund_transaction_id as string;
    const head = await t.db.transaction.findUniqueOrThrow({ where: { id: refundId } });
    expect(head).toMatchObject({ type: "incoming_refund", amount: 4_000, status: "succeeded", refundOfId: s.charges[0]!.id });
    const reversals = await t.db.transaction.findMany({ where: { transferGroup: s.transferGroup, type: "outgoing_refund" } });
    expect(reversals.map((r) => r.sellerUserId).sort()).toEqual(sellers.map((u) => u.id).sort());
    expect(reversals.every((r) => r.status === "succeeded" && r.stripeRefundId?.startsWith("trr_"))).toBe(true);
    await expectBalanced(s);
    const types = (await t.db.event.findMany({ where: { objectId: request.id }, orderBy: { created: "asc" } })).map((e) => e.type);
    expect(types).toEqual(["refund_request.created", "refund_request.approved", "refund_request.refunded"]);
    // Decided: neither approved again nor declined.
    expect((await act(request.id, "approve", admin)).json().error.code).toBe("refund_request_not_pending");
    expect((await act(request.id, "decline", admin, {})).statusCode).toBe(409);
  });

  it("by item: the amount is the items' share of the payment, and only their seller's transfer is reversed", async () => {
    const s = await paid();
    const created = await ask(s, buyer, { items: [{ item_id: s.items[0]!, quantity: 1 }] });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ amount: 3_500, items: [{ item_id: s.items[0]!, quantity: 1 }], seller_user_ids: [sellers[0]!.id] });
    // The other seller is not concerned by it.
    expect((await act(created.json().id, "approve", sellers[1]!)).json().error.code).toBe("refund_decider_required");
    const approved = await act(created.json().id, "approve", sellers[0]!);
    expect(approved.statusCode, approved.body).toBe(200);
    const reversals = await t.db.transaction.findMany({ where: { transferGroup: s.transferGroup, type: "outgoing_refund" } });
    expect(reversals.map((r) => r.sellerUserId)).toEqual([sellers[0]!.id]);
    const feeRefunds = await t.db.transaction.findMany({ where: { transferGroup: s.transferGroup, type: { in: ["fee_candle_refund", "fee_platform_refund"] } } });
    expect(reversals[0]!.amount + feeRefunds.reduce((sum, r) => sum + r.amount, 0)).toBe(3_500);
    await expectBalanced(s);
    // Another request for the rest of the money is allowed now that this one is decided.
    const rest = await ask(s, buyer, {});
    expect(rest.statusCode, rest.body).toBe(201);
    expect(rest.json().amount).toBe(6_500);
  });

  it("declined by the platform, or withdrawn by the buyer: nothing is refunded", async () => {
    const s = await paid();
    const first = (await ask(s, buyer, { amount: 1_000 })).json();
    const declined = await act(first.id, "decline", acme.apiKey, { reason: "Used" });
    expect(declined.statusCode, declined.body).toBe(200);
    expect(declined.json()).toMatchObject({ status: "declined", decline_reason: "Used", decided_by: null, refund_transaction_id: null });
    const second = (await ask(s, buyer, { amount: 1_000 })).json();
    expect((await act(second.id, "cancel", sellers[0]!)).json().error.code).toBe("not_contract_buyer");
    const canceled = await act(second.id, "cancel", buyer);
    expect(canceled.json()).toMatchObject({ status: "canceled" });
    expect(await t.db.transaction.count({ where: { transferGroup: s.transferGroup, type: "incoming_refund" } })).toBe(0);
    const list = await t.request({ method: "GET", url: `/v1/contracts/${s.contractId}/refund_requests`, headers: bearer(sellers[1]!.token) });
    expect(list.json().data.map((r: { id: string }) => r.id)).toEqual([second.id, first.id]);
    expect(list.json().meta).toMatchObject({ total: 2, current_page: 1 });
  });

  it("refuses the wrong state: a second open request, more than is left, an unpaid contract, a disputed charge", async () => {
    const s = await paid();
    expect((await ask(s, buyer, { amount: 10_001 })).json().error).toMatchObject({ code: "amount_too_large", param: "amount" });
    expect((await ask(s, buyer, { amount: 1, items: [{ item_id: s.items[0]! }] })).statusCode).toBe(400);
    expect((await ask(s, buyer, { items: [{ item_id: s.items[0]!, quantity: 3 }] })).json().error.code).toBe("refund_quantity_too_large");
    expect((await ask(s, buyer, { items: [{ item_id: "item_nope" }] })).statusCode).toBe(404);
    const open = (await ask(s, buyer, { amount: 100 })).json();
    expect((await ask(s, buyer, { amount: 100 })).json().error.code).toBe("refund_request_open");
    // Disputed meanwhile: the approval is refused and the request still waits.
    await t.db.transaction.update({ where: { id: s.charges[0]!.id }, data: { status: "disputed" } });
    expect((await act(open.id, "approve", admin)).statusCode).toBe(409);
    expect((await t.request({ method: "GET", url: `/v1/refund_requests/${open.id}`, headers: bearer(buyer.token) })).json().status).toBe("requested");
    await t.db.contract.update({ where: { id: s.contractId }, data: { status: "disputed" } });
    await act(open.id, "cancel", buyer);
    expect((await ask(s, buyer, { amount: 100 })).json().error.code).toBe("contract_not_refundable");
  });

  it("attacks: another buyer, a non-party member, an editor approving, the buyer approving, another platform", async () => {
    const s = await paid();
    const request = (await ask(s, buyer, { amount: 500 })).json();
    // Someone who is not on the contract cannot see it, nor ask for its money.
    expect((await ask(s, stranger, { amount: 500 })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/refund_requests/${request.id}`, headers: bearer(stranger.token) })).statusCode).toBe(404);
    expect((await act(request.id, "approve", stranger)).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/contracts/${s.contractId}/refund_requests`, headers: bearer(stranger.token) })).statusCode).toBe(404);
    // A seller is not a buyer: 403.
    expect((await ask(s, sellers[0]!, { amount: 500 })).json().error.code).toBe("not_contract_buyer");
    // The platform key cannot ask on a buyer's behalf (a user token is needed).
    expect((await ask(s, acme.apiKey, { amount: 500 })).statusCode).toBe(401);
    // The buyer cannot approve their own request; an editor reads but does not decide money.
    expect((await act(request.id, "approve", buyer)).json().error.code).toBe("refund_decider_required");
    expect((await act(request.id, "approve", editor)).json().error.code).toBe("refund_decider_required");
    // Another buyer of another contract of the same platform: not theirs.
    const s2 = await paid();
    const theirs = (await ask(s2, buyer, { amount: 100 })).json();
    const otherBuyer = await t.createUser(acme, "member");
    expect((await act(theirs.id, "cancel", otherBuyer)).statusCode).toBe(404);
    // Another platform's key and members: 404, as if it were not there.
    const outsider = await t.createUser(other, "admin");
    for (const who of [other.apiKey, outsider.token]) {
      expect((await t.request({ method: "GET", url: `/v1/refund_requests/${request.id}`, headers: bearer(who) })).statusCode).toBe(404);
      expect((await act(request.id, "approve", who)).statusCode).toBe(404);
      expect((await act(request.id, "decline", who, {})).statusCode).toBe(404);
    }
    expect((await t.db.refundRequest.findUniqueOrThrow({ where: { id: request.id } })).status).toBe("requested");
    expect(await t.db.transaction.count({ where: { transferGroup: s.transferGroup, type: "incoming_refund" } })).toBe(0);
  });

  it("an approval and a decline at once: exactly one wins, and the money moves at most once", async () => {
    const s = await paid();
    const request = (await ask(s, buyer, { amount: 2_000 })).json();
    const [a, b, c] = await Promise.all([act(request.id, "approve", admin), act(request.id, "decline", sellers[0]!, {}), act(request.id, "approve", acme.apiKey)]);
    const won = [a, b, c].filter((r) => r.statusCode === 200);
    expect(won).toHaveLength(1);
    for (const r of [a, b, c]) if (r.statusCode !== 200) expect(r.json().error.code).toBe("refund_request_not_pending");
    const refunds = await t.db.transaction.count({ where: { transferGroup: s.transferGroup, type: "incoming_refund" } });
    expect(refunds).toBe(won[0] === b ? 0 : 1);
    await gateway.idle();
    await expectBalanced(s);
  });
});
