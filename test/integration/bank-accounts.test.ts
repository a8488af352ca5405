import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

/** Sellers' bank accounts (Stripe Connect onboarding), driven through the offline simulator and its onboarding page. */

let t: TestContext;
let acme: TestPlatform;
let bare: TestPlatform;
let other: TestPlatform;
let admin: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme", url: "https://acme.test/settings" });
  bare = await t.createPlatform({ name: "No URL" });
  other = await t.createPlatform({ name: "Other", url: "https://other.test" });
  admin = await t.createUser(acme, "admin");
  stranger = await t.createUser(other, "member");
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);

function connect(user: TestUser, payload?: Record<string, unknown>) {
  return t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(user.token), payload });
}

function status(user: TestUser) {
  return t.request({ method: "GET", url: "/v1/users/auth/bank_account", headers: bearer(user.token) });
}

/** Follows an onboarding link the way a browser would; answers where it sends the user. */
async function onboard(link: string): Promise<string> {
  const url = new URL(link);
  expect(url.origin).toBe(t.config.publicUrl);
  const res = await t.request({ method: "GET", url: `${url.pathname}${url.search}` });
  expect(res.statusCode).toBe(302);
  return String(res.headers.location);
}

describe("POST /v1/users/auth/bank_account", () => {
  it("creates a Connect account and answers the user with an onboarding link", async () => {
    const user = await t.createUser(acme);
    const res = await connect(user);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ id: user.id, chargesEnabled: false, detailsSubmitted: false });
    expect(body.stripeConnectId).toMatch(/^acct_/);
    expect(body.bankAccount).toEqual({ id: body.stripeConnectId, user_id: body.id, chargesEnabled: false, detailsSubmitted: false, payoutSchedule: null, last4: null });
    expect(body.url).toMatch(new RegExp(`^${t.config.publicUrl}/offline/connect/onboard/${body.stripeConnectId}\\?token=`));
    const expiresIn = new Date(body.expiresAt).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(4 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(5 * 60_000);
    expect(await t.db.simAccount.findUnique({ where: { id: body.stripeConnectId } })).toMatchObject({
      email: user.email,
      metadata: { user_id: user.id, platform_id: acme.id, mode: "test" },
    });
  });

  it("returns to the platform's url by default, and to the URLs asked for", async () => {
    const user = await t.createUser(acme);
    const byDefault = (await connect(user)).json();
    expect(await t.db.simAccountLink.findFirst({ where: { accountId: byDefault.stripeConnectId }, orderBy: { created: "desc" } })).toMatchObject({
      returnUrl: "https://acme.test/settings?stripe_connect=return",
      refreshUrl: "https://acme.test/settings?stripe_connect=refresh",
    });
    const asked = await connect(user, { return_url: "https://shop.acme.test/payouts/done", refresh_url: "https://shop.acme.test/payouts/again" });
    expect(asked.statusCode).toBe(200);
    expect(asked.json().stripeConnectId).toBe(byDefault.stripeConnectId);
    expect(asked.json().url).not.toBe(byDefault.url);
    expect(await t.db.simAccountLink.findFirst({ where: { accountId: byDefault.stripeConnectId }, orderBy: { created: "desc" } })).toMatchObject({
      returnUrl: "https://shop.acme.test/payouts/done",
      refreshUrl: "https://shop.acme.test/payouts/again",
    });
  });

  it("reuses the account: one account for parallel first calls", async () => {
    const user = await t.createUser(acme);
    const answers = await Promise.all(Array.from({ length: 6 }, () => connect(user)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((a) => a.json().stripeConnectId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.json().url)).size).toBe(6);
    expect(await t.db.simAccount.count({ where: { metadata: { path: ["user_id"], equals: user.id } } })).toBe(1);
  });

  it.each([
    [{ return_url: "javascript:alert(1)" }, "return_url", "parameter_invalid"],
    [{ refresh_url: "not a url" }, "refresh_url", "parameter_invalid"],
    [{ returnUrl: "https://acme.test" }, "returnUrl", "parameter_unknown"],
    [{ stripeConnectId: "acct_x" }, "stripeConnectId", "parameter_not_writable"],
  ])("is 400 for %j", async (payload, param, code) => {
    const user = await t.createUser(acme);
    const res = await connect(user, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ param, code });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).stripeConnectId).toBeNull();
  });

  it("takes no parameters on a platform without a url: Stripe returns to this server's pages, branded with the platform's name", async () => {
    const user = await t.createUser(bare);
    const res = await connect(user);
    expect(res.statusCode, res.body).toBe(200);
    const link = await t.db.simAccountLink.findFirst({ where: { accountId: res.json().stripeConnectId }, orderBy: { created: "desc" } });
    expect(link).toMatchObject({ returnUrl: `${t.config.publicUrl}/connect/${bare.id}/return`, refreshUrl: `${t.config.publicUrl}/connect/${bare.id}/refresh` });
    // Onboarding ends on the return page, which says so in the platform's name.
    const back = new URL(await onboard(res.json().url));
    expect(back.toString()).toBe(link!.returnUrl);
    const done = await t.request({ method: "GET", url: back.pathname });
    expect(done.statusCode).toBe(200);
    expect(done.headers["content-type"]).toMatch(/^text\/html/);
    expect(done.body).toContain("No URL");
    expect(done.body).toMatch(/Onboarding is complete/);
    const again = await t.request({ method: "GET", url: new URL(link!.refreshUrl).pathname });
    expect(again.statusCode).toBe(200);
    expect(again.body).toMatch(/must be restarted/);
    // Through the SDK's own request shape too: the JSON content type and no body.
    const sdk = await t.request({ method: "POST", url: `/v1/users/${user.id}/bank_account`, headers: { ...bearer(bare.apiKey), "content-type": "application/json" }, payload: "" });
    expect(sdk.statusCode, sdk.body).toBe(200);
  });

  it("escapes the platform's name on its pages, and answers 404 for a platform that does not exist", async () => {
    const hostile = await t.createPlatform({ name: `<script>alert("x")</script> & Co` });
    const res = await t.request({ method: "GET", url: `/connect/${hostile.id}/return` });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain("<script>");
    expect(res.body).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co");
    const missing = await t.request({ method: "GET", url: "/connect/plat_doesnotexist/refresh" });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("resource_missing");
  });

  it("returns to return_url after a refresh too when only it is sent", async () => {
    const user = await t.createUser(bare);
    const res = await connect(user, { return_url: "https://bare.test/done" });
    expect(res.statusCode).toBe(200);
    expect(await t.db.simAccountLink.findFirst({ where: { accountId: res.json().stripeConnectId } })).toMatchObject({
      returnUrl: "https://bare.test/done",
      refreshUrl: "https://bare.test/done",
    });
  });

  it("is 401 without a user token", async () => {
    expect((await t.request({ method: "POST", url: "/v1/users/auth/bank_account" })).statusCode).toBe(401);
    expect((await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: key() })).statusCode).toBe(401);
  });
});

describe("GET /v1/users/auth/bank_account", () => {
  it("is 409 before the account exists, saying what to do first", async () => {
    const user = await t.createUser(acme);
    const res = await status(user);
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ code: "bank_account_missing", message: expect.stringContaining("POST /v1/users/auth/bank_account") });
  });

  it("onboarding end to end: follow the link, come back, and the account can take charges", async () => {
    const user = await t.createUser(acme);
    const { url } = (await connect(user)).json();
    const before = await status(user);
    expect(before.statusCode).toBe(200);
    expect(before.json().bankAccount).toMatchObject({ chargesEnabled: false, detailsSubmitted: false });

    expect(await onboard(url)).toBe("https://acme.test/settings?stripe_connect=return");
    // As Stripe's account.updated webhook would: the user row follows before anyone asks for the status.
    expect(await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({ chargesEnabled: true, detailsSubmitted: true, bankLast4: "6789" });
    const recorded = await t.db.event.findMany({ where: { objectId: before.json().stripeConnectId, type: "bank_account.updated" } });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]!.data).toMatchObject({ user_id: user.id, chargesEnabled: true, detailsSubmitted: true, last4: "6789" });

    const after = await status(user);
    expect(after.statusCode).toBe(200);
    expect(after.json()).toMatchObject({ id: user.id, chargesEnabled: true, detailsSubmitted: true });
    expect(after.json().bankAccount).toEqual({
      id: after.json().stripeConnectId,
      user_id: after.json().id,
      chargesEnabled: true,
      detailsSubmitted: true,
      payoutSchedule: { interval: "daily", delayDays: 2 },
      last4: "6789",
    });
    expect(await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).toMatchObject({
      chargesEnabled: true,
      detailsSubmitted: true,
      payoutSchedule: { interval: "daily", delay_days: 2 },
      bankLast4: "6789",
    });
    const me = (await t.request({ method: "GET", url: "/v1/users/auth", headers: bearer(user.token) })).json();
    expect(me).toMatchObject({ chargesEnabled: true, detailsSubmitted: true, stripeConnectId: after.json().stripeConnectId });

    // A link works once; a new one can be asked for, and the account stays onboarded.
    const spent = new URL(url);
    expect((await t.request({ method: "GET", url: `${spent.pathname}${spent.search}` })).statusCode).toBe(404);
    const again = await connect(user);
    expect(again.json()).toMatchObject({ chargesEnabled: true, bankAccount: { chargesEnabled: true } });
  });

  it("is 401 without a user token", async () => {
    expect((await t.request({ method: "GET", url: "/v1/users/auth/bank_account", headers: key() })).statusCode).toBe(401);
  });
});

describe("the /v1/users/:id twins (platform key or admin)", () => {
  it("let the platform key and an admin connect a user's bank account and read it", async () => {
    const user = await t.createUser(acme);
    const before = await t.request({ method: "GET", url: `/v1/users/${user.id}/bank_account`, headers: key() });
    expect(before.statusCode).toBe(409);
    expect(before.json().error.message).toContain(`POST /v1/users/${user.id}/bank_account`);

    const created = await t.request({ method: "POST", url: `/v1/users/${user.id}/bank_account`, headers: key() });
    expect(created.statusCode).toBe(200);
    expect(created.json().url).toContain("/offline/connect/onboard/");
    await onboard(created.json().url);

    const read = await t.request({ method: "GET", url: `/v1/users/${user.id}/bank_account`, headers: bearer(admin.token) });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: user.id, chargesEnabled: true, bankAccount: { last4: "6789", payoutSchedule: { interval: "daily" } } });
    const byAdmin = await t.request({ method: "POST", url: `/v1/users/${user.id}/bank_account`, headers: bearer(admin.token), payload: { return_url: "https://acme.test/x" } });
    expect(byAdmin.json().stripeConnectId).toBe(created.json().stripeConnectId);
  });

  it("are 403 for a member, even about themself", async () => {
    const member = await t.createUser(acme);
    expect((await t.request({ method: "GET", url: `/v1/users/${member.id}/bank_account`, headers: bearer(member.token) })).statusCode).toBe(403);
    expect((await t.request({ method: "POST", url: `/v1/users/${member.id}/bank_account`, headers: bearer(member.token) })).statusCode).toBe(403);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: member.id } })).stripeConnectId).toBeNull();
  });

  it("are 404 for another platform's user, and 401 without credentials", async () => {
    await connect(stranger);
    expect((await t.request({ method: "GET", url: `/v1/users/${stranger.id}/bank_account`, headers: key() })).statusCode).toBe(404);
    expect((await t.request({ method: "POST", url: `/v1/users/${stranger.id}/bank_account`, headers: key() })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: `/v1/users/${stranger.id}/bank_account` })).statusCode).toBe(401);
  });
});
