import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/** `POST /v1/utils/estimate/fee`: public, priced by the same fee module as contracts. */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", feePercent: 2.5 });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(() => t.close());

const estimate = (payload: unknown, headers: Record<string, string> = {}) => t.request({ method: "POST", url: "/v1/utils/estimate/fee", headers, payload: payload as object });

describe("POST /v1/utils/estimate/fee", () => {
  it("estimates $100.00 on a 2.5 % platform, as documented, for each fee inclusion", async () => {
    const all = await estimate({ amount: 10000, feeInclusion: true }, bearer(acme.apiKey));
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toEqual({
      amount: 10000,
      total: 10690,
      stripeFee: 340,
      candleFee: 100,
      platformFee: 250,
      sellerReceives: 10000,
      includeStripeFees: true,
      includeCandleFees: true,
      includePlatformFees: true,
      rates: { stripePercent: 2.9, stripeFixed: 30, candlePercent: 1, platformFee: 2.5 },
    });
    const stripeOnly = (await estimate({ amount: 10000, platform_id: acme.id, includeStripeFees: true })).json();
    expect([stripeOnly.total, stripeOnly.stripeFee, stripeOnly.sellerReceives]).toEqual([10330, 330, 9650]);
    // The default, as on a new contract: the seller bears every fee.
    const none = (await estimate({ amount: 10000, platform_id: acme.id })).json();
    expect([none.total, none.stripeFee, none.candleFee, none.platformFee, none.sellerReceives]).toEqual([10000, 320, 100, 250, 9330]);
  });

  it("is public: the SDK's { amount } alone has no platform fee; the key or platform_id names the platform", async () => {
    const bare = await estimate({ amount: 10000 });
    expect(bare.statusCode).toBe(200);
    expect(bare.json()).toMatchObject({ platformFee: 0, sellerReceives: 9580, rates: { platformFee: 0 } });
    expect((await estimate({ amount: 10000 }, { api_key: acme.apiKey, mode: "test" })).json().platformFee).toBe(250);
    expect((await estimate({ amount: 10000, platform_id: other.id })).json().platformFee).toBe(0);
    expect((await estimate({ amount: 10000, platform_id: other.id }, bearer(acme.apiKey))).statusCode).toBe(404);
    expect((await estimate({ amount: 10000, platform_id: "plat_missing" })).statusCode).toBe(404);
    expect((await estimate({ amount: 10000 }, bearer("cndl_test_wrong"))).statusCode).toBe(401);
  });

  it("400 for amounts that are not cents and for unknown fields; 422 when the seller's fees exceed the amount", async () => {
    for (const amount of [-1, 10.5, "100", null]) {
      const res = await estimate({ amount });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.param).toBe("amount");
    }
    expect((await estimate({})).json().error).toMatchObject({ code: "parameter_missing", param: "amount" });
    expect((await estimate({ amount: 100, colour: "red" })).json().error).toMatchObject({ code: "parameter_unknown", param: "colour" });
    const small = await estimate({ amount: 20 });
    expect(small.statusCode).toBe(422);
    expect(small.json().error).toMatchObject({ code: "amount_too_small", gap_cents: 11 });
    expect((await estimate({ amount: 0 })).json()).toMatchObject({ total: 0, sellerReceives: 0 });
  });
});

describe("fee rates from the configuration", () => {
  it("prices with STRIPE_FEE_PERCENT, STRIPE_FEE_FIXED and CANDLE_FEE_PERCENT", async () => {
    const custom = await createTestContext({ STRIPE_FEE_PERCENT: "3.4", STRIPE_FEE_FIXED: "25", CANDLE_FEE_PERCENT: "0.5" });
    try {
      const res = await custom.request({ method: "POST", url: "/v1/utils/estimate/fee", payload: { amount: 10000 } });
      expect(res.json()).toMatchObject({ stripeFee: 365, candleFee: 50, sellerReceives: 9585, rates: { stripePercent: 3.4, stripeFixed: 25, candlePercent: 0.5 } });
    } finally {
      await custom.close();
    }
  });
});
