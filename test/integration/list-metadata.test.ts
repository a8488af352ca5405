import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import type { Clock } from "../../src/lib/time.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, type Json, okContract, onboardSeller } from "../helpers/contracts.js";

/**
 * `metadata=true` on the money lists beyond contracts (src/lib/list-metadata.ts): transactions,
 * payouts and subscriptions answer `metadata.totals`, per currency, over every row the filters
 * match — the same numbers as adding up every page — and only for what the caller may see.
 */

function movableClock(): Clock & { advance(ms: number): void } {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms) => void (offset += ms) };
}

const clock = movableClock();
let t: TestContext;
let acme: TestPlatform;
let sam: TestUser;
let wes: TestUser;
let bob: TestUser;

const key = () => bearer(acme.apiKey);

async function get(url: string, headers = key()): Promise<Json> {
  const res = await t.request({ method: "GET", url, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Every row of a list, page by page (per_page 1, so sums cross pages). */
async function everyRow(url: string, headers = key()): Promise<Json[]> {
  const rows: Json[] = [];
  for (let page = 1; ; page++) {
    const body = await get(`${url}${url.includes("?") ? "&" : "?"}per_page=1&page=${page}`, headers);
    rows.push(...body.data);
    if (!body.meta.next_page_url) return rows;
  }
}

beforeAll(async () => {
  t = await createTestContext({}, { clock });
  acme = await t.createPlatform({ name: "Acme" });
  sam = await t.createUser(acme, "member");
  wes = await t.createUser(acme, "member");
  bob = await t.createUser(acme, "member");
  await onboardSeller(t, acme, sam.id);
  await onboardSeller(t, acme, wes.id);
  await addCard(t, acme, bob.id);
  for (const [seller, price] of [
    [sam, 10_000],
    [wes, 2_500],
  ] as const) {
    const c = okContract(
      await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: seller.id, price }], buyers: [{ user_id: bob.id }] } }),
      201,
    );
    expect((await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key() })).statusCode).toBe(200);
  }
  const plan = okContract(
    await t.request({ method: "POST", url: "/v1/contracts", headers: key(), payload: { items: [{ user_id: sam.id, price: 3_000 }], buyers: [{ user_id: bob.id }] } }),
    201,
  );
  const sub = await t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${plan.id}`, headers: bearer(bob.token) });
  expect(sub.statusCode, sub.body).toBe(201);
  clock.advance(3 * 86_400_000);
  await t.request({ method: "POST", url: "/offline/payouts/run", headers: { "content-type": "application/json" }, payload: {} });
  await (t.app.services.payments as OfflinePaymentsGateway).idle();
});
afterAll(() => t.close());

describe("metadata=true", () => {
  it("transactions: count, Σ amount and Σ amountRefunded per currency, equal to adding up every page; with filters too", async () => {
    for (const filter of ["", "?filter[type]=outgoing", `?filter[seller_user_id]=${sam.id}`]) {
      const rows = await everyRow(`/v1/transactions${filter}`);
      const body = await get(`/v1/transactions${filter}${filter ? "&" : "?"}metadata=true&per_page=1`);
      expect(body.data).toHaveLength(1);
      expect(body.metadata).toEqual({
        totals: [
          {
            currency: "usd",
            count: rows.length,
            amount: rows.reduce((s, r) => s + (r.amount as number), 0),
            amountRefunded: rows.reduce((s, r) => s + (r.amountRefunded as number), 0),
          },
        ],
      });
    }
    expect((await get("/v1/transactions?metadata=true&filter[currency]=eur")).metadata).toEqual({ totals: [] });
    expect(await get("/v1/transactions")).not.toHaveProperty("metadata");
    expect(await get("/v1/transactions?metadata=false")).not.toHaveProperty("metadata");
    const bad = await t.request({ method: "GET", url: "/v1/transactions?metadata=yes", headers: key() });
    expect([bad.statusCode, bad.json().error.param]).toEqual([400, "metadata"]);
  });

  it("payouts: over every payout the caller may see — a seller's own only", async () => {
    const all = await everyRow("/v1/payouts");
    expect(all.length).toBe(2);
    const body = await get("/v1/payouts?metadata=true");
    expect(body.metadata.totals).toEqual([{ currency: "usd", count: 2, amount: all.reduce((s, p) => s + (p.amount as number), 0) }]);
    const mine = await get("/v1/payouts?metadata=true", bearer(wes.token));
    const wesPayout = all.find((p) => p.user_id === wes.id)!;
    expect(mine.metadata.totals).toEqual([{ currency: "usd", count: 1, amount: wesPayout.amount }]);
    // Asking for another seller's finds nothing, totals included.
    expect((await get(`/v1/payouts?metadata=true&filter[user_id]=${sam.id}`, bearer(wes.token))).metadata).toEqual({ totals: [] });
  });

  it("subscriptions: Σ price per currency, on the platform's list and a user's", async () => {
    const body = await get("/v1/subscriptions?metadata=true");
    expect(body.metadata.totals).toEqual([{ currency: "usd", count: 1, price: body.data[0].price }]);
    const own = await get(`/v1/subscriptions/user/${bob.id}?metadata=true`, bearer(bob.token));
    expect(own.metadata.totals).toEqual(body.metadata.totals);
    expect((await get(`/v1/subscriptions?metadata=true&filter[status]=ended`)).metadata).toEqual({ totals: [] });
  });
});
