import { describe, expect, it } from "vitest";
import { z } from "zod";
import { randomBase62 } from "../../src/lib/crypto.js";
import { isId, newId, uuidv7Hex } from "../../src/lib/ids.js";
import { bpsToPercent, percentToBps } from "../../src/lib/money.js";
import { csv, pageMeta, pageWindow, parseSort, sortParam } from "../../src/lib/pagination.js";
import { toApiDate } from "../../src/lib/time.js";

describe("ids", () => {
  it("are a documented prefix and 32 hex characters of a UUIDv7", () => {
    const id = newId("contract");
    expect(id).toMatch(/^inv_[0-9a-f]{32}$/);
    expect(id[4 + 12]).toBe("7"); // version nibble
    expect(["8", "9", "a", "b"]).toContain(id[4 + 16]); // variant
    expect(isId("contract", id)).toBe(true);
    expect(isId("user", id)).toBe(false);
  });

  it("sort by creation, even within one millisecond", () => {
    const ids = Array.from({ length: 2000 }, () => uuidv7Hex());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("encode the creation time", () => {
    const hex = uuidv7Hex(Date.UTC(2030, 0, 1));
    expect(parseInt(hex.slice(0, 12), 16)).toBeGreaterThanOrEqual(Date.UTC(2030, 0, 1));
  });
});

describe("percentages", () => {
  it("become basis points exactly", () => {
    expect(percentToBps(2.5)).toBe(250);
    expect(percentToBps(0.01)).toBe(1);
    expect(percentToBps(33.33)).toBe(3333);
    expect(percentToBps(100)).toBe(10000);
    expect(bpsToPercent(250)).toBe(2.5);
    expect(() => percentToBps(2.555)).toThrow(RangeError);
  });
});

describe("list helpers", () => {
  it("compute the page window and meta", () => {
    expect(pageWindow(3, 15)).toEqual({ skip: 30, take: 15 });
    expect(pageMeta(31, 3, 15, 1)).toEqual({ total: 31, per_page: 15, current_page: 3, last_page: 3, from: 31, to: 31 });
    expect(pageMeta(0, 1, 15, 0)).toEqual({ total: 0, per_page: 15, current_page: 1, last_page: 1, from: null, to: null });
    expect(pageMeta(30, 5, 15, 0)).toMatchObject({ last_page: 2, from: null, to: null });
  });

  it("parse sort and comma-separated filters", () => {
    expect(parseSort("-price")).toEqual({ field: "price", direction: "desc" });
    expect(parseSort("name")).toEqual({ field: "name", direction: "asc" });
    const sort = sortParam(["price", "name"], "-price");
    expect(sort.parse(undefined)).toBe("-price");
    expect(sort.safeParse("-created").success).toBe(false);
    const filter = csv(z.enum(["a", "b", "c"]));
    expect(filter.parse("a,b")).toEqual(["a", "b"]);
    expect(filter.parse(["a", "c,b"])).toEqual(["a", "c", "b"]);
    expect(filter.safeParse("a,d").success).toBe(false);
    expect(filter.safeParse(",").success).toBe(false);
  });
});

describe("dates", () => {
  it("render as UTC without fractions", () => {
    expect(toApiDate(new Date("2023-06-21T10:00:00.123Z"))).toBe("2023-06-21T10:00:00Z");
    expect(toApiDate(null)).toBeNull();
  });
});

describe("random base62", () => {
  it("has the requested length and no separators", () => {
    const s = randomBase62(40);
    expect(s).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(randomBase62(40)).not.toBe(s);
  });
});
