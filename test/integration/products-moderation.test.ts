import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, onboardSeller } from "../helpers/contracts.js";
import { startSmtpServer } from "../helpers/smtp.js";

/**
 * Listing moderation (docs/api/products.md#moderation): the platform's `requireListingReview`,
 * `adminStatus` and its transitions, who sees a listing that is not published, the events and the
 * seller's emails (a real SMTP server, the job worker on).
 */

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let owner: TestUser;
let admin: TestUser;
let editor: TestUser;
let seller: TestUser;
let buyer: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme", url: "https://acme.example" });
  [owner, admin, editor, seller, buyer] = await Promise.all([
    t.createUser(acme, "owner"),
    t.createUser(acme, "admin"),
    t.createUser(acme, "editor"),
    t.createUser(acme, "member"),
    t.createUser(acme, "member"),
  ]);
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

type Json = Record<string, any>;
const key = () => bearer(acme.apiKey);
const as = (u: TestUser) => bearer(u.token);
const call = (headers: Record<string, string>, method: string, url: string, payload?: Json) =>
  t.request({ method: method as "GET", url: `/v1${url}`, headers, ...(payload ? { payload } : {}) });

async function listing(payload: Json = {}, headers = as(seller)): Promise<Json> {
  const res = await call(headers, "POST", "/products", { name: "Clay mug", price: 2500, category: "Pottery", ...payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
async function setReview(on: boolean) {
  const res = await call(key(), "PUT", `/platforms/${acme.id}`, { requireListingReview: on });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.json().requireListingReview).toBe(on);
}
const ids = (res: { json(): Json }) => (res.json().data as Json[]).map((p) => p.id);
async function eventTypes(objectId: string): Promise<string[]> {
  const res = await call(key(), "GET", `/events?filter[object_id]=${objectId}&per_page=100`);
  return (res.json().data as Json[]).map((e) => e.type).reverse();
}
/** A received message's text, quoted-printable decoded (soft breaks joined, =XX bytes back). */
const text = (raw: string) =>
  Buffer.from(
    raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");

function failed(res: { statusCode: number; body: string; json(): Json }, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json().error.code).toBe(code);
  return res.json().error as Json;
}

describe("with review off (the default)", () => {
  it("publishes a new listing at once, as before; a draft waits for its seller", async () => {
    expect((await call(key(), "GET", "/platforms")).json().requireListingReview).toBe(false);
    const live = await listing();
    expect(live).toMatchObject({ adminStatus: "published", rejectionReason: null });
    expect(await eventTypes(live.id)).toEqual(["product.created"]);

    const draft = await listing({ name: "Unfinished vase", draft: true });
    expect(draft.adminStatus).toBe("draft");
    failed(await call(as(buyer), "GET", `/products/${draft.id}`), 404, "resource_missing");
    expect((await call(as(seller), "GET", `/products/${draft.id}`)).statusCode).toBe(200);

    // Submitting with review off publishes it.
    const submitted = await call(as(seller), "PUT", `/products/${draft.id}/submit`);
    expect(submitted.statusCode, submitted.body).toBe(200);
    expect(submitted.json().adminStatus).toBe("published");
    expect(await eventTypes(draft.id)).toEqual(["product.created", "product.submitted"]);
    expect((await call(as(buyer), "GET", `/products/${draft.id}`)).statusCode).toBe(200);
  });

  it("takes the setting from the key or an owner only", async () => {
    failed(await call(as(admin), "PUT", `/platforms/${acme.id}`, { requireListingReview: true }), 403, "insufficient_role");
    const res = await call(as(owner), "PUT", `/platforms/${acme.id}`, { requireListingReview: false });
    expect(res.statusCode, res.body).toBe(200);
  });
});

describe("with review on", () => {
  let pending: Json;

  beforeAll(() => setReview(true));

  it("a new listing is pending review (product.created, product.submitted); a draft stays a draft", async () => {
    pending = await listing({ name: "Glazed bowl", category: "Ceramics" });
    expect(pending.adminStatus).toBe("pending");
    expect(await eventTypes(pending.id)).toEqual(["product.created", "product.submitted"]);
    expect((await listing({ draft: true })).adminStatus).toBe("draft");
  });

  it("members other than the seller never see it: retrieve, prices, lists, categories, seller page", async () => {
    failed(await call(as(buyer), "GET", `/products/${pending.id}`), 404, "resource_missing");
    failed(await call(as(buyer), "GET", `/products/${pending.id}/prices`), 404, "resource_missing");
    expect(ids(await call(as(buyer), "GET", "/products?per_page=100"))).not.toContain(pending.id);
    expect(ids(await call(as(buyer), "GET", `/products/user/${seller.id}?per_page=100`))).not.toContain(pending.id);
    // Asking for pending listings shows a member only their own.
    expect(ids(await call(as(buyer), "GET", "/products?filter[adminStatus]=pending"))).toEqual([]);
    const categories = (await call(as(buyer), "GET", "/products/categories")).json().data as Json[];
    expect(categories.map((c) => c.category)).not.toContain("Ceramics");
    // An editor manages products but does not review them: not published, not theirs, not seen.
    failed(await call(as(editor), "GET", `/products/${pending.id}`), 404, "resource_missing");
    failed(await call(as(editor), "PATCH", `/products/${pending.id}`, { quantity: 3 }), 404, "resource_missing");
  });

  it("its seller and the reviewers see it; reviewers list every state with filter[adminStatus]", async () => {
    expect((await call(as(seller), "GET", `/products/${pending.id}`)).json().adminStatus).toBe("pending");
    expect(ids(await call(as(seller), "GET", "/products?per_page=100"))).toContain(pending.id);
    expect(ids(await call(as(seller), "GET", "/products?filter[adminStatus]=pending&per_page=100"))).toContain(pending.id);
    expect((await call(as(admin), "GET", `/products/${pending.id}`)).statusCode).toBe(200);
    // By default a reviewer's catalogue is the members' one; the filter opens the queue.
    expect(ids(await call(key(), "GET", "/products?per_page=100"))).not.toContain(pending.id);
    const queue = await call(key(), "GET", "/products?filter[adminStatus]=pending&per_page=100");
    expect(ids(queue)).toContain(pending.id);
    expect((queue.json().data as Json[]).every((p) => p.adminStatus === "pending")).toBe(true);
    const both = await call(as(admin), "GET", "/products?filter[adminStatus]=pending,published&per_page=100");
    expect(new Set((both.json().data as Json[]).map((p) => p.adminStatus))).toEqual(new Set(["pending", "published"]));
    failed(await call(key(), "GET", "/products?filter[adminStatus]=live"), 400, "parameter_invalid");
  });

  it("cannot be bought: a member's cart 404, a contract of the key 409 product_not_published", async () => {
    failed(await call(as(buyer), "POST", `/carts/auth/product/${pending.id}`, { quantity: 1 }), 404, "resource_missing");
    failed(await call(as(buyer), "POST", "/contracts", { buyers: [{ user_id: buyer.id }], items: [{ product_id: pending.id, quantity: 1 }] }), 404, "resource_missing");
    const error = failed(
      await call(key(), "POST", "/contracts", { user_id: owner.id, buyers: [{ user_id: buyer.id }], items: [{ product_id: pending.id, quantity: 1 }] }),
      409,
      "product_not_published",
    );
    expect(error.message).toContain("pending");
  });

  it("approval is a reviewer's: members and editors 403, the seller's own never", async () => {
    failed(await call(as(seller), "PUT", `/products/${pending.id}/approve`), 403, "insufficient_role");
    failed(await call(as(editor), "PUT", `/products/${pending.id}/approve`), 403, "insufficient_role");
    // An admin does not review their own listing, nor one of an owner; an owner reviews an admin's.
    const admins = await listing({ name: "Admin's jug" }, as(admin));
    failed(await call(as(admin), "PUT", `/products/${admins.id}/approve`), 403, "listing_review_forbidden");
    const owners = await listing({ name: "Owner's plate" }, as(owner));
    failed(await call(as(admin), "PUT", `/products/${owners.id}/reject`, { reason: "no" }), 403, "listing_review_forbidden");
    expect((await call(as(owner), "PUT", `/products/${admins.id}/approve`)).json().adminStatus).toBe("published");
    expect((await call(key(), "PUT", `/products/${owners.id}/approve`)).json().adminStatus).toBe("published");
  });

  it("an admin approves it: published, product.approved, the seller emailed; approving again is 409 naming the state", async () => {
    const res = await call(as(admin), "PUT", `/products/${pending.id}/approve`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ adminStatus: "published", rejectionReason: null });
    expect((await eventTypes(pending.id)).at(-1)).toBe("product.approved");
    const email = await smtp.waitFor(seller.email, (m) => text(m.raw).includes(pending.id));
    expect(text(email.raw)).toContain("was approved");
    expect((await call(as(buyer), "GET", `/products/${pending.id}`)).statusCode).toBe(200);
    expect(ids(await call(as(buyer), "GET", "/products?per_page=100"))).toContain(pending.id);
    const again = failed(await call(as(admin), "PUT", `/products/${pending.id}/approve`), 409, "listing_status_conflict");
    expect(again.message).toContain("published");
  });

  it("rejects with a reason (400 without), the seller is emailed it; a draft is 409; resubmitted, the reason is cleared", async () => {
    const mug = await listing({ name: "Chipped mug" });
    failed(await call(as(admin), "PUT", `/products/${mug.id}/reject`, {}), 400, "parameter_missing");
    const res = await call(as(admin), "PUT", `/products/${mug.id}/reject`, { reason: "The photo shows another mug." });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ adminStatus: "rejected", rejectionReason: "The photo shows another mug." });
    const email = await smtp.waitFor(seller.email, (m) => text(m.raw).includes(mug.id));
    expect(text(email.raw)).toContain("was not approved");
    expect(text(email.raw)).toContain("The photo shows another mug.");
    failed(await call(as(buyer), "GET", `/products/${mug.id}`), 404, "resource_missing");
    expect(failed(await call(as(admin), "PUT", `/products/${mug.id}/approve`), 409, "listing_status_conflict").message).toContain("rejected");

    const resubmitted = await call(as(seller), "PUT", `/products/${mug.id}/submit`);
    expect(resubmitted.json()).toMatchObject({ adminStatus: "pending", rejectionReason: null });
    expect(failed(await call(as(seller), "PUT", `/products/${mug.id}/submit`), 409, "listing_status_conflict").message).toContain("pending");
    expect(await eventTypes(mug.id)).toEqual(["product.created", "product.submitted", "product.rejected", "product.submitted"]);

    const draft = await listing({ draft: true });
    expect(failed(await call(as(admin), "PUT", `/products/${draft.id}/reject`, { reason: "x" }), 409, "listing_status_conflict").message).toContain("draft");
    // Another member cannot submit someone else's draft: they do not even see it.
    failed(await call(as(buyer), "PUT", `/products/${draft.id}/submit`), 404, "resource_missing");
  });

  it("a published listing's content edited by its seller goes back to review; stock, or a reviewer's edit, does not", async () => {
    const bowl = await listing({ name: "Serving bowl", quantity: 5 });
    await call(key(), "PUT", `/products/${bowl.id}/approve`);
    const stock = await call(as(seller), "PATCH", `/products/${bowl.id}`, { quantity: 9, name: "Serving bowl" });
    expect(stock.json()).toMatchObject({ quantity: 9, adminStatus: "published" });
    const edited = await call(as(seller), "PATCH", `/products/${bowl.id}`, { description: "Now with a lid" });
    expect(edited.json().adminStatus).toBe("pending");
    expect((await eventTypes(bowl.id)).slice(-2)).toEqual(["product.updated", "product.submitted"]);
    await call(key(), "PUT", `/products/${bowl.id}/approve`);
    const byAdmin = await call(as(admin), "PATCH", `/products/${bowl.id}`, { name: "Large serving bowl" });
    expect(byAdmin.json()).toMatchObject({ name: "Large serving bowl", adminStatus: "published" });
    // A reviewer takes a published listing down with a reason.
    const down = await call(as(admin), "PUT", `/products/${bowl.id}/reject`, { reason: "Counterfeit" });
    expect(down.json()).toMatchObject({ adminStatus: "rejected", rejectionReason: "Counterfeit" });
  });

  it("a parent's variants move with it, each with its event; a variant of a pending parent cannot be bought", async () => {
    const parent = await listing({ name: "Teapot" });
    const variant = await listing({ name: "Teapot, blue", parent_product_id: parent.id });
    expect(variant.adminStatus).toBe("pending");
    // The seller sees the variant under the parent; a member sees neither.
    expect((await call(as(seller), "GET", `/products/${parent.id}`)).json().variants.map((v: Json) => v.id)).toEqual([variant.id]);
    failed(await call(as(buyer), "POST", `/carts/auth/product/${parent.id}`, { variant: variant.id, quantity: 1 }), 404, "resource_missing");
    const approved = await call(as(admin), "PUT", `/products/${parent.id}/approve`);
    expect(approved.json().variants.map((v: Json) => v.adminStatus)).toEqual(["published"]);
    expect((await eventTypes(variant.id)).at(-1)).toBe("product.approved");
    expect((await call(as(buyer), "GET", `/products/${parent.id}`)).json().variants).toHaveLength(1);
  });

  it("a listing sent back to review leaves carts unavailable and is refused at checkout (409)", async () => {
    await Promise.all([addCard(t, acme, buyer.id), onboardSeller(t, acme, seller.id)]);
    const cup = await listing({ name: "Tea cup" });
    await call(key(), "PUT", `/products/${cup.id}/approve`);
    const added = await call(as(buyer), "POST", `/carts/auth/product/${cup.id}`, { quantity: 1 });
    expect(added.statusCode, added.body).toBe(200);
    await call(as(seller), "PATCH", `/products/${cup.id}`, { name: "Tea cup, glazed" });
    const cart = (await call(as(buyer), "GET", "/carts/auth")).json();
    expect(cart.items.find((i: Json) => i.product_id === cup.id).isAvailable).toBe(false);
    failed(await call(as(buyer), "POST", `/contracts/cart/${cart.id}`), 409, "product_not_published");
  });

  it("turning review off leaves pending listings pending; new ones are published again", async () => {
    const waiting = await listing({ name: "Waiting plate" });
    await setReview(false);
    expect((await call(as(seller), "GET", `/products/${waiting.id}`)).json().adminStatus).toBe("pending");
    expect((await listing({ name: "Quick plate" })).adminStatus).toBe("published");
  });
});

describe("filter[archived]=all", () => {
  it("lists archived and active listings together", async () => {
    const shop = await t.createUser(acme, "member");
    const [a, b] = [await listing({ name: "Old lamp" }, as(shop)), await listing({ name: "New lamp" }, as(shop))];
    await call(as(shop), "POST", `/products/${a.id}/archive`);
    const list = (query: string) => call(as(buyer), "GET", `/products/user/${shop.id}?sort=name${query}`).then(ids);
    expect(await list("")).toEqual([b.id]);
    expect(await list("&filter[archived]=true")).toEqual([a.id]);
    expect(await list("&filter[archived]=all")).toEqual([b.id, a.id]);
    failed(await call(key(), "GET", "/products?filter[archived]=both"), 400, "parameter_invalid");
  });
});
