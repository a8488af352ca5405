import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let seller: TestUser;
let member: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  seller = await t.createUser(acme, "member");
  member = await t.createUser(acme, "member");
  stranger = await t.createUser(other, "member");
});
afterAll(() => t.close());

type Json = Record<string, any>;
const as = (u: TestUser) => bearer(u.token);

async function product(payload: Json = {}, who: TestUser = seller): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: as(who), payload: { name: "Cabin", price: 10000, ...payload } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const addSeason = (id: string, payload: Json, who: TestUser = seller) => t.request({ method: "POST", url: `/v1/products/${id}/prices`, headers: as(who), payload });
const useSeasons = (id: string, useSeasonalPrices: boolean) =>
  t.request({ method: "PUT", url: `/v1/products/${id}/prices/usage`, headers: as(seller), payload: { useSeasonalPrices } });
const priceAt = async (id: string, at: string) => {
  const res = await t.request({ method: "GET", url: `/v1/products/${id}?at=${encodeURIComponent(at)}`, headers: as(member) });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().effectivePrice as number;
};

describe("seasonal prices", () => {
  it("POST adds a season and answers the product; GET /prices lists them", async () => {
    const p = await product();
    const res = await addSeason(p.id, { seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-09-01T00:00:00Z", price: 15000 });
    expect(res.statusCode).toBe(200);
    const season = res.json().seasonalPrices[0];
    expect(season).toEqual({ id: expect.stringMatching(/^sprice_[0-9a-f]{32}$/), seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-09-01T00:00:00Z", price: 15000 });
    const prices = await t.request({ method: "GET", url: `/v1/products/${p.id}/prices?at=2026-08-01T00:00:00Z`, headers: as(member) });
    expect(prices.statusCode).toBe(200);
    expect(prices.json()).toEqual({
      product_id: p.id,
      price: 10000,
      currency: "usd",
      cycle: null,
      useSeasonalPrices: false,
      effectivePrice: 10000,
      seasonalPrices: [season],
    });
  });

  it("apply only while useSeasonalPrices is on", async () => {
    const p = await product();
    await addSeason(p.id, { seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-09-01T00:00:00Z", price: 15000 });
    expect(await priceAt(p.id, "2026-08-01T00:00:00Z")).toBe(10000);
    const on = await useSeasons(p.id, true);
    expect(on.statusCode).toBe(200);
    expect(on.json().useSeasonalPrices).toBe(true);
    expect(await priceAt(p.id, "2026-08-01T00:00:00Z")).toBe(15000);
    expect((await useSeasons(p.id, false)).json().useSeasonalPrices).toBe(false);
    expect(await priceAt(p.id, "2026-08-01T00:00:00Z")).toBe(10000);
  });

  it("are half-open [seasonStart, seasonEnd) at midnight UTC", async () => {
    const p = await product();
    await addSeason(p.id, { seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-09-01T00:00:00Z", price: 15000 });
    await useSeasons(p.id, true);
    expect(await priceAt(p.id, "2026-06-30T23:59:59Z")).toBe(10000);
    expect(await priceAt(p.id, "2026-07-01T00:00:00Z")).toBe(15000);
    expect(await priceAt(p.id, "2026-08-31T23:59:59Z")).toBe(15000);
    expect(await priceAt(p.id, "2026-09-01T00:00:00Z")).toBe(10000);
    // The same instants written with an offset.
    expect(await priceAt(p.id, "2026-06-30T20:00:00-04:00")).toBe(15000);
    expect(await priceAt(p.id, "2026-06-30T19:59:59-04:00")).toBe(10000);
  });

  it("hand over exactly at a DST change (US spring-forward, 2026-03-08T07:00:00Z)", async () => {
    const p = await product();
    // Winter season in New York time: midnight EST on March 1st to 2 a.m. EST on March 8th, when clocks jump to 3 a.m. EDT.
    const winter = await addSeason(p.id, { seasonStart: "2026-03-01T00:00:00-05:00", seasonEnd: "2026-03-08T02:00:00-05:00", price: 8000 });
    expect(winter.statusCode).toBe(200);
    expect(winter.json().seasonalPrices[0]).toMatchObject({ seasonStart: "2026-03-01T05:00:00Z", seasonEnd: "2026-03-08T07:00:00Z" });
    // The spring season starts at the same instant, written in EDT: touching, not overlapping.
    const spring = await addSeason(p.id, { seasonStart: "2026-03-08T03:00:00-04:00", seasonEnd: "2026-06-01T00:00:00-04:00", price: 12000 });
    expect(spring.statusCode, spring.body).toBe(200);
    await useSeasons(p.id, true);
    expect(await priceAt(p.id, "2026-03-01T04:59:59Z")).toBe(10000);
    expect(await priceAt(p.id, "2026-03-01T05:00:00Z")).toBe(8000);
    expect(await priceAt(p.id, "2026-03-08T06:59:59Z")).toBe(8000);
    expect(await priceAt(p.id, "2026-03-08T01:59:59-05:00")).toBe(8000);
    expect(await priceAt(p.id, "2026-03-08T07:00:00Z")).toBe(12000);
    expect(await priceAt(p.id, "2026-03-08T03:00:00-04:00")).toBe(12000);
    // An hour that does not exist in New York, written as UTC, is just an instant.
    expect(await priceAt(p.id, "2026-03-08T07:30:00Z")).toBe(12000);
    const overlapping = await addSeason(p.id, { seasonStart: "2026-03-08T01:59:59-05:00", seasonEnd: "2026-03-08T08:00:00Z", price: 1 });
    expect(overlapping.statusCode).toBe(409);
  });

  it("show in lists too, with the effective price at `at`, for variants as well", async () => {
    const parent = await product({ category: "Seasonal list" });
    const variant = await product({ parent_product_id: parent.id, price: 500 });
    await addSeason(parent.id, { seasonStart: "2026-12-01T00:00:00Z", seasonEnd: "2027-01-01T00:00:00Z", price: 20000 });
    await addSeason(variant.id, { seasonStart: "2026-12-01T00:00:00Z", seasonEnd: "2027-01-01T00:00:00Z", price: 900 });
    await useSeasons(parent.id, true);
    await useSeasons(variant.id, true);
    const list = async (at: string) => {
      const res = await t.request({ method: "GET", url: `/v1/products?filter[category]=Seasonal%20list&at=${at}`, headers: as(member) });
      expect(res.statusCode).toBe(200);
      return res.json().data[0];
    };
    const december = await list("2026-12-24T12:00:00Z");
    expect(december).toMatchObject({
      id: parent.id,
      effectivePrice: 20000,
      seasonalPrices: [{ seasonStart: "2026-12-01T00:00:00Z", seasonEnd: "2027-01-01T00:00:00Z", price: 20000 }],
    });
    expect(december.variants[0]).toMatchObject({ id: variant.id, effectivePrice: 900, seasonalPrices: [{ price: 900 }] });
    const newYear = await list("2027-01-01T00:00:00Z");
    expect(newYear.effectivePrice).toBe(10000);
    expect(newYear.variants[0].effectivePrice).toBe(500);
    // The list and the product itself say the same.
    const single = (await t.request({ method: "GET", url: `/v1/products/${parent.id}?at=2026-12-24T12:00:00Z`, headers: as(member) })).json();
    expect(december).toEqual(single);
  });

  it("never overlap (409 season_overlap), but may touch", async () => {
    const p = await product();
    expect((await addSeason(p.id, { seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-08-01T00:00:00Z", price: 1 })).statusCode).toBe(200);
    for (const [seasonStart, seasonEnd] of [
      ["2026-07-15T00:00:00Z", "2026-08-15T00:00:00Z"],
      ["2026-06-15T00:00:00Z", "2026-07-01T00:00:01Z"],
      ["2026-07-10T00:00:00Z", "2026-07-11T00:00:00Z"],
      ["2026-06-01T00:00:00Z", "2026-09-01T00:00:00Z"],
      ["2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z"],
    ]) {
      const res = await addSeason(p.id, { seasonStart, seasonEnd, price: 2 });
      expect(res.statusCode, `${seasonStart}..${seasonEnd}`).toBe(409);
      expect(res.json().error).toMatchObject({ code: "season_overlap", param: "seasonStart" });
    }
    expect((await addSeason(p.id, { seasonStart: "2026-06-01T00:00:00Z", seasonEnd: "2026-07-01T00:00:00Z", price: 3 })).statusCode).toBe(200);
    expect((await addSeason(p.id, { seasonStart: "2026-08-01T00:00:00Z", seasonEnd: "2026-09-01T00:00:00Z", price: 4 })).statusCode).toBe(200);
    const listed = (await t.request({ method: "GET", url: `/v1/products/${p.id}/prices`, headers: as(member) })).json().seasonalPrices;
    expect(listed.map((s: Json) => s.price)).toEqual([3, 1, 4]);
  });

  it("stay apart when overlapping seasons are added in parallel", async () => {
    const p = await product();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => addSeason(p.id, { seasonStart: `2026-10-0${i + 1}T00:00:00Z`, seasonEnd: "2026-10-20T00:00:00Z", price: 100 + i })),
    );
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 409, 409, 409, 409, 409, 409, 409]);
    expect(await t.db.seasonalPrice.count({ where: { productId: p.id } })).toBe(1);
  });

  it.each([
    [{ seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-07-01T00:00:00Z", price: 1 }, "seasonEnd"],
    [{ seasonStart: "2026-07-02T00:00:00Z", seasonEnd: "2026-07-01T00:00:00Z", price: 1 }, "seasonEnd"],
    [{ seasonStart: "2026-07-01", seasonEnd: "2026-07-02T00:00:00Z", price: 1 }, "seasonStart"],
    [{ seasonStart: "2026-07-01T00:00:00", seasonEnd: "2026-07-02T00:00:00Z", price: 1 }, "seasonStart"],
    [{ seasonStart: "2026-07-01T00:00:00.500Z", seasonEnd: "2026-07-02T00:00:00Z", price: 1 }, "seasonStart"],
    [{ seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-07-02T00:00:00Z", price: 12.5 }, "price"],
    [{ seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-07-02T00:00:00Z", price: -1 }, "price"],
    [{ seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-07-02T00:00:00Z" }, "price"],
    [{ seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-07-02T00:00:00Z", price: 1, id: "sprice_x" }, "id"],
  ])("POST is 400 for %j, naming %s", async (payload, param) => {
    const p = await product();
    const res = await addSeason(p.id, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
    expect(await t.db.seasonalPrice.count({ where: { productId: p.id } })).toBe(0);
  });

  it("DELETE removes a season; 404 for an unknown one or another product's", async () => {
    const p = await product();
    const q = await product();
    const season = (await addSeason(p.id, { seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-08-01T00:00:00Z", price: 1 })).json().seasonalPrices[0];
    const wrongProduct = await t.request({ method: "DELETE", url: `/v1/products/${q.id}/prices/${season.id}`, headers: as(seller) });
    expect(wrongProduct.statusCode).toBe(404);
    expect(wrongProduct.json().error.param).toBe("price_id");
    const res = await t.request({ method: "DELETE", url: `/v1/products/${p.id}/prices/${season.id}`, headers: as(seller) });
    expect(res.statusCode).toBe(200);
    expect(res.json().seasonalPrices).toEqual([]);
    expect((await t.request({ method: "DELETE", url: `/v1/products/${p.id}/prices/${season.id}`, headers: as(seller) })).statusCode).toBe(404);
    expect((await t.request({ method: "DELETE", url: `/v1/products/${p.id}/prices/${newId("seasonalPrice")}`, headers: as(seller) })).statusCode).toBe(404);
  });

  it("PUT /prices/usage is 400 without a boolean", async () => {
    const p = await product();
    for (const payload of [{}, { useSeasonalPrices: "yes" }, { useSeasonalPrices: true, price: 1 }]) {
      const res = await t.request({ method: "PUT", url: `/v1/products/${p.id}/prices/usage`, headers: as(seller), payload });
      expect(res.statusCode).toBe(400);
    }
  });

  it("can be changed only by the seller, an editor or the key (403), and reached only on the platform (404, 401)", async () => {
    const p = await product();
    const season = { seasonStart: "2026-07-01T00:00:00Z", seasonEnd: "2026-08-01T00:00:00Z", price: 1 };
    expect((await addSeason(p.id, season, member)).statusCode).toBe(403);
    expect((await t.request({ method: "PUT", url: `/v1/products/${p.id}/prices/usage`, headers: as(member), payload: { useSeasonalPrices: true } })).statusCode).toBe(403);
    const added = (await addSeason(p.id, season)).json().seasonalPrices[0];
    expect((await t.request({ method: "DELETE", url: `/v1/products/${p.id}/prices/${added.id}`, headers: as(member) })).statusCode).toBe(403);
    expect(
      (
        await t.request({
          method: "POST",
          url: `/v1/products/${p.id}/prices`,
          headers: bearer(acme.apiKey),
          payload: { ...season, seasonStart: "2026-08-01T00:00:00Z", seasonEnd: "2026-08-02T00:00:00Z" },
        })
      ).statusCode,
    ).toBe(200);

    const theirs = await product({}, stranger);
    expect((await addSeason(theirs.id, season)).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/products/${theirs.id}/prices`, headers: as(seller) })).statusCode).toBe(404);
    expect((await t.request({ method: "PUT", url: `/v1/products/${theirs.id}/prices/usage`, headers: bearer(acme.apiKey), payload: { useSeasonalPrices: true } })).statusCode).toBe(
      404,
    );
    expect((await t.request({ method: "GET", url: `/v1/products/${p.id}/prices` })).statusCode).toBe(401);
    expect((await t.request({ method: "POST", url: `/v1/products/${p.id}/prices`, payload: season })).statusCode).toBe(401);
  });
});
