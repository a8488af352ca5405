import { describe, expect, it } from "vitest";
import { effectivePrice, overlaps, seasonAt } from "../../../../src/modules/products/pricing.js";

const d = (s: string) => new Date(s);
const summer = { seasonStart: d("2026-06-01T00:00:00Z"), seasonEnd: d("2026-09-01T00:00:00Z"), price: 150 };
const autumn = { seasonStart: d("2026-09-01T00:00:00Z"), seasonEnd: d("2026-11-01T00:00:00Z"), price: 120 };

describe("seasonal pricing", () => {
  it("finds the season covering an instant, start inclusive and end exclusive", () => {
    expect(seasonAt([summer, autumn], d("2026-05-31T23:59:59.999Z"))).toBeUndefined();
    expect(seasonAt([summer, autumn], d("2026-06-01T00:00:00Z"))).toBe(summer);
    expect(seasonAt([summer, autumn], d("2026-08-31T23:59:59.999Z"))).toBe(summer);
    expect(seasonAt([summer, autumn], d("2026-09-01T00:00:00Z"))).toBe(autumn);
    expect(seasonAt([summer, autumn], d("2026-11-01T00:00:00Z"))).toBeUndefined();
  });

  it("uses the base price when seasonal prices are off or no season applies", () => {
    expect(effectivePrice({ price: 100, useSeasonalPrices: false }, [summer], d("2026-07-01T00:00:00Z"))).toBe(100);
    expect(effectivePrice({ price: 100, useSeasonalPrices: true }, [summer], d("2026-07-01T00:00:00Z"))).toBe(150);
    expect(effectivePrice({ price: 100, useSeasonalPrices: true }, [summer], d("2027-07-01T00:00:00Z"))).toBe(100);
  });

  it("lets touching ranges be, and catches every kind of overlap", () => {
    expect(overlaps(summer, autumn)).toBe(false);
    expect(overlaps(autumn, summer)).toBe(false);
    expect(overlaps(summer, summer)).toBe(true);
    expect(overlaps(summer, { seasonStart: d("2026-07-01T00:00:00Z"), seasonEnd: d("2026-07-02T00:00:00Z") })).toBe(true);
    expect(overlaps(summer, { seasonStart: d("2026-08-31T23:59:59Z"), seasonEnd: d("2026-12-01T00:00:00Z") })).toBe(true);
    expect(overlaps(summer, { seasonStart: d("2026-01-01T00:00:00Z"), seasonEnd: d("2026-06-01T00:00:01Z") })).toBe(true);
  });
});
