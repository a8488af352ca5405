import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/db/migrator.js";
import { MIGRATIONS_DIR } from "../../scripts/lib/prisma-cli.js";
import { createTestDatabase } from "../helpers/database.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import type { Json } from "../helpers/contracts.js";
import { SEARCH_WINDOW } from "../../src/modules/products/search-words.js";

/**
 * Search of the catalogue (docs/api/search.md): full text ranked by where words match, misspelt
 * words corrected to the catalogue's, facet counts, radius search; and that a search sees no more
 * than a list does — another platform's listings, others' drafts, members-only listings.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let sam: TestUser;
let bea: TestUser;
const ids: Record<string, string> = {};

const key = () => bearer(acme.apiKey);

/** A listing of Acme's: Sam's through the key, unless a user's headers are given. */
async function product(payload: Json, headers?: Record<string, string>): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: headers ?? key(), payload: { price: 1000, ...(headers ? {} : { user_id: sam.id }), ...payload } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function search(query: string, headers = key()): Promise<Json> {
  const res = await t.request({ method: "GET", url: `/v1/products?${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

const names = (page: Json): string[] => page.data.map((p: Json) => p.name);

// Positions: Paris, Versailles (~17 km from Paris), Lyon (~392 km), and one across the antimeridian pair.
const PARIS = [48.8566, 2.3522] as const;
const VERSAILLES = [48.8049, 2.1204] as const;
const LYON = [45.764, 4.8357] as const;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  sam = await t.createUser(acme, "member");
  bea = await t.createUser(acme, "member");
  const furniture = await t.request({ method: "POST", url: "/v1/categories", headers: key(), payload: { name: "Furniture" } });
  expect(furniture.statusCode, furniture.body).toBe(201);
  const seating = await t.request({ method: "POST", url: "/v1/categories", headers: key(), payload: { name: "Seating", parent_id: furniture.json().id } });
  expect(seating.statusCode, seating.body).toBe(201);
  ids.furniture = furniture.json().id;
  ids.seating = seating.json().id;
  ids.oakChair = (
    await product({ name: "Oak chair", description: "A sturdy seat", category_id: ids.seating, tags: ["wood"], price: 12500, latitude: PARIS[0], longitude: PARIS[1] })
  ).id;
  ids.table = (
    await product({
      name: "Walnut table",
      description: "Seats four; pairs with any chair",
      category_id: ids.furniture,
      tags: ["wood"],
      price: 40000,
      latitude: VERSAILLES[0],
      longitude: VERSAILLES[1],
    })
  ).id;
  ids.lamp = (await product({ name: "Brass lamp", description: "Warm light", category: "Lighting", tags: ["metal"], price: 3000, latitude: LYON[0], longitude: LYON[1] })).id;
  ids.chairs = (await product({ name: "Garden chairs", description: "Folding", language: "english", tags: ["outdoor"], price: 800, type: "product" })).id;
  ids.cleaning = (await product({ name: "Chair cleaning", description: "We clean your upholstery", type: "service", price: 6000 })).id;
  // Bea's draft and another platform's chair: never in Sam's or the key's default answers.
  ids.draft = (await product({ name: "Secret chair prototype", draft: true }, bearer(bea.token))).id;
  const otherSeller = await t.createUser(other, "member");
  const res = await t.request({
    method: "POST",
    url: "/v1/products",
    headers: bearer(other.apiKey),
    payload: { name: "Oak chair elsewhere", price: 100, user_id: otherSeller.id, latitude: PARIS[0], longitude: PARIS[1] },
  });
  expect(res.statusCode, res.body).toBe(201);
  ids.elsewhere = res.json().id;
});
afterAll(async () => {
  await t?.close();
});

describe("full text", () => {
  it("ranks a match in the name above one in the description, and sorts by relevance by default", async () => {
    const page = await search("search=chair");
    // Three names say chair (equal ranks: newest first), one description does.
    expect(names(page)).toEqual(["Chair cleaning", "Garden chairs", "Oak chair", "Walnut table"]);
    // A tag or the category (weight B) ranks above the description (C).
    expect(names(await search("search=sturdy%20seat%20seating")).length).toBe(1);
    await product({ name: "Stool", description: "For wood workshops" });
    expect(names(await search("search=wood"))).toEqual(["Walnut table", "Oak chair", "Stool"]);
    expect(page.meta.total).toBe(4);
    // Every word must match.
    expect(names(await search("search=oak%20chair"))).toEqual(["Oak chair"]);
    // Another order when asked.
    expect(names(await search("search=chair&sort=price"))).toEqual(["Garden chairs", "Chair cleaning", "Oak chair", "Walnut table"]);
  });

  it("stems a listing in its language: `chair` finds English `chairs`, and its category and tags are searched", async () => {
    expect(names(await search("search=chairs"))).toContain("Garden chairs");
    expect(names(await search("search=seating"))).toEqual(["Oak chair"]);
    expect(names(await search("search=metal"))).toEqual(["Brass lamp"]);
  });

  it("corrects misspelt words to the catalogue's closest words", async () => {
    expect(names(await search("search=chiar"))).toContain("Oak chair");
    expect(names(await search("search=walnutt%20tabel"))).toEqual(["Walnut table"]);
    // Too far from any word: nothing.
    expect((await search("search=xylophone")).data).toEqual([]);
    // No word at all: nothing (not the whole catalogue).
    expect((await search("search=%25%25")).data).toEqual([]);
  });

  it("a search sees what the list sees: not another platform's listings, nor someone else's draft", async () => {
    const found = (await search("search=chair&per_page=100")).data.map((p: Json) => p.id);
    expect(found).not.toContain(ids.elsewhere);
    expect(found).not.toContain(ids.draft);
    expect((await search("search=prototype", bearer(sam.token))).data).toEqual([]);
    expect(names(await search("search=prototype", bearer(bea.token)))).toEqual(["Secret chair prototype"]);
    // Another platform's key never finds Acme's chairs, even misspelt.
    const theirs = await search("search=chiar&per_page=100", bearer(other.apiKey));
    expect(names(theirs)).toEqual(["Oak chair elsewhere"]);
  });

  it("keeps an edited listing's words: a renamed listing is found by its new name", async () => {
    const res = await t.request({ method: "PATCH", url: `/v1/products/${ids.lamp}`, headers: key(), payload: { name: "Copper lantern" } });
    expect(res.statusCode, res.body).toBe(200);
    expect(names(await search("search=lantern"))).toEqual(["Copper lantern"]);
    expect(names(await search("search=lanterm"))).toEqual(["Copper lantern"]);
  });

  it("refuses sort=relevance without a search", async () => {
    const res = await t.request({ method: "GET", url: "/v1/products?sort=relevance", headers: key() });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe("sort");
  });
});

describe("facets", () => {
  it("counts the matching listings by category (with the tree's subcategories rolled up), tags, type and price band", async () => {
    const page = await search("search=chair&facets=category,tags,type,price&per_page=1");
    expect(page.data).toHaveLength(1);
    const facets = page.meta.facets;
    expect(facets.category).toEqual([
      { id: ids.furniture, name: "Furniture", parent_id: null, count: 2 },
      { id: ids.seating, name: "Seating", parent_id: ids.furniture, count: 1 },
    ]);
    expect(facets.tags).toEqual([
      { value: "wood", count: 2 },
      { value: "outdoor", count: 1 },
    ]);
    expect(facets.type).toEqual([
      { value: "product", count: 3 },
      { value: "service", count: 1 },
    ]);
    expect(facets.price).toEqual([
      { from: null, to: 1000, count: 1 },
      { from: 1000, to: 5000, count: 0 },
      { from: 5000, to: 10000, count: 1 },
      { from: 10000, to: 50000, count: 2 },
      { from: 50000, to: null, count: 0 },
    ]);
    const banded = await search("search=chair&facets=price&price_bands=10000");
    expect(banded.meta.facets).toEqual({
      price: [
        { from: null, to: 10000, count: 2 },
        { from: 10000, to: null, count: 2 },
      ],
    });
    // Free-text categories count under their text; no facets unless asked.
    expect((await search("facets=category&search=lantern")).meta.facets.category).toEqual([{ id: null, name: "Lighting", parent_id: null, count: 1 }]);
    expect((await search("search=chair")).meta.facets).toBeUndefined();
  });

  it("refuses an unknown facet and bands out of order", async () => {
    for (const [query, param] of [
      ["facets=colour", "facets"],
      ["facets=price&price_bands=500,100", "price_bands"],
      ["price_bands=100", "price_bands"],
    ] as const) {
      const res = await t.request({ method: "GET", url: `/v1/products?${query}`, headers: key() });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
  });
});

describe("facets on the listing attributes and metafields", () => {
  const material = (value: string) => ({ namespace: "specs", key: "material", type: "string", value });
  const capacity = (value: number) => ({ namespace: "specs", key: "capacity", type: "number", value });
  // Reykjavik: far from the other tests' positions.
  const REYKJAVIK = [64.1466, -21.9426] as const;
  const here = { latitude: REYKJAVIK[0], longitude: REYKJAVIK[1] };
  beforeAll(async () => {
    await product({ name: "Felt yurt", weight: 800, minQuantity: 2, onHomepage: true, metafields: [material("felt"), capacity(4)], ...here });
    await product({ name: "Canvas yurt", weight: 12000, currency: "eur", metafields: [material("canvas"), capacity(4)], ...here });
    await product(
      { name: "Small yurt", language: "english", metafields: [material("felt"), capacity(6), { namespace: "specs", key: "ready", type: "boolean", value: true }] },
      bearer(bea.token),
    );
    // Hidden from members' searches: its values are counted for the key only.
    await product({ name: "Silk yurt", visibility: "catalog", weight: 400, metafields: [material("silk")] });
    // Another platform's yurt, with the same metafield: never counted by Acme.
    const otherSeller = await t.createUser(other, "member");
    const res = await t.request({
      method: "POST",
      url: "/v1/products",
      headers: bearer(other.apiKey),
      payload: { name: "Felt yurt elsewhere", price: 100, user_id: otherSeller.id, metafields: [material("felt"), capacity(4)] },
    });
    expect(res.statusCode, res.body).toBe(201);
  });

  it("counts the matches' attributes: seller, currency, language, review state, visibility, home page, minimum quantity and weight bands", async () => {
    const page = await search("search=yurt&facets=user_id,currency,language,membersOnly,adminStatus,visibility,onHomepage,minQuantity,weight&per_page=1");
    expect(page.meta.total).toBe(4);
    expect(page.meta.facets).toEqual({
      user_id: [
        { value: sam.id, count: 3 },
        { value: bea.id, count: 1 },
      ],
      currency: [
        { value: "usd", count: 3 },
        { value: "eur", count: 1 },
      ],
      language: [
        { value: "simple", count: 3 },
        { value: "english", count: 1 },
      ],
      membersOnly: [{ value: false, count: 4 }],
      adminStatus: [{ value: "published", count: 4 }],
      visibility: [
        { value: "both", count: 3 },
        { value: "catalog", count: 1 },
      ],
      onHomepage: [
        { value: false, count: 3 },
        { value: true, count: 1 },
      ],
      minQuantity: [
        { value: 1, count: 3 },
        { value: 2, count: 1 },
      ],
      // Every band, empty ones too; the listing without a weight is in none.
      weight: [
        { from: null, to: 500, count: 1 },
        { from: 500, to: 1000, count: 1 },
        { from: 1000, to: 5000, count: 0 },
        { from: 5000, to: 20000, count: 1 },
        { from: 20000, to: null, count: 0 },
      ],
    });
    const banded = await search("search=yurt&facets=weight&weight_bands=1000");
    expect(banded.meta.facets).toEqual({
      weight: [
        { from: null, to: 1000, count: 2 },
        { from: 1000, to: null, count: 1 },
      ],
    });
  });

  it("counts a metafield's values, as their type answers them, most frequent first; listings without it are not counted", async () => {
    const page = await search("search=yurt&facets=metafields.specs.material,metafields.specs.capacity,metafields.specs.ready,metafields.specs.none");
    expect(page.meta.facets).toEqual({
      "metafields.specs.material": [
        { value: "felt", count: 2 },
        { value: "canvas", count: 1 },
        { value: "silk", count: 1 },
      ],
      "metafields.specs.capacity": [
        { value: 4, count: 2 },
        { value: 6, count: 1 },
      ],
      "metafields.specs.ready": [{ value: true, count: 1 }],
      "metafields.specs.none": [],
    });
    // Without a search (no window: every match), with the list's filters, a metafield's too.
    const filtered = await search("facets=metafields.specs.material,type&filter[metafields.specs.capacity]=4");
    expect(filtered.meta.facets).toEqual({
      "metafields.specs.material": [
        { value: "canvas", count: 1 },
        { value: "felt", count: 1 },
      ],
      type: [{ value: "product", count: 2 }],
    });
    // Within a radius (the matches read one by one): the same counts.
    const near = await search(`search=yurt&filter[near]=${REYKJAVIK.join(",")}&filter[radius_km]=1&facets=weight,metafields.specs.material`);
    expect(near.meta.facets).toEqual({
      weight: [
        { from: null, to: 500, count: 0 },
        { from: 500, to: 1000, count: 1 },
        { from: 1000, to: 5000, count: 0 },
        { from: 5000, to: 20000, count: 1 },
        { from: 20000, to: null, count: 0 },
      ],
      "metafields.specs.material": [
        { value: "canvas", count: 1 },
        { value: "felt", count: 1 },
      ],
    });
  });

  it("a member's facets count only what the member's list shows: not a catalogue-only listing's values, nor another platform's (the attack)", async () => {
    // Bea is not the silk yurt's seller: it is catalogue-only to her.
    const member = await search("search=yurt&facets=metafields.specs.material,visibility,weight", bearer(bea.token));
    expect(names(member).sort()).toEqual(["Canvas yurt", "Felt yurt", "Small yurt"]);
    expect(member.meta.facets["metafields.specs.material"]).toEqual([
      { value: "felt", count: 2 },
      { value: "canvas", count: 1 },
    ]);
    expect(member.meta.facets.visibility).toEqual([{ value: "both", count: 3 }]);
    expect(member.meta.facets.weight[0]).toEqual({ from: null, to: 500, count: 0 });
    // The other platform's key counts its own yurt only.
    const theirs = await search("search=yurt&facets=metafields.specs.material", bearer(other.apiKey));
    expect(theirs.meta.facets["metafields.specs.material"]).toEqual([{ value: "felt", count: 1 }]);
  });

  it("refuses a malformed or unknown facet, too many metafield facets, one named twice, and weight bands out of order or without the facet", async () => {
    const six = Array.from({ length: 6 }, (_, i) => `metafields.specs.k${i}`).join(",");
    for (const [query, param] of [
      ["facets=metafields.specs", "facets"],
      ["facets=metafields.specs.material.colour", "facets"],
      ["facets=metafields.sp%20ecs.material", "facets"],
      ["facets=weight,weight", "facets"],
      [`facets=${six}`, "facets"],
      ["facets=weight&weight_bands=500,100", "weight_bands"],
      ["weight_bands=100", "weight_bands"],
      ["facets=weight&weight_bands=1.5", "weight_bands"],
    ] as const) {
      const res = await t.request({ method: "GET", url: `/v1/products?${query}`, headers: key() });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.param, query).toBe(param);
    }
  });
});

describe("position and radius", () => {
  it("keeps a listing's position, validated, both coordinates or neither", async () => {
    const chair = (await t.request({ method: "GET", url: `/v1/products/${ids.oakChair}`, headers: key() })).json();
    expect(chair).toMatchObject({ latitude: PARIS[0], longitude: PARIS[1], language: "simple" });
    for (const [payload, param] of [
      [{ latitude: 91, longitude: 0 }, "latitude"],
      [{ latitude: 0, longitude: -181 }, "longitude"],
      [{ latitude: 10 }, "longitude"],
      [{ longitude: 10, latitude: null }, "latitude"],
      [{ language: "klingon" }, "language"],
    ] as const) {
      const res = await t.request({ method: "PATCH", url: `/v1/products/${ids.oakChair}`, headers: key(), payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
  });

  it("finds the listings within the radius, nearest first when asked", async () => {
    const near = `filter[near]=${PARIS.join(",")}`;
    expect(names(await search(`${near}&filter[radius_km]=5`))).toEqual(["Oak chair"]);
    expect(names(await search(`${near}&filter[radius_km]=30&sort=distance`))).toEqual(["Oak chair", "Walnut table"]);
    expect(names(await search(`${near}&filter[radius_km]=500&sort=distance`))).toEqual(["Oak chair", "Walnut table", "Copper lantern"]);
    // The default radius is 25 km; with a search too.
    expect(names(await search(`${near}&search=table`))).toEqual(["Walnut table"]);
    // Another platform's listing in Paris is never there.
    expect((await search(`${near}&per_page=100`)).data.map((p: Json) => p.id)).not.toContain(ids.elsewhere);
  });

  it("wraps across the antimeridian", async () => {
    const fiji = await product({ name: "Island hut", latitude: -17.8, longitude: 179.9 });
    const page = await search("filter[near]=-17.8,-179.9&filter[radius_km]=50");
    expect(page.data.map((p: Json) => p.id)).toEqual([fiji.id]);
  });

  it("refuses a malformed position, a radius without one, and sort=distance without one", async () => {
    for (const [query, param] of [
      ["filter[near]=north", "filter[near]"],
      ["filter[near]=95,0", "filter[near]"],
      ["filter[radius_km]=5", "filter[radius_km]"],
      ["filter[near]=1,1&filter[radius_km]=0", "filter[radius_km]"],
      ["sort=distance", "sort"],
    ] as const) {
      const res = await t.request({ method: "GET", url: `/v1/products?${encodeURI(query)}`, headers: key() });
      expect(res.statusCode, query).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
  });
});

describe("members-only listings", () => {
  it("a member without the plan does not find them; the key does", async () => {
    const plan = await product({ name: "Membership", type: "service", cycle: "monthly" });
    const settings = await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { subscriptionPlan: plan.id } });
    expect(settings.statusCode, settings.body).toBe(200);
    await product({ name: "Members chair", membersOnly: true });
    expect(names(await search("search=members%20chair", bearer(bea.token)))).toEqual([]);
    expect(names(await search("search=members%20chair&facets=type", bearer(bea.token))).length).toBe(0);
    expect((await search("search=members%20chair&facets=type", bearer(bea.token))).meta.facets.type).toEqual([]);
    expect(names(await search("search=members%20chair"))).toEqual(["Members chair"]);
  });
});

describe("visibility and publishAt", () => {
  it("a member's search leaves out catalogue-only, hidden and not yet published listings, in the page and the facets; the key finds them", async () => {
    const here = { latitude: PARIS[0], longitude: PARIS[1] };
    await product({ name: "Zebrawood desk shown", visibility: "search", ...here });
    await product({ name: "Zebrawood desk catalogue", visibility: "catalog", ...here });
    await product({ name: "Zebrawood desk hidden", visibility: "none", ...here });
    await product({ name: "Zebrawood desk soon", publishAt: "2099-01-01T00:00:00Z", ...here });
    const member = await search("search=zebrawood%20desk&facets=type", bearer(bea.token));
    expect(names(member)).toEqual(["Zebrawood desk shown"]);
    expect(member.meta.facets.type).toEqual([{ value: "product", count: 1 }]);
    // Within a radius the rows are matched without search_listings: the same rules.
    expect(names(await search(`search=zebrawood%20desk&filter[near]=${PARIS.join(",")}&filter[radius_km]=1`, bearer(bea.token)))).toEqual(["Zebrawood desk shown"]);
    expect(names(await search("search=zebrawood%20desk")).sort()).toEqual(
      ["Zebrawood desk catalogue", "Zebrawood desk hidden", "Zebrawood desk shown", "Zebrawood desk soon"].sort(),
    );
  });
});

describe("corrections never tell a hidden listing's words (the attack)", () => {
  // Each hidden listing holds a word of its own, one edit from a public listing's `velvet`. Were a
  // hidden word offered as a correction, or taken as "a word the catalogue holds", searching it
  // would find nothing instead of being corrected to `velvet`: that difference would tell it exists.
  let cy: TestUser;
  const secrets = { draft: "velvex", private: "velvez", scheduled: "velveq", archived: "velvek", rejected: "velvej", members: "velvey", elsewhere: "velveb" } as const;

  it("a member searching a hidden listing's word is answered as if it did not exist, and the candidates never hold it", async () => {
    cy = await t.createUser(acme, "member");
    await product({ name: "Velvet cushion" });
    await product({ name: `${secrets.draft} sofa`, draft: true }, bearer(bea.token));
    ids.private = (await product({ name: `${secrets.private} sofa`, visibility: "none" })).id;
    await product({ name: `${secrets.scheduled} sofa`, publishAt: "2099-01-01T00:00:00Z" });
    const archived = await product({ name: `${secrets.archived} sofa` });
    expect((await t.request({ method: "POST", url: `/v1/products/${archived.id}/archive`, headers: key() })).statusCode).toBe(200);
    const review = (on: boolean) => t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { requireListingReview: on } });
    expect((await review(true)).statusCode).toBe(200);
    const rejected = await product({ name: `${secrets.rejected} sofa` });
    const rejecting = await t.request({ method: "PUT", url: `/v1/products/${rejected.id}/reject`, headers: key(), payload: { reason: "No" } });
    expect(rejecting.statusCode, rejecting.body).toBe(200);
    expect((await review(false)).statusCode).toBe(200);
    // Members-only is gated once the platform has a plan (cy has no subscription to it).
    const plan = await product({ name: "Plan", type: "service", cycle: "monthly" });
    expect((await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: key(), payload: { subscriptionPlan: plan.id } })).statusCode).toBe(200);
    await product({ name: `${secrets.members} sofa`, membersOnly: true });
    const otherSeller = await t.createUser(other, "member");
    const res = await t.request({
      method: "POST",
      url: "/v1/products",
      headers: bearer(other.apiKey),
      payload: { name: `${secrets.elsewhere} sofa`, price: 100, user_id: otherSeller.id },
    });
    expect(res.statusCode, res.body).toBe(201);

    for (const [kind, secret] of Object.entries(secrets)) {
      expect(names(await search(`search=${secret}`, bearer(cy.token))), kind).toEqual(["Velvet cushion"]);
      const candidates = await t.db.$queryRawUnsafe<{ term: string }[]>(`SELECT term FROM search_term_candidates($1, $2::"Mode", $3, 20)`, acme.id, acme.mode, secret);
      expect(
        candidates.map((c) => c.term),
        kind,
      ).toEqual(["velvet"]);
    }
    // The key, which sees every listing, still finds a hidden one by its word as typed.
    expect(names(await search(`search=${secrets.private}`)).sort()).toEqual(["Velvet cushion", `${secrets.private} sofa`].sort());
  });

  it("a listing made public offers its words from then on, and gives them back when hidden again", async () => {
    const shown = await t.request({ method: "PATCH", url: `/v1/products/${ids.private}`, headers: key(), payload: { visibility: "both" } });
    expect(shown.statusCode, shown.body).toBe(200);
    expect(names(await search(`search=${secrets.private}`, bearer(cy.token)))).toEqual([`${secrets.private} sofa`]);
    const hidden = await t.request({ method: "PATCH", url: `/v1/products/${ids.private}`, headers: key(), payload: { visibility: "none" } });
    expect(hidden.statusCode, hidden.body).toBe(200);
    expect(names(await search(`search=${secrets.private}`, bearer(cy.token)))).toEqual(["Velvet cushion"]);
  });
});

describe(`the window: a search considers the newest ${SEARCH_WINDOW} matches`, () => {
  it("counts and facets exactly up to the window; beyond it says the total is a lower bound, and hidden listings never fill it", async () => {
    // One more listing than the window sharing a word, written straight to the table (the API would take long).
    const insert = (word: string, status: string) =>
      t.db.$executeRawUnsafe(
        `INSERT INTO products (id, platform_id, mode, user_id, name, slug, price, admin_status, created, updated)
         SELECT 'prod_${word}_' || i, $1, $2::"Mode", $3, '${word} lamp ' || i, '${word}-lamp-' || i, 100 * i, '${status}'::"ProductAdminStatus", now() - i * interval '1 second', now()
         FROM generate_series(1, ${SEARCH_WINDOW + 1}) AS i`,
        acme.id,
        acme.mode,
        sam.id,
      );
    await insert("quokka", "published");
    await insert("numbat", "draft");
    const broad = await search("search=quokka&facets=type&per_page=5");
    expect(broad.meta.total).toBe(SEARCH_WINDOW);
    expect(broad.meta.total_is_lower_bound).toBe(true);
    expect(broad.meta.facets.type).toEqual([{ value: "product", count: SEARCH_WINDOW }]);
    // Equal ranks: newest first; the oldest is outside the window.
    expect(names(broad)).toEqual(["quokka lamp 1", "quokka lamp 2", "quokka lamp 3", "quokka lamp 4", "quokka lamp 5"]);
    expect(names(await search("search=quokka&sort=price&per_page=1"))).toEqual(["quokka lamp 1"]);
    // A narrower search is exact.
    const narrow = await search(`search=quokka%20lamp%20${SEARCH_WINDOW}`);
    expect(narrow.meta.total).toBe(1);
    expect(narrow.meta.total_is_lower_bound).toBeUndefined();
    // Another seller's drafts neither fill a member's window nor tell that they are many.
    const member = await search("search=numbat", bearer(bea.token));
    expect(member.meta.total).toBe(0);
    expect(member.meta.total_is_lower_bound).toBeUndefined();
    // Their seller sees their own, in a window of their own.
    expect((await search("search=numbat&per_page=1", bearer(sam.token))).meta).toMatchObject({ total: SEARCH_WINDOW, total_is_lower_bound: true });
  });

  it("reads the same window whichever plan it takes: every match through the GIN index, or the newest listings walked", async () => {
    // search_listings walks the (platform, created) index when matches² > 5 × window × listings
    // (the planner's estimate of the matches and the table's size, here from fresh statistics),
    // else reads every match. A window of 3
    // over the 501 quokka lamps is walked; one of 400 is read through the GIN index.
    const client = new pg.Client({ connectionString: t.databaseUrl });
    await client.connect();
    try {
      await client.query("ANALYZE products");
      const explained = await client.query(`EXPLAIN (FORMAT JSON) SELECT 1 FROM products p WHERE p.search_vector @@ 'quokka'::tsquery`);
      const matches = explained.rows[0]["QUERY PLAN"][0].Plan["Plan Rows"] as number;
      const listings = (await client.query(`SELECT reltuples FROM pg_class WHERE oid = 'products'::regclass`)).rows[0].reltuples as number;
      expect(matches * matches).toBeGreaterThan(5 * 3 * listings);
      expect(matches * matches).toBeLessThanOrEqual(5 * 400 * listings);
      const window = async (limit: number) =>
        (
          await client.query<{ id: string; rank: number; more: boolean }>(
            `SELECT * FROM search_listings($1, 'test', 'quokka'::tsquery, 'quokka'::tsquery, $2, NULL, false, false, now())`,
            [acme.id, limit],
          )
        ).rows;
      const walked = await window(3);
      const read = await window(400);
      expect(walked.map((r) => r.id)).toEqual(["prod_quokka_1", "prod_quokka_2", "prod_quokka_3"]);
      expect(read.slice(0, 3)).toEqual(walked);
      expect(read).toHaveLength(400);
      expect(walked.every((r) => r.more) && read.every((r) => r.more)).toBe(true);
      // Both leave out what the caller could never be shown: another seller's drafts.
      const drafts = await client.query(`SELECT * FROM search_listings($1, 'test', 'numbat'::tsquery, 'numbat'::tsquery, 3, $2, false, false, now())`, [acme.id, bea.id]);
      expect(drafts.rows).toEqual([]);
    } finally {
      await client.end();
    }
  });
});

describe("the migration", () => {
  it("indexes the listings already there, and the trigger keeps new ones", async () => {
    const db = await createTestDatabase({ empty: true });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "search-migrations-"));
    const client = new pg.Client({ connectionString: db.url });
    try {
      const all = (await fs.readdir(MIGRATIONS_DIR, { withFileTypes: true }))
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort();
      const search = all.findIndex((name) => name.endsWith("_listing_search"));
      expect(search).toBeGreaterThan(0);
      for (const name of all.slice(0, search)) await fs.cp(path.join(MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
      await migrate({ connectionString: db.url, migrationsDir: dir });
      await client.connect();
      await client.query(`INSERT INTO platforms (id, mode, name, updated) VALUES ('plat_old', 'test', 'Old', now())`);
      await client.query(`INSERT INTO users (id, platform_id, mode, email, updated) VALUES ('user_old', 'plat_old', 'test', 'old@example.com', now())`);
      await client.query(`INSERT INTO products (id, platform_id, mode, user_id, name, slug, description, tags, price, updated)
        VALUES ('prod_old', 'plat_old', 'test', 'user_old', 'Rocking chair', 'rocking-chair', 'Old pine', ARRAY['antique'], 100, now())`);

      for (const name of all.slice(search)) await fs.cp(path.join(MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
      await migrate({ connectionString: db.url, migrationsDir: dir });
      const found = await client.query(`SELECT id FROM products WHERE search_vector @@ to_tsquery('simple', 'rocking & pine')`);
      expect(found.rows).toEqual([{ id: "prod_old" }]);
      const terms = await client.query(`SELECT term FROM search_terms WHERE platform_id = 'plat_old' ORDER BY term`);
      expect(terms.rows.map((r) => r.term)).toEqual(["antique", "chair", "rocking"]);

      await client.query(`UPDATE products SET name = 'Rocking stool' WHERE id = 'prod_old'`);
      expect((await client.query(`SELECT id FROM products WHERE search_vector @@ to_tsquery('simple', 'stool')`)).rows).toEqual([{ id: "prod_old" }]);
      expect((await client.query(`SELECT 1 FROM search_terms WHERE term = 'stool'`)).rowCount).toBe(1);
    } finally {
      await client.end().catch(() => {});
      await db.drop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
