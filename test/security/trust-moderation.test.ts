import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

/**
 * Attacks on listing moderation, each the request sequence of the attack: a member approving their
 * own listing (or anyone's), an editor or an admin of the seller's rank reviewing, a member reading,
 * finding, editing or buying another member's listing that is not published. Every refusal leaves
 * the listing as it was, and records no event.
 */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let mallory: TestUser;
let victim: TestUser;
let editor: TestUser;
let admin: TestUser;
let hidden: { id: string };
let malloryOwn: { id: string };

type Json = Record<string, any>;
const call = (headers: Record<string, string>, method: string, url: string, payload?: Json) =>
  t.request({ method: method as "GET", url: `/v1${url}`, headers, ...(payload ? { payload } : {}) });
const as = (u: TestUser) => bearer(u.token);

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  [mallory, victim, editor, admin] = await Promise.all([t.createUser(acme, "member"), t.createUser(acme, "member"), t.createUser(acme, "editor"), t.createUser(acme, "admin")]);
  expect((await call(bearer(acme.apiKey), "PUT", `/platforms/${acme.id}`, { requireListingReview: true })).statusCode).toBe(200);
  hidden = (await call(as(victim), "POST", "/products", { name: "Secret prototype", description: "unreleased", price: 9900, category: "Gadgets" })).json();
  malloryOwn = (await call(as(mallory), "POST", "/products", { name: "Fake watch", price: 100 })).json();
});
afterAll(() => t.close());

async function unchanged(id: string, status: string) {
  const row = await t.db.product.findUniqueOrThrow({ where: { id } });
  expect(row.adminStatus).toBe(status);
  const events = await t.db.event.findMany({ where: { objectId: id } });
  expect(events.map((e) => e.type).filter((type) => type === "product.approved" || type === "product.rejected")).toEqual([]);
}

describe("a member approving", () => {
  it("cannot approve their own listing, nor reject a competitor's (403 insufficient_role)", async () => {
    for (const [id, action, body] of [
      [malloryOwn.id, "approve", undefined],
      [hidden.id, "approve", undefined],
      [hidden.id, "reject", { reason: "spam" }],
    ] as const) {
      const res = await call(as(mallory), "PUT", `/products/${id}/${action}`, body);
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe("insufficient_role");
    }
    await unchanged(malloryOwn.id, "pending");
    await unchanged(hidden.id, "pending");
  });

  it("cannot publish by editing or by setting the state through the body", async () => {
    for (const body of [{ adminStatus: "published" }, { admin_status: "published" }, { rejectionReason: null }]) {
      const res = await call(as(mallory), "PATCH", `/products/${malloryOwn.id}`, body);
      expect(res.statusCode, res.body).toBe(400);
    }
    const created = await call(as(mallory), "POST", "/products", { name: "Sneaky", price: 100, adminStatus: "published" });
    expect(created.statusCode).toBe(400);
    // Submitting a pending listing again changes nothing.
    expect((await call(as(mallory), "PUT", `/products/${malloryOwn.id}/submit`)).statusCode).toBe(409);
    await unchanged(malloryOwn.id, "pending");
  });

  it("an editor is no reviewer, and an admin does not review their own listing", async () => {
    expect((await call(as(editor), "PUT", `/products/${malloryOwn.id}/approve`)).statusCode).toBe(403);
    const own = (await call(as(admin), "POST", "/products", { name: "Admin's lamp", price: 100 })).json();
    const res = await call(as(admin), "PUT", `/products/${own.id}/approve`);
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("listing_review_forbidden");
    await unchanged(own.id, "pending");
  });

  it("another platform's key or admin cannot reach the listing at all (404)", async () => {
    expect((await call(bearer(other.apiKey), "PUT", `/products/${hidden.id}/approve`)).statusCode).toBe(404);
    await unchanged(hidden.id, "pending");
  });
});

describe("a member reading another's pending listing", () => {
  it("gets 404 from every read, and finds it in no list, search, filter or category", async () => {
    for (const url of [`/products/${hidden.id}`, `/products/${hidden.id}/prices`]) {
      const res = await call(as(mallory), "GET", url);
      expect(res.statusCode, url).toBe(404);
      expect(res.body).not.toContain("Secret prototype");
    }
    for (const url of [
      "/products?search=Secret",
      "/products?filter[adminStatus]=pending,draft,rejected,published&per_page=100",
      "/products?filter[archived]=all&per_page=100",
      `/products/user/${victim.id}?filter[adminStatus]=pending`,
      "/products?filter[category]=Gadgets",
      "/products/categories",
    ]) {
      const res = await call(as(mallory), "GET", url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).not.toContain(hidden.id);
      expect(res.body, url).not.toContain('Gadgets","count');
    }
  });

  it("cannot edit, submit, delete, archive, upload to or buy it: 404, and it is unchanged", async () => {
    for (const [method, url, body] of [
      ["PATCH", `/products/${hidden.id}`, { name: "Pwned" }],
      ["PUT", `/products/${hidden.id}/submit`, undefined],
      ["DELETE", `/products/${hidden.id}`, undefined],
      ["POST", `/products/${hidden.id}/archive`, undefined],
      ["PUT", `/products/${hidden.id}/images`, { contentType: "image/png" }],
      ["POST", "/products", { name: "Variant", price: 1, parent_product_id: hidden.id }],
      ["POST", `/carts/auth/product/${hidden.id}`, { quantity: 1 }],
      ["POST", "/contracts", { buyers: [{ user_id: mallory.id }], items: [{ product_id: hidden.id, quantity: 1 }] }],
    ] as const) {
      const res = await call(as(mallory), method, url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(404);
    }
    const row = await t.db.product.findUniqueOrThrow({ where: { id: hidden.id } });
    expect(row).toMatchObject({ name: "Secret prototype", adminStatus: "pending", archived: null });
  });
});
