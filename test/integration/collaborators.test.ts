import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, openSession, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";
import { PERMISSION_FLAGS, redact, type PermissionFlag } from "../../src/modules/collaborators/index.js";

/**
 * Collaborators (docs/api/collaborators.md): the routes, the invite on a real SMTP server, the ranks
 * that manage them, each view permission shown and hidden, and a collaborator's attempts to write.
 * The sweep of every route a collaborator reads is test/security/collaborators.test.ts.
 */

let t: TestContext;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let platform: TestPlatform;
let other: TestPlatform;
let owner: TestUser;
let admin: TestUser;
let seller: TestUser;
let buyer: TestUser;
let productId: string;
let contractId: string;
let otherContractId: string;
const key = () => bearer(platform.apiKey);
let n = 0;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  platform = await t.createPlatform({ name: "Collab Market" });
  other = await t.createPlatform({ name: "Other Market" });
  owner = await t.createUser(platform, "owner");
  admin = await t.createUser(platform, "admin");
  seller = await t.createUser(platform, "editor");
  buyer = await t.createUser(platform, "member");
  await t.request({ method: "PUT", url: `/v1/users/${buyer.id}`, headers: key(), payload: { name: "Zelda Hiddenname" } });
  const product = await t.request({ method: "POST", url: "/v1/products", headers: key(), payload: { name: "Oak chair", price: 98_765, quantity: 4_321, user_id: seller.id } });
  productId = product.json().id;
  const contract = await t.request({
    method: "POST",
    url: "/v1/contracts",
    headers: key(),
    payload: { items: [{ product_id: productId, quantity: 3 }], buyers: [{ user_id: buyer.id }], includeStripeFees: true },
  });
  expect(contract.statusCode, contract.body).toBe(201);
  contractId = contract.json().id;
  const otherBuyer = await t.createUser(other, "member");
  const otherContract = await t.request({
    method: "POST",
    url: "/v1/contracts",
    headers: bearer(other.apiKey),
    payload: { items: [{ user_id: otherBuyer.id, price: 1000, description: "x" }], buyers: [{ user_id: otherBuyer.id }] },
  });
  otherContractId = otherContract.json().id;
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

async function createCollaborator(headers: Record<string, string>, extra: Record<string, unknown> = {}) {
  n += 1;
  return t.request({
    method: "POST",
    url: "/v1/collaborators",
    headers,
    payload: { first_name: "Cole", last_name: `Hart${n}`, account_name: `Hart Studio ${n}`, email: `cole${n}@example.com`, ...extra },
  });
}

/** A session of the collaborator's user, as signing in makes. */
async function tokenOf(collaborator: { user_id: string }, on: TestPlatform = platform): Promise<Record<string, string>> {
  const sessionId = await openSession(t.db, { id: collaborator.user_id, platformId: on.id, mode: on.mode });
  return bearer(t.app.services.tokens.signAccess({ userId: collaborator.user_id, platformId: on.id, mode: on.mode, role: "collaborator", sessionId }).token);
}

describe("creating a collaborator", () => {
  it("answers it with every permission false unless sent, invites its user by email, and the invite's user signs in as a collaborator", async () => {
    const res = await createCollaborator({ ...key(), "idempotency-key": "collab-create-1" }, { see_product_price: true, currency: "AUD" });
    expect(res.statusCode, res.body).toBe(201);
    const c = res.json();
    expect(c.id).toMatch(/^collab_[0-9a-f]{32}$/);
    expect(c).toMatchObject({ currency: "aud", payout_measurement: "month_day", payout_frequency: -1, managed_by: "owner", account: { is_managed: false } });
    expect(c.permissions).toEqual({ ...Object.fromEntries(PERMISSION_FLAGS.map((f) => [f, false])), see_product_price: true });
    // A retry with the same key is the first answer, not a second collaborator.
    const again = await t.request({
      method: "POST",
      url: "/v1/collaborators",
      headers: { ...key(), "idempotency-key": "collab-create-1" },
      payload: { first_name: "Cole", last_name: c.last_name, account_name: c.account.name, email: c.email, see_product_price: true, currency: "AUD" },
    });
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.json().id).toBe(c.id);

    const invite = await smtp.waitFor(c.email, (m) => m.subject.includes("invited"));
    expect(invite.subject).toBe("You are invited to Collab Market as a collaborator");
    const body = invite.raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
    expect(body).toContain(`/console?platform=${platform.id}&email=${encodeURIComponent(c.email)}`);

    const asked = await t.request({ method: "POST", url: "/v1/auth/otp/email", headers: { api_key: platform.apiKey, mode: "test" }, payload: { email: c.email } });
    expect(asked.statusCode, asked.body).toBe(200);
    const code = codeOf(await smtp.waitFor(c.email, (m) => / sign-in code$/.test(m.subject)));
    const session = await t.request({ method: "POST", url: "/v1/auth/otp/verify", headers: { api_key: platform.apiKey, mode: "test" }, payload: { email: c.email, token: code } });
    expect(session.statusCode, session.body).toBe(200);
    expect(session.json().user).toMatchObject({ id: c.user_id, role: "collaborator" });
    const own = await t.request({ method: "GET", url: "/v1/collaborators/auth", headers: bearer(session.json().token) });
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject({ id: c.id, permissions: { see_product_price: true, see_product_cost: false } });

    const events = await t.request({ method: "GET", url: `/v1/events?filter[type]=collaborator.created`, headers: key() });
    expect(events.json().data.map((e: { data: { object: { id: string } } }) => e.data.object.id)).toContain(c.id);
  });

  it("a managed account has no user and no invite; an email already a user's is refused; bad payout settings are 400", async () => {
    const managed = await t.request({
      method: "POST",
      url: "/v1/collaborators",
      headers: key(),
      payload: { account_name: "Books only", is_managed: true, paypal_email: "pay@example.com" },
    });
    expect(managed.statusCode, managed.body).toBe(201);
    expect(managed.json()).toMatchObject({ user_id: null, email: null, account: { name: "Books only", paypal_email: "pay@example.com", is_managed: true } });
    const renamed = await t.request({ method: "PUT", url: `/v1/collaborators/${managed.json().id}`, headers: key(), payload: { account_name: "Books" } });
    expect(renamed.json().account.name).toBe("Books");

    const taken = await createCollaborator(key(), { email: buyer.email });
    expect(taken.statusCode, taken.body).toBe(409);
    expect(taken.json().error).toMatchObject({ code: "email_taken", param: "email" });
    const missing = await t.request({ method: "POST", url: "/v1/collaborators", headers: key(), payload: { account_name: "No email" } });
    expect(missing.statusCode).toBe(400);
    const badDay = await createCollaborator(key(), { payout_measurement: "month_day", payout_frequency: 30 });
    expect(badDay.statusCode).toBe(400);
    expect(badDay.json().error.param).toBe("payout_frequency");
  });

  it("lists with { data, meta } and search, retrieves, updates only what is sent, and deletes (its user can no longer sign in)", async () => {
    const c = (await createCollaborator(key(), { account_name: "Findable Goods" })).json();
    const list = await t.request({ method: "GET", url: "/v1/collaborators?search=findable", headers: key() });
    expect(list.json().data.map((x: { id: string }) => x.id)).toEqual([c.id]);
    expect(list.json().meta).toMatchObject({ total: 1, current_page: 1 });
    const updated = await t.request({ method: "PATCH", url: `/v1/collaborators/${c.id}`, headers: key(), payload: { see_customer_name: true, payout_threshold: 1500 } });
    expect(updated.json()).toMatchObject({ payout_threshold: 1500, permissions: { see_customer_name: true, see_product_price: false } });
    const notManaged = await t.request({ method: "PUT", url: `/v1/collaborators/${c.id}`, headers: key(), payload: { paypal_email: "x@example.com" } });
    expect(notManaged.statusCode).toBe(422);
    expect(notManaged.json().error.code).toBe("collaborator_not_managed");

    const headers = await tokenOf(c);
    expect((await t.request({ method: "GET", url: "/v1/products", headers })).statusCode).toBe(200);
    const gone = await t.request({ method: "DELETE", url: `/v1/collaborators/${c.id}`, headers: { ...key(), "content-type": "application/json" } });
    expect(gone.statusCode, gone.body).toBe(200);
    expect((await t.request({ method: "GET", url: `/v1/collaborators/${c.id}`, headers: key() })).statusCode).toBe(404);
    const after = await t.request({ method: "GET", url: "/v1/products", headers });
    expect(after.statusCode).toBe(403);
    expect(after.json().error.code).toBe("user_suspended");
    // Invited again: the same user comes back.
    const back = await createCollaborator(key(), { email: c.email });
    expect(back.statusCode, back.body).toBe(201);
    expect(back.json().user_id).toBe(c.user_id);
  });
});

describe("who manages collaborators", () => {
  it("members and editors may not; an admin manages what an admin made, not what an owner or the key made", async () => {
    for (const role of ["member", "editor"] as const) {
      const user = await t.createUser(platform, role);
      const res = await createCollaborator(bearer(user.token));
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("insufficient_role");
    }
    const byOwner = (await createCollaborator(bearer(owner.token))).json();
    const byAdmin = (await createCollaborator(bearer(admin.token))).json();
    expect([byOwner.managed_by, byAdmin.managed_by]).toEqual(["owner", "admin"]);
    const widen = await t.request({ method: "PUT", url: `/v1/collaborators/${byOwner.id}`, headers: bearer(admin.token), payload: { see_customer_email: true } });
    expect(widen.statusCode).toBe(403);
    expect(widen.json().error.code).toBe("collaborator_managed_above");
    const remove = await t.request({ method: "DELETE", url: `/v1/collaborators/${byOwner.id}`, headers: bearer(admin.token) });
    expect(remove.statusCode).toBe(403);
    expect((await t.request({ method: "PUT", url: `/v1/collaborators/${byAdmin.id}`, headers: bearer(admin.token), payload: { see_customer_email: true } })).statusCode).toBe(200);
    expect((await t.request({ method: "PUT", url: `/v1/collaborators/${byOwner.id}`, headers: bearer(owner.token), payload: { see_customer_email: true } })).statusCode).toBe(200);
    // Its role never changes through the users routes: a promotion would leave a reader with write rights.
    const promote = await t.request({ method: "PUT", url: `/v1/users/${byOwner.user_id}`, headers: key(), payload: { role: "member" } });
    expect(promote.statusCode).toBe(409);
    expect(promote.json().error.code).toBe("collaborator_role_managed");
    // Another platform's key does not see it.
    expect((await t.request({ method: "GET", url: `/v1/collaborators/${byOwner.id}`, headers: bearer(other.apiKey) })).statusCode).toBe(404);
  });
});

describe("a collaborator's attempts", () => {
  it("writes nothing (not even its own permissions), reads nothing it is not given, and never another platform's", async () => {
    const c = (await createCollaborator(key(), Object.fromEntries(PERMISSION_FLAGS.map((f) => [f, true])))).json();
    const headers = await tokenOf(c);
    const json = { ...headers, "content-type": "application/json" };
    const attempts: [string, string, unknown?][] = [
      ["PUT", `/v1/collaborators/${c.id}`, { see_customer_email: true }],
      ["POST", "/v1/collaborators", { account_name: "Mine", is_managed: true }],
      ["POST", "/v1/products", { name: "Mine", price: 1 }],
      ["PUT", `/v1/products/${productId}`, { price: 1 }],
      ["PUT", "/v1/users/auth", { name: "Boss" }],
      ["PUT", `/v1/users/${c.user_id}`, { role: "owner" }],
      ["POST", `/v1/carts/auth/product/${productId}`, { quantity: 1 }],
      ["POST", `/v1/contracts/${contractId}/send`],
      ["PUT", `/v1/contracts/${contractId}/settle`],
      ["POST", `/v1/platforms/${platform.id}/keys`, { name: "mine" }],
      ["GET", "/v1/users"],
      ["GET", `/v1/users/${buyer.id}`],
      ["GET", "/v1/carts"],
      ["GET", "/v1/transactions"],
      ["GET", "/v1/transactions/volume"],
      ["GET", "/v1/events"],
      ["GET", "/v1/webhooks"],
      ["GET", `/v1/users/${seller.id}/statement`],
      ["GET", "/v1/collaborators"],
    ];
    for (const [method, url, payload] of attempts) {
      const res = await t.request({ method: method as "GET", url, headers: payload ? json : headers, payload: payload as never });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(403);
      expect(res.json().error.code, `${method} ${url}`).toBe("collaborator_read_only");
    }
    expect((await t.request({ method: "GET", url: `/v1/collaborators/${c.id}`, headers: key() })).json().permissions.see_customer_email).toBe(true);
    // Another platform's order is not there for it.
    expect((await t.request({ method: "GET", url: `/v1/contracts/${otherContractId}`, headers })).statusCode).toBe(404);
    // Signing out is the one write it makes.
    expect((await t.request({ method: "POST", url: "/v1/auth/session/revoke", headers })).statusCode).toBeLessThan(300);
  });
});

describe("each view permission", () => {
  type Check = { url: () => string; read: (body: Record<string, any>) => unknown };
  const product: (read: Check["read"]) => Check = (read) => ({ url: () => `/v1/products/${productId}`, read });
  const contract: (read: Check["read"]) => Check = (read) => ({ url: () => `/v1/contracts/${contractId}`, read });
  const stripeFee = (b: Record<string, any>) => (b.fees as { type: string }[] | undefined)?.find((f) => f.type.startsWith("stripe:"));
  // What each flag shows, on a real answer; `with` grants the flags the field also needs.
  const CHECKS: Partial<Record<PermissionFlag, { checks: Check[]; with?: PermissionFlag[] }>> = {
    see_product_price: { checks: [product((b) => b.price), contract((b) => b.total), contract((b) => b.items[0].price), contract((b) => b.buyers[0].amountDue)] },
    see_product_cost: { checks: [contract((b) => b.sellers[0].amountOwed), contract((b) => b.fees)] },
    see_product_stock: { checks: [product((b) => b.quantity), product((b) => b.isAvailableInStock)] },
    see_product_quantity: { checks: [contract((b) => b.items[0].quantity)] },
    see_product_discount: { checks: [product((b) => b.useSeasonalPrices)] },
    see_customer_name: { checks: [contract((b) => b.buyers[0].name)] },
    see_customer_email: { checks: [contract((b) => b.buyers[0].email)] },
    see_order_status: { checks: [contract((b) => b.status), contract((b) => b.buyers[0].amountPaid)], with: ["see_product_price"] },
    see_order_payment_gateway: { checks: [contract(stripeFee), contract((b) => b.includeStripeFees)], with: ["see_product_cost"] },
  };

  let collaborator: { id: string; user_id: string };
  let headers: Record<string, string>;
  beforeAll(async () => {
    collaborator = (await createCollaborator(key())).json();
    headers = await tokenOf(collaborator);
  });
  const grant = async (flags: PermissionFlag[]) => {
    const payload = Object.fromEntries(PERMISSION_FLAGS.map((f) => [f, flags.includes(f)]));
    const res = await t.request({ method: "PUT", url: `/v1/collaborators/${collaborator.id}`, headers: key(), payload });
    expect(res.statusCode, res.body).toBe(200);
  };

  for (const [flag, { checks, with: also = [] }] of Object.entries(CHECKS) as [PermissionFlag, { checks: Check[]; with?: PermissionFlag[] }][]) {
    it(`${flag}: true shows it, false hides it`, async () => {
      await grant([flag, ...also]);
      for (const check of checks) {
        const res = await t.request({ method: "GET", url: check.url(), headers });
        expect(res.statusCode, res.body).toBe(200);
        expect(check.read(res.json()), `${flag} granted: ${res.body}`).toBeDefined();
      }
      await grant(also);
      for (const check of checks) {
        const res = await t.request({ method: "GET", url: check.url(), headers });
        expect(check.read(res.json()), `${flag} not granted: ${res.body}`).toBeUndefined();
      }
    });
  }

  it("the buyer's name and email are nowhere in an answer that hides them, and the key still reads everything", async () => {
    await grant([]);
    const list = await t.request({ method: "GET", url: "/v1/contracts", headers });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain("Zelda Hiddenname");
    expect(list.body).not.toContain(buyer.email);
    const full = (await t.request({ method: "GET", url: `/v1/contracts/${contractId}`, headers: key() })).json();
    expect(full.buyers[0]).toMatchObject({ name: "Zelda Hiddenname", email: buyer.email });
  });

  it("sorting or filtering by a hidden field is refused; granted, it is answered", async () => {
    await grant([]);
    for (const url of [
      "/v1/products?sort=-price",
      "/v1/products?filter[price][gte]=100",
      "/v1/products?facets=price",
      "/v1/contracts?filter[status]=draft",
      "/v1/contracts?metadata=true",
    ]) {
      const res = await t.request({ method: "GET", url, headers });
      expect(res.statusCode, `${url}: ${res.body}`).toBe(403);
      expect(res.json().error.code).toBe("collaborator_field_hidden");
    }
    await grant(["see_product_price", "see_order_status"]);
    for (const url of ["/v1/products?sort=-price", "/v1/contracts?filter[status]=draft"]) {
      expect((await t.request({ method: "GET", url, headers })).statusCode, url).toBe(200);
    }
  });

  it("tax, discounts, addresses and gateway ids are hidden by their names wherever they appear (no route answers them to a collaborator today)", () => {
    const answer = () => ({
      id: "inv_0123456789abcdef0123456789abcdef",
      tax: 10,
      taxRate: 5,
      discount: 3,
      shipping_address: { line1: "1 Road" },
      billingAddress: { line1: "2 Road" },
      stripePaymentIntentId: "pi_1",
      buyers: [{ id: "buyer_0123456789abcdef0123456789abcdef", address: { city: "Paris" } }],
    });
    const none = Object.fromEntries(PERMISSION_FLAGS.map((f) => [f, false]));
    expect(redact(answer(), none, null)).toEqual({ id: "inv_0123456789abcdef0123456789abcdef", buyers: [{ id: "buyer_0123456789abcdef0123456789abcdef" }] });
    const pairs: [PermissionFlag, string[]][] = [
      ["see_product_tax", ["tax", "taxRate"]],
      ["see_product_discount", ["discount"]],
      ["see_order_shipping_address", ["shipping_address"]],
      ["see_order_billing_address", ["billingAddress"]],
      ["see_order_payment_gateway", ["stripePaymentIntentId"]],
    ];
    for (const [flag, fields] of pairs) {
      const shown = redact(answer(), { ...none, [flag]: true }, null) as Record<string, unknown>;
      for (const field of fields) expect(shown[field], `${flag} shows ${field}`).toBeDefined();
    }
    expect((redact(answer(), { ...none, see_order_billing_address: true }, null) as { buyers: { address?: unknown }[] }).buyers[0]!.address).toEqual({ city: "Paris" });
  });
});
