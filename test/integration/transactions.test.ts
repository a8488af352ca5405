import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PaymentsTimeoutError, PaymentsUnavailableError } from "../../src/adapters/payments/errors.js";
import type { PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import { allocateRefund } from "../../src/domain/fees/index.js";
import { newId } from "../../src/lib/ids.js";
import { recordSettlementTransactions, settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { settleContract, type SettledContract } from "../helpers/settlement.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let admin: TestUser;
let editor: TestUser;
let member: TestUser;
let buyer: TestUser;
let buyer2: TestUser;
let seller: TestUser;
let seller2: TestUser;

/** What the gateway does next: work, fail before reaching Stripe, or lose Stripe's answer after it acted. */
let gatewayMode: "up" | "down" | "lose-answer" = "up";
function flaky(gateway: PaymentsGateway): PaymentsGateway {
  const wrap =
    <A, R>(call: (a: A) => Promise<R>) =>
    async (a: A): Promise<R> => {
      if (gatewayMode === "down") throw new PaymentsUnavailableError();
      const result = await call(a);
      if (gatewayMode === "lose-answer") throw new PaymentsTimeoutError();
      return result;
    };
  return { ...gateway, createRefund: wrap(gateway.createRefund), createTransferReversal: wrap(gateway.createTransferReversal) };
}

beforeAll(async () => {
  t = await createTestContext({}, { payments: flaky });
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  other = await t.createPlatform({ name: "Other" });
  admin = await t.createUser(acme, "admin");
  editor = await t.createUser(acme, "editor");
  member = await t.createUser(acme, "member");
  buyer = await t.createUser(acme, "member");
  buyer2 = await t.createUser(acme, "member");
  seller = await t.createUser(acme, "member");
  seller2 = await t.createUser(acme, "member");
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);
const tenant = () => ({ platformId: acme.id, mode: acme.mode });

function refund(id: string, payload?: unknown, headers = key()) {
  return t.request({ method: "POST", url: `/v1/transactions/${id}/refund`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
}

const byId = async (id: string) => t.db.transaction.findUniqueOrThrow({ where: { id } });
const sum = (xs: readonly { amount: number }[]) => xs.reduce((s, x) => s + x.amount, 0);

/** A $100.00 charge, one seller: Stripe 320, Candle 100, platform 250, seller 9330. */
const simple = () => settleContract(t, acme, { buyers: [{ userId: buyer.id, amount: 10_000 }], sellers: [{ userId: seller.id, weight: 1 }] });

/** The books of a settlement, from the rows: Σ incoming = Σ paid out, Σ refunded = Σ reversed. */
async function expectBalanced(s: SettledContract) {
  const books = await settlementBooks(t.db, tenant(), s.transferGroup);
  expect(books.incoming).toBe(books.paidOut);
  expect(books.refunded).toBe(books.reversed);
  return books;
}

describe("recordSettlementTransactions (what settlement calls)", () => {
  it("writes one incoming per charge, one outgoing per transfer and one transaction per fee, balanced", async () => {
    const s = await settleContract(t, acme, {
      buyers: [
        { userId: buyer.id, amount: 6_000 },
        { userId: buyer2.id, amount: 4_000 },
      ],
      sellers: [
        { userId: seller.id, weight: 3 },
        { userId: seller2.id, weight: 1 },
      ],
    });
    expect(s.charges.map((c) => [c.buyerUserId, c.amount])).toEqual([
      [buyer.id, 6_000],
      [buyer2.id, 4_000],
    ]);
    expect(s.transfers.map((c) => c.sellerUserId)).toEqual([seller.id, seller2.id]);
    // Stripe: 2.9 % + 30¢ per charge = 204 + 146; Candle 1 % = 100; platform 2.5 % = 250.
    expect(Object.fromEntries(s.fees.map((f) => [f.type, f.amount]))).toEqual({ fee_stripe: 350, fee_candle: 100, fee_platform: 250 });
    expect(sum(s.transfers)).toBe(10_000 - 700);
    for (const row of s.all) {
      expect(row).toMatchObject({ platformId: acme.id, contractId: s.contractId, transferGroup: s.contractId, currency: "usd", status: "succeeded", amountRefunded: 0 });
    }
    expect(s.charges[0]!.stripePaymentIntentId).toMatch(/^pi_/);
    expect(s.charges[0]!.stripeChargeId).toMatch(/^ch_/);
    expect(s.transfers[0]!.stripeTransferId).toMatch(/^tr_/);
    expect(await expectBalanced(s)).toMatchObject({ incoming: 10_000, paidOut: 10_000, balanced: true });
  });

  it("is idempotent and can be called as money moves: charges first, then transfers and fees", async () => {
    const contractId = newId("contract");
    const base = { ...tenant(), contractId, currency: "eur", transferGroup: contractId };
    const charge = { buyerUserId: buyer.id, amount: 5_000, stripeChargeId: "ch_a", stripePaymentIntentId: "pi_a" };
    const first = await t.db.$transaction((tx) => recordSettlementTransactions(tx, { ...base, charges: [charge] }));
    expect(first).toHaveLength(1);
    const again = await t.db.$transaction((tx) => recordSettlementTransactions(tx, { ...base, charges: [charge] }));
    expect(again.map((r) => r.id)).toEqual(first.map((r) => r.id));
    const all = await t.db.$transaction((tx) =>
      recordSettlementTransactions(tx, {
        ...base,
        charges: [charge],
        transfers: [{ sellerUserId: seller.id, amount: 4_700, stripeTransferId: "tr_a" }],
        fees: { stripe: 175, candle: 50, platform: 75 },
      }),
    );
    expect(all).toHaveLength(5);
    expect(all[0]!.idempotencyKey).toBe(`settle:${contractId}:charge:${buyer.id}`);
    expect((await settlementBooks(t.db, tenant(), contractId)).balanced).toBe(true);
  });

  it("skips zero amounts and refuses negative or fractional cents", async () => {
    const contractId = newId("contract");
    const base = { ...tenant(), contractId, currency: "usd", transferGroup: contractId };
    const rows = await t.db.$transaction((tx) => recordSettlementTransactions(tx, { ...base, fees: { stripe: 0, candle: 0, platform: 10 } }));
    expect(rows.map((r) => r.type)).toEqual(["fee_platform"]);
    await expect(t.db.$transaction((tx) => recordSettlementTransactions(tx, { ...base, fees: { stripe: -1 } }))).rejects.toThrow(RangeError);
    await expect(t.db.$transaction((tx) => recordSettlementTransactions(tx, { ...base, fees: { candle: 1.5 } }))).rejects.toThrow(RangeError);
  });
});

describe("GET /v1/transactions", () => {
  let s: SettledContract;
  beforeAll(async () => {
    s = await settleContract(t, acme, { buyers: [{ userId: buyer2.id, amount: 2_500 }], sellers: [{ userId: seller2.id, weight: 1 }], currency: "gbp" });
    await settleContract(t, other, { buyers: [{ userId: (await t.createUser(other)).id, amount: 9_999 }], sellers: [{ userId: (await t.createUser(other)).id, weight: 1 }] });
  });

  it("answers the documented transaction object", async () => {
    const res = await t.request({ method: "GET", url: `/v1/transactions/${s.charges[0]!.id}`, headers: key() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: s.charges[0]!.id,
      platform_id: acme.id,
      mode: "test",
      contract_id: s.contractId,
      subscription_id: null,
      buyer_user_id: buyer2.id,
      seller_user_id: null,
      amount: 2_500,
      amountRefunded: 0,
      currency: "gbp",
      stripeChargeId: s.charges[0]!.stripeChargeId,
      stripePaymentIntentId: s.charges[0]!.stripePaymentIntentId,
      stripeTransferId: null,
      stripeRefundId: null,
      type: "incoming",
      status: "succeeded",
      refund_of: null,
      transfer_group: s.contractId,
      description: null,
      created: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      updated: expect.stringMatching(/Z$/),
    });
    const fee = await t.request({ method: "GET", url: `/v1/transactions/${s.fees.find((f) => f.type === "fee_candle")!.id}`, headers: key() });
    expect(fee.json().type).toBe("fee:candle");
  });

  it("lists the platform's transactions, newest first, paginated", async () => {
    const res = await t.request({ method: "GET", url: "/v1/transactions?per_page=2", headers: key() });
    expect(res.statusCode).toBe(200);
    const total = await t.db.transaction.count({ where: tenant() });
    expect(res.json().meta).toMatchObject({ total, per_page: 2, current_page: 1, from: 1, to: 2 });
    const all = await t.request({ method: "GET", url: "/v1/transactions?per_page=100", headers: key() });
    const created = all.json().data.map((d: { created: string }) => d.created);
    expect([...created].sort().reverse()).toEqual(created);
    expect(all.json().data.every((d: { platform_id: string }) => d.platform_id === acme.id)).toBe(true);
  });

  it("filters by type (the API's names), status, buyer, seller, contract, currency and period", async () => {
    const get = async (query: string) => {
      const res = await t.request({ method: "GET", url: `/v1/transactions?per_page=100&${query}`, headers: key() });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().data as { id: string; type: string }[];
    };
    expect((await get(`filter[contract_id]=${s.contractId}`)).map((d) => d.id).sort()).toEqual(s.all.map((r) => r.id).sort());
    expect((await get(`filter[contract_id]=${s.contractId}&filter[type]=fee:stripe,fee:candle`)).map((d) => d.type).sort()).toEqual(["fee:candle", "fee:stripe"]);
    expect((await get(`filter[buyer_user_id]=${buyer2.id}&filter[currency]=gbp`)).map((d) => d.id)).toEqual([s.charges[0]!.id]);
    expect((await get(`filter[seller_user_id]=${seller2.id}&filter[currency]=gbp`)).map((d) => d.id)).toEqual([s.transfers[0]!.id]);
    expect(await get(`filter[contract_id]=${s.contractId}&filter[status]=failed`)).toEqual([]);
    expect(await get(`filter[contract_id]=${s.contractId}&filter[type]=incoming:refund`)).toEqual([]);
    const created = s.charges[0]!.created.toISOString();
    expect((await get(`filter[contract_id]=${s.contractId}&from=${created}`)).length).toBe(s.all.length);
    expect(await get(`filter[contract_id]=${s.contractId}&to=${created}`)).toEqual([]);
  });

  it("sorts by amount and created, both ways", async () => {
    for (const [sort, compare] of [
      ["amount", (a: number, b: number) => a - b],
      ["-amount", (a: number, b: number) => b - a],
    ] as const) {
      const res = await t.request({ method: "GET", url: `/v1/transactions?per_page=100&filter[contract_id]=${s.contractId}&sort=${sort}`, headers: key() });
      const amounts = res.json().data.map((d: { amount: number }) => d.amount);
      expect(amounts).toEqual([...amounts].sort(compare));
    }
    const asc = await t.request({ method: "GET", url: "/v1/transactions?per_page=100&sort=created", headers: key() });
    const created = asc.json().data.map((d: { created: string }) => d.created);
    expect(created).toEqual([...created].sort());
  });

  it.each([
    ["filter[type]=refund", "filter[type]"],
    ["filter[status]=done", "filter[status]"],
    ["filter[currency]=USD", "filter[currency]"],
    ["sort=-status", "sort"],
    ["from=yesterday", "from"],
    ["from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"],
    ["per_page=101", "per_page"],
    ["colour=red", "colour"],
  ])("is 400 for %s, naming %s", async (query, param) => {
    const res = await t.request({ method: "GET", url: `/v1/transactions?${query}`, headers: key() });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
  });

  it("needs an admin or a key: 401 without credentials, 403 for editors and members", async () => {
    expect((await t.request({ method: "GET", url: "/v1/transactions" })).statusCode).toBe(401);
    expect((await t.request({ method: "GET", url: "/v1/transactions", headers: bearer("cndl_test_wrong") })).statusCode).toBe(401);
    expect((await t.request({ method: "GET", url: "/v1/transactions", headers: bearer(editor.token) })).statusCode).toBe(403);
    expect((await t.request({ method: "GET", url: "/v1/transactions", headers: bearer(member.token) })).statusCode).toBe(403);
    expect((await t.request({ method: "GET", url: "/v1/transactions", headers: bearer(admin.token) })).statusCode).toBe(200);
    expect((await t.request({ method: "GET", url: `/v1/transactions/${s.charges[0]!.id}`, headers: bearer(member.token) })).statusCode).toBe(403);
    expect((await t.request({ method: "GET", url: `/v1/transactions/${s.charges[0]!.id}` })).statusCode).toBe(401);
  });

  it("never shows another platform's transactions: 404 by id, absent from lists", async () => {
    const theirs = await t.db.transaction.findFirstOrThrow({ where: { platformId: other.id } });
    const res = await t.request({ method: "GET", url: `/v1/transactions/${theirs.id}`, headers: key() });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("resource_missing");
    expect((await t.request({ method: "GET", url: "/v1/transactions/tran_missing", headers: key() })).statusCode).toBe(404);
    const list = await t.request({ method: "GET", url: `/v1/transactions?filter[contract_id]=${theirs.contractId}`, headers: key() });
    expect(list.json().data).toEqual([]);
    expect((await refund(theirs.id)).statusCode).toBe(404);
    expect(await byId(theirs.id)).toMatchObject({ amountRefunded: 0 });
  });
});

describe("POST /v1/transactions/:id/refund", () => {
  it("a partial refund refunds the buyer through Stripe and reverses the seller and the fees in proportion", async () => {
    const s = await simple();
    const charge = s.charges[0]!;
    const res = await refund(charge.id, { amount: 3_333, description: "Damaged item" });
    expect(res.statusCode, res.body).toBe(201);
    const body = res.json();
    expect(body.transaction).toMatchObject({ id: charge.id, amount: 10_000, amountRefunded: 3_333 });
    const [head, ...rest] = body.refunds;
    expect(head).toMatchObject({ type: "incoming:refund", amount: 3_333, status: "succeeded", refund_of: charge.id, buyer_user_id: buyer.id, description: "Damaged item" });
    expect(head.stripeRefundId).toMatch(/^re_/);

    // The pool in split order: the transfer, then the Stripe, Candle and platform fees.
    const pool = [s.transfers[0]!, ...["fee_stripe", "fee_candle", "fee_platform"].map((type) => s.fees.find((f) => f.type === type)!)];
    const shares = allocateRefund(
      3_333,
      pool.map((p) => p.amount),
    );
    expect(rest.map((r: { refund_of: string; amount: number; type: string }) => [r.refund_of, r.type, r.amount])).toEqual([
      [pool[0]!.id, "outgoing:refund", shares[0]],
      [pool[1]!.id, "fee:platform:refund", shares[1]],
      [pool[2]!.id, "fee:candle:refund", shares[2]],
      [pool[3]!.id, "fee:platform:refund", shares[3]],
    ]);
    expect(rest[0]).toMatchObject({ seller_user_id: seller.id, status: "succeeded", stripeTransferId: pool[0]!.stripeTransferId });
    expect(rest[0].stripeRefundId).toMatch(/^trr_/);
    expect(rest[1].description).toMatch(/Stripe keeps its fee/);
    expect(sum(rest)).toBe(3_333);
    for (const [i, p] of pool.entries()) expect((await byId(p.id)).amountRefunded).toBe(shares[i]);

    // Stripe (the simulator) agrees.
    const intent = await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: charge.stripePaymentIntentId! } });
    expect(intent.amountRefunded).toBe(3_333);
    expect((await t.db.simTransfer.findUniqueOrThrow({ where: { id: pool[0]!.stripeTransferId! } })).amountReversed).toBe(shares[0]);
    await expectBalanced(s);
  });

  it("several partial refunds, then the rest by default: everything reversed exactly, nothing more", async () => {
    const s = await settleContract(t, acme, {
      buyers: [{ userId: buyer.id, amount: 12_345 }],
      sellers: [
        { userId: seller.id, weight: 2 },
        { userId: seller2.id, weight: 1 },
      ],
    });
    const charge = s.charges[0]!;
    for (const amount of [1, 999, 4_321]) expect((await refund(charge.id, { amount })).statusCode).toBe(201);
    const last = await refund(charge.id);
    expect(last.statusCode).toBe(201);
    expect(last.json().refunds[0].amount).toBe(12_345 - 1 - 999 - 4_321);
    expect(last.json().transaction.amountRefunded).toBe(12_345);
    for (const row of [...s.transfers, ...s.fees]) expect((await byId(row.id)).amountRefunded).toBe(row.amount);
    for (const tr of s.transfers) expect((await t.db.simTransfer.findUniqueOrThrow({ where: { id: tr.stripeTransferId! } })).amountReversed).toBe(tr.amount);
    expect((await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: charge.stripePaymentIntentId! } })).amountRefunded).toBe(12_345);
    const books = await expectBalanced(s);
    expect(books.refunded).toBe(12_345);

    const again = await refund(charge.id, { amount: 1 });
    expect(again.statusCode).toBe(422);
    expect(again.json().error).toMatchObject({ code: "charge_already_refunded", param: "amount", amount_refunded: 12_345, amount_refundable: 0 });
    expect((await refund(charge.id)).statusCode).toBe(422);
  });

  it("refunding more than is left is 422 stating the amounts, and changes nothing", async () => {
    const s = await simple();
    const charge = s.charges[0]!;
    expect((await refund(charge.id, { amount: 4_000 })).statusCode).toBe(201);
    const res = await refund(charge.id, { amount: 6_001 });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({
      code: "amount_too_large",
      param: "amount",
      amount_requested: 6_001,
      amount_captured: 10_000,
      amount_refunded: 4_000,
      amount_refundable: 6_000,
    });
    expect(res.json().error.message).toMatch(/6001.*6000 of the 10000 captured \(4000 refunded already\)/);
    expect((await byId(charge.id)).amountRefunded).toBe(4_000);
    expect(await t.db.transaction.count({ where: { refundOfId: charge.id } })).toBe(1);
    expect((await refund(charge.id, { amount: 6_000 })).statusCode).toBe(201);
  });

  it("parallel refunds never pass the amount captured", async () => {
    const s = await simple();
    const charge = s.charges[0]!;
    const answers = await Promise.all(Array.from({ length: 6 }, () => refund(charge.id, { amount: 3_000 })));
    expect(answers.map((a) => a.statusCode).sort()).toEqual([201, 201, 201, 422, 422, 422]);
    expect((await byId(charge.id)).amountRefunded).toBe(9_000);
    expect((await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: charge.stripePaymentIntentId! } })).amountRefunded).toBe(9_000);
    await expectBalanced(s);
    for (const row of [...s.transfers, ...s.fees]) expect((await byId(row.id)).amountRefunded).toBeLessThanOrEqual(row.amount);
  });

  it("refunds of two buyers of one contract share its transfers and fees, down to zero", async () => {
    const s = await settleContract(t, acme, {
      buyers: [
        { userId: buyer.id, amount: 7_001 },
        { userId: buyer2.id, amount: 2_999 },
      ],
      sellers: [
        { userId: seller.id, weight: 5 },
        { userId: seller2.id, weight: 3 },
      ],
    });
    const [a, b] = s.charges;
    const [ra, rb, ra2] = await Promise.all([refund(a!.id, { amount: 3_500 }), refund(b!.id), refund(a!.id, { amount: 1 })]);
    expect([ra.statusCode, rb.statusCode, ra2.statusCode]).toEqual([201, 201, 201]);
    expect((await refund(a!.id)).statusCode).toBe(201);
    for (const row of [...s.transfers, ...s.fees]) expect((await byId(row.id)).amountRefunded).toBe(row.amount);
    expect((await expectBalanced(s)).refunded).toBe(10_000);
  });

  it("is 409 for what is not a succeeded charge", async () => {
    const s = await simple();
    const outgoing = await refund(s.transfers[0]!.id);
    expect(outgoing.statusCode).toBe(409);
    expect(outgoing.json().error).toMatchObject({ code: "transaction_not_refundable" });
    expect(outgoing.json().error.message).toMatch(/is outgoing/);
    expect((await refund(s.fees[0]!.id)).statusCode).toBe(409);

    await t.db.transaction.update({ where: { id: s.charges[0]!.id }, data: { status: "failed" } });
    const failed = await refund(s.charges[0]!.id);
    expect(failed.statusCode).toBe(409);
    expect(failed.json().error.message).toMatch(/is failed/);

    const done = await refund((await simple()).charges[0]!.id);
    expect(done.statusCode).toBe(201);
    expect((await refund(done.json().refunds[0].id)).statusCode).toBe(409);
  });

  it("is 409 while the settlement is incomplete (charged, not yet paid out)", async () => {
    const contractId = newId("contract");
    const payments = t.app.services.payments;
    const customer = await payments.createCustomer({ email: "half@example.com", metadata: {}, idempotencyKey: `t:${contractId}:c` });
    const intent = await payments.createPaymentIntent({
      amount: 5_000,
      currency: "usd",
      customerId: customer.id,
      paymentMethodId: "pm_card_visa",
      metadata: {},
      idempotencyKey: `t:${contractId}:pi`,
    });
    const [charge] = await t.db.$transaction((tx) =>
      recordSettlementTransactions(tx, {
        ...tenant(),
        contractId,
        currency: "usd",
        transferGroup: contractId,
        charges: [{ buyerUserId: buyer.id, amount: 5_000, stripeChargeId: intent.chargeId!, stripePaymentIntentId: intent.id }],
      }),
    );
    const res = await refund(charge!.id);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("settlement_incomplete");
    expect((await byId(charge!.id)).amountRefunded).toBe(0);
  });

  it.each([
    [{ amount: 0 }, "amount"],
    [{ amount: -5 }, "amount"],
    [{ amount: 10.5 }, "amount"],
    [{ amount: "100" }, "amount"],
    [{ status: "succeeded" }, "status"],
    [{ refund_of: "tran_x" }, "refund_of"],
  ])("is 400 for %j, naming %s", async (payload, param) => {
    const s = await simple();
    const res = await refund(s.charges[0]!.id, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
    expect((await byId(s.charges[0]!.id)).amountRefunded).toBe(0);
  });

  it("needs an admin or a key", async () => {
    const s = await simple();
    expect((await refund(s.charges[0]!.id, {}, {})).statusCode).toBe(401);
    expect((await refund(s.charges[0]!.id, {}, bearer(editor.token))).statusCode).toBe(403);
    expect((await refund(s.charges[0]!.id, {}, bearer(buyer.token))).statusCode).toBe(403);
    expect((await refund(s.charges[0]!.id, { amount: 100 }, bearer(admin.token))).statusCode).toBe(201);
  });

  it("replays the first answer to a retry with the same Idempotency-Key, refunding once", async () => {
    const s = await simple();
    const headers = { ...key(), "idempotency-key": `refund-${s.contractId}` };
    const first = await refund(s.charges[0]!.id, { amount: 500 }, headers);
    const second = await refund(s.charges[0]!.id, { amount: 500 }, headers);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect((await byId(s.charges[0]!.id)).amountRefunded).toBe(500);
  });

  it("when Stripe cannot be reached: 202 with the refund processing, its amount held; the job finishes it", async () => {
    const s = await simple();
    gatewayMode = "down";
    let res;
    try {
      res = await refund(s.charges[0]!.id, { amount: 2_000 });
    } finally {
      gatewayMode = "up";
    }
    expect(res.statusCode).toBe(202);
    const refundId = res.json().refunds[0].id;
    expect(res.json().refunds.every((r: { status: string }) => r.status === "processing")).toBe(true);
    expect((await byId(s.charges[0]!.id)).amountRefunded).toBe(2_000);
    // The held amount counts: no second refund can take it meanwhile.
    expect((await refund(s.charges[0]!.id, { amount: 8_001 })).statusCode).toBe(422);

    const [job] = await t.db.$queryRaw<{ task_identifier: string; run_at: Date }[]>`
      SELECT task_identifier, run_at FROM graphile_worker.jobs WHERE key = ${`complete-refund:${refundId}`}`;
    expect(job?.task_identifier).toBe("complete-refund");
    await t.app.services.tasks["complete-refund"]!({ refundId }, {} as never);
    const rows = await t.db.transaction.findMany({ where: { OR: [{ id: refundId }, { idempotencyKey: { startsWith: `refund:${refundId}:` } }] } });
    expect(rows.every((r) => r.status === "succeeded")).toBe(true);
    expect((await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: s.charges[0]!.stripePaymentIntentId! } })).amountRefunded).toBe(2_000);
    await expectBalanced(s);
  });

  it("when Stripe acted but its answer was lost, finishing again refunds and reverses once", async () => {
    const s = await simple();
    gatewayMode = "lose-answer";
    let res;
    try {
      res = await refund(s.charges[0]!.id);
    } finally {
      gatewayMode = "up";
    }
    expect(res.statusCode).toBe(202);
    const refundId = res.json().refunds[0].id;
    await t.app.services.tasks["complete-refund"]!({ refundId }, {} as never);
    await t.app.services.tasks["complete-refund"]!({ refundId }, {} as never);
    expect((await t.db.simPaymentIntent.findUniqueOrThrow({ where: { id: s.charges[0]!.stripePaymentIntentId! } })).amountRefunded).toBe(10_000);
    expect(await t.db.simRefund.count({ where: { paymentIntentId: s.charges[0]!.stripePaymentIntentId! } })).toBe(1);
    expect((await t.db.simTransfer.findUniqueOrThrow({ where: { id: s.transfers[0]!.stripeTransferId! } })).amountReversed).toBe(s.transfers[0]!.amount);
    const rows = await t.db.transaction.findMany({ where: { OR: [{ id: refundId }, { idempotencyKey: { startsWith: `refund:${refundId}:` } }] } });
    expect(rows.map((r) => r.status)).toEqual(rows.map(() => "succeeded"));
    await expectBalanced(s);
  });

  it("when Stripe refuses the refund: its error, the refund recorded as failed, and the amount free again", async () => {
    const s = await simple();
    const charge = s.charges[0]!;
    // Refunded in full behind our back (say, from Stripe's dashboard).
    await t.db.simPaymentIntent.update({ where: { id: charge.stripePaymentIntentId! }, data: { amountRefunded: 10_000 } });
    const res = await refund(charge.id, { amount: 1_000 });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("charge_already_refunded");
    const failed = await t.db.transaction.findMany({
      where: { transferGroup: s.transferGroup, type: { in: ["incoming_refund", "outgoing_refund", "fee_platform_refund", "fee_candle_refund"] } },
    });
    expect(failed.length).toBeGreaterThan(1);
    expect(failed.every((r) => r.status === "failed")).toBe(true);
    for (const row of [charge, ...s.transfers, ...s.fees]) expect((await byId(row.id)).amountRefunded).toBe(0);
    await expectBalanced(s);
  });

  it("when a seller's transfer cannot be reversed, the platform absorbs that share and the books balance", async () => {
    const s = await simple();
    const transfer = s.transfers[0]!;
    // The whole transfer was reversed already, outside the API.
    await t.db.simTransfer.update({ where: { id: transfer.stripeTransferId! }, data: { amountReversed: transfer.amount } });
    const res = await refund(s.charges[0]!.id, { amount: 5_000 });
    expect(res.statusCode).toBe(201);
    const refunds = res.json().refunds as { type: string; status: string; amount: number; refund_of: string; description: string }[];
    const reversal = refunds.find((r) => r.type === "outgoing:refund")!;
    expect(reversal.status).toBe("failed");
    const absorbed = refunds.find((r) => r.type === "fee:platform:refund" && r.refund_of === transfer.id)!;
    expect(absorbed).toMatchObject({ status: "succeeded", amount: reversal.amount });
    expect(absorbed.description).toMatch(/could not be reversed/);
    expect((await byId(transfer.id)).amountRefunded).toBe(reversal.amount);
    expect((await expectBalanced(s)).refunded).toBe(5_000);
  });
});
