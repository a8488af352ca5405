import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OfflinePaymentsGateway } from "../../src/adapters/payments/offline.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";

/** The payment endpoints of users (client secret, payment methods), driven through the offline simulator. */

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let admin: TestUser;
let stranger: TestUser;
let gateway: OfflinePaymentsGateway;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  admin = await t.createUser(acme, "admin");
  stranger = await t.createUser(other, "member");
  gateway = t.app.services.payments as OfflinePaymentsGateway;
});
afterAll(() => t.close());

const key = () => bearer(acme.apiKey);

interface PaymentMethodResponse {
  id: string;
  stripePaymentMethodId: string;
  type: string;
  isDefault: boolean;
  brand: string | null;
  last4: string | null;
}

function attach(user: TestUser, paymentMethod: string) {
  return t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: paymentMethod } });
}

async function attached(user: TestUser, paymentMethod: string): Promise<PaymentMethodResponse> {
  const res = await attach(user, paymentMethod);
  expect(res.statusCode, res.body).toBe(200);
  return res.json().paymentMethod;
}

async function listed(user: TestUser): Promise<PaymentMethodResponse[]> {
  const res = await t.request({ method: "GET", url: "/v1/users/auth/payment_methods", headers: bearer(user.token) });
  expect(res.statusCode).toBe(200);
  return res.json().paymentMethods;
}

const defaults = (pms: PaymentMethodResponse[]) => pms.filter((pm) => pm.isDefault).map((pm) => pm.id);

async function simCustomerOf(userId: string) {
  const user = await t.db.user.findUniqueOrThrow({ where: { id: userId } });
  return user.stripeCustomerId ? t.db.simCustomer.findUnique({ where: { id: user.stripeCustomerId } }) : null;
}

describe("POST /v1/users/auth/client_secret", () => {
  it("creates the Stripe customer on first use and answers a SetupIntent client secret", async () => {
    const user = await t.createUser(acme);
    const res = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ id: user.id, email: user.email, paymentMethods: [] });
    expect(body.stripeCustomerId).toMatch(/^cus_/);
    expect(body.setupIntentId).toMatch(/^seti_/);
    expect(body.clientSecret).toMatch(new RegExp(`^${body.setupIntentId}_secret_`));
    expect(await t.db.simCustomer.findUnique({ where: { id: body.stripeCustomerId } })).toMatchObject({
      email: user.email,
      metadata: { user_id: user.id, platform_id: acme.id, mode: "test" },
    });
    expect(await t.db.simSetupIntent.findUnique({ where: { id: body.setupIntentId } })).toMatchObject({ customerId: body.stripeCustomerId });

    const again = (await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) })).json();
    expect(again.stripeCustomerId).toBe(body.stripeCustomerId);
    expect(again.setupIntentId).not.toBe(body.setupIntentId);
  });

  it("makes one customer for parallel first calls", async () => {
    const user = await t.createUser(acme);
    const answers = await Promise.all(Array.from({ length: 6 }, () => t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) })));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(6).fill(200));
    expect(new Set(answers.map((a) => a.json().stripeCustomerId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.json().setupIntentId)).size).toBe(6);
    const customers = await t.db.simCustomer.findMany({ where: { metadata: { path: ["user_id"], equals: user.id } } });
    expect(customers).toHaveLength(1);
  });

  it("replays the answer for a retried Idempotency-Key", async () => {
    const user = await t.createUser(acme);
    const headers = { ...bearer(user.token), "idempotency-key": "setup-once" };
    const first = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers });
    const second = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers });
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(second.json().clientSecret).toBe(first.json().clientSecret);
    expect(await t.db.simSetupIntent.count({ where: { customerId: first.json().stripeCustomerId } })).toBe(1);
  });

  it("is 401 without a user token, even with the platform key", async () => {
    expect((await t.request({ method: "POST", url: "/v1/users/auth/client_secret" })).statusCode).toBe(401);
    const res = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: key() });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("user_token_required");
  });
});

describe("POST /v1/users/auth/payment_methods", () => {
  it("attaches a test card to a new customer; the first one is the default", async () => {
    const user = await t.createUser(acme);
    const res = await attach(user, "pm_card_visa");
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.stripeCustomerId).toMatch(/^cus_/);
    expect(body.paymentMethod).toEqual({
      id: expect.stringMatching(/^pmeth_[0-9a-f]{32}$/),
      user_id: user.id,
      stripePaymentMethodId: expect.stringMatching(/^pm_[A-Za-z0-9]{24}$/),
      type: "card",
      isDefault: true,
      brand: "visa",
      last4: "4242",
      accountHolderType: null,
      expMonth: 12,
      expYear: 2034,
      funding: "credit",
    });
    expect(body.paymentMethods).toEqual([body.paymentMethod]);
    const sim = await t.db.simPaymentMethod.findUniqueOrThrow({ where: { id: body.paymentMethod.stripePaymentMethodId } });
    expect(sim.customerId).toBe(body.stripeCustomerId);
    expect((await simCustomerOf(user.id))?.defaultPaymentMethodId).toBe(sim.id);
  });

  it("keeps the first default when more are added, and records bank accounts with their own fields", async () => {
    const user = await t.createUser(acme);
    const visa = await attached(user, "pm_card_visa");
    const mastercard = await attached(user, "pm_card_mastercard");
    const bank = await attached(user, "pm_usBankAccount");
    expect(mastercard).toMatchObject({ brand: "mastercard", last4: "4444", isDefault: false });
    expect(bank).toMatchObject({
      type: "us_bank_account",
      brand: "STRIPE TEST BANK",
      last4: "6789",
      accountHolderType: "individual",
      expMonth: null,
      expYear: null,
      funding: null,
      isDefault: false,
    });
    expect(defaults(await listed(user))).toEqual([visa.id]);
  });

  it("is idempotent for the same payment method: the same token, or the attached pm_… id again", async () => {
    const user = await t.createUser(acme);
    const first = await attached(user, "pm_card_visa");
    const again = await attached(user, "pm_card_visa");
    const byStripeId = await attached(user, first.stripePaymentMethodId);
    expect(again).toEqual(first);
    expect(byStripeId).toEqual(first);
    expect(await listed(user)).toHaveLength(1);
  });

  it("attaches the same token in parallel once", async () => {
    const user = await t.createUser(acme);
    const answers = await Promise.all(Array.from({ length: 5 }, () => attach(user, "pm_card_visa")));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(5).fill(200));
    expect(new Set(answers.map((a) => a.json().paymentMethod.id)).size).toBe(1);
    expect(await t.db.paymentMethod.count({ where: { userId: user.id } })).toBe(1);
  });

  it("makes one customer and exactly one default when different cards are attached in parallel", async () => {
    const user = await t.createUser(acme);
    const tokens = ["pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_discover", "pm_card_visa_debit"];
    const answers = await Promise.all(tokens.map((token) => attach(user, token)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(tokens.length).fill(200));
    const pms = await listed(user);
    expect(pms).toHaveLength(tokens.length);
    expect(defaults(pms)).toHaveLength(1);
    expect(await t.db.simCustomer.count({ where: { metadata: { path: ["user_id"], equals: user.id } } })).toBe(1);
    const defaultStripeId = pms.find((pm) => pm.isDefault)!.stripePaymentMethodId;
    expect((await simCustomerOf(user.id))?.defaultPaymentMethodId).toBe(defaultStripeId);
  });

  it("attaches a card that will decline when charged: Stripe test-mode semantics decline at the charge, not here", async () => {
    const user = await t.createUser(acme);
    const pm = await attached(user, "pm_card_chargeDeclined");
    expect(pm).toMatchObject({ brand: "visa", last4: "0002", isDefault: true });
    const customerId = (await t.db.user.findUniqueOrThrow({ where: { id: user.id } })).stripeCustomerId!;
    await expect(
      gateway.createPaymentIntent({ amount: 1000, currency: "usd", customerId, paymentMethodId: pm.stripePaymentMethodId, metadata: {}, idempotencyKey: `test-charge:${pm.id}` }),
    ).rejects.toMatchObject({ status: 402, code: "card_declined", declineCode: "generic_decline" });
  });

  it("attaches a test token again after its earlier payment method was removed (a new one, not the detached one)", async () => {
    const user = await t.createUser(acme);
    const first = await attached(user, "pm_card_visa");
    const removed = await t.request({ method: "DELETE", url: `/v1/users/auth/payment_methods/${first.id}`, headers: bearer(user.token) });
    expect(removed.statusCode).toBe(200);
    const second = await attached(user, "pm_card_visa");
    expect(second.stripePaymentMethodId).not.toBe(first.stripePaymentMethodId);
    expect((await gateway.retrievePaymentMethod(second.stripePaymentMethodId)).customerId).not.toBeNull();
    const third = await attached(user, "pm_card_visa");
    expect(third.id).toBe(second.id);
  });

  it.each([
    [{}, "parameter_missing"],
    [{ payment_method: "card_visa" }, "parameter_invalid"],
    [{ payment_method: "pm_card visa" }, "parameter_invalid"],
    [{ payment_method: 42 }, "parameter_invalid"],
    [{ payment_method: "pm_card_visa", isDefault: true }, "parameter_unknown"],
  ])("is 400 for %j", async (payload, code) => {
    const user = await t.createUser(acme);
    const res = await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code, param: code === "parameter_unknown" ? "isDefault" : "payment_method" });
    expect(await t.db.paymentMethod.count({ where: { userId: user.id } })).toBe(0);
  });

  it("passes the gateway's refusal through: an unknown payment method is a 400 resource_missing", async () => {
    const user = await t.createUser(acme);
    const res = await attach(user, "pm_doesNotExist");
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      type: "invalid_request_error",
      code: "resource_missing",
      param: "payment_method",
      message: "No such PaymentMethod: 'pm_doesNotExist'",
    });
  });

  it("refuses a payment method attached to another user's customer (the gateway's 400)", async () => {
    const owner = await t.createUser(acme);
    const thief = await t.createUser(acme);
    const pm = await attached(owner, "pm_card_visa");
    const res = await attach(thief, pm.stripePaymentMethodId);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("payment_method_unexpected_state");
    expect(await listed(thief)).toEqual([]);
  });

  it("is 401 without a user token", async () => {
    expect((await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", payload: { payment_method: "pm_card_visa" } })).statusCode).toBe(401);
    expect((await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: key(), payload: { payment_method: "pm_card_visa" } })).statusCode).toBe(401);
  });
});

describe("GET /v1/users/auth/payment_methods", () => {
  it("answers the user object with its payment methods, oldest first", async () => {
    const user = await t.createUser(acme);
    expect(await listed(user)).toEqual([]);
    const a = await attached(user, "pm_card_visa");
    const b = await attached(user, "pm_usBankAccount");
    const res = await t.request({ method: "GET", url: "/v1/users/auth/payment_methods", headers: bearer(user.token) });
    expect(res.json()).toMatchObject({ id: user.id, paymentMethods: [a, b] });
  });

  it("is 401 without a user token", async () => {
    expect((await t.request({ method: "GET", url: "/v1/users/auth/payment_methods" })).statusCode).toBe(401);
  });
});

describe("PUT /v1/users/auth/payment_methods/:payment_method_id/default", () => {
  it("makes the payment method the only default, here and at the gateway; by our id or the pm_… id", async () => {
    const user = await t.createUser(acme);
    const visa = await attached(user, "pm_card_visa");
    const mastercard = await attached(user, "pm_card_mastercard");
    const res = await t.request({ method: "PUT", url: `/v1/users/auth/payment_methods/${mastercard.id}/default`, headers: bearer(user.token) });
    expect(res.statusCode).toBe(200);
    expect(defaults(res.json().paymentMethods)).toEqual([mastercard.id]);
    expect((await simCustomerOf(user.id))?.defaultPaymentMethodId).toBe(mastercard.stripePaymentMethodId);

    const back = await t.request({ method: "PUT", url: `/v1/users/auth/payment_methods/${visa.stripePaymentMethodId}/default`, headers: bearer(user.token) });
    expect(back.statusCode).toBe(200);
    expect(defaults(back.json().paymentMethods)).toEqual([visa.id]);
    const same = await t.request({ method: "PUT", url: `/v1/users/auth/payment_methods/${visa.id}/default`, headers: bearer(user.token) });
    expect(defaults(same.json().paymentMethods)).toEqual([visa.id]);
  });

  it("leaves exactly one default under parallel requests, and the gateway agrees", async () => {
    const user = await t.createUser(acme);
    const pms = [];
    for (const token of ["pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_discover"]) pms.push(await attached(user, token));
    const answers = await Promise.all(
      [...pms, ...pms].map((pm) => t.request({ method: "PUT", url: `/v1/users/auth/payment_methods/${pm.id}/default`, headers: bearer(user.token) })),
    );
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(200));
    const now = await listed(user);
    expect(defaults(now)).toHaveLength(1);
    expect((await simCustomerOf(user.id))?.defaultPaymentMethodId).toBe(now.find((pm) => pm.isDefault)!.stripePaymentMethodId);
  });

  it("is 404 for an unknown payment method and for another user's", async () => {
    const user = await t.createUser(acme);
    const neighbour = await t.createUser(acme);
    await attached(user, "pm_card_visa");
    const theirs = await attached(neighbour, "pm_card_visa");
    for (const ref of ["pmeth_00000000000000000000000000000000", theirs.id, theirs.stripePaymentMethodId]) {
      const res = await t.request({ method: "PUT", url: `/v1/users/auth/payment_methods/${ref}/default`, headers: bearer(user.token) });
      expect(res.statusCode, ref).toBe(404);
      expect(res.json().error).toMatchObject({ code: "resource_missing", param: "payment_method_id" });
    }
    expect(defaults(await listed(neighbour))).toEqual([theirs.id]);
  });

  it("is 401 without a user token", async () => {
    expect((await t.request({ method: "PUT", url: "/v1/users/auth/payment_methods/pmeth_x/default" })).statusCode).toBe(401);
  });
});

describe("DELETE /v1/users/auth/payment_methods/:payment_method_id", () => {
  it("removes a payment method and detaches it at the gateway", async () => {
    const user = await t.createUser(acme);
    const visa = await attached(user, "pm_card_visa");
    const mastercard = await attached(user, "pm_card_mastercard");
    const res = await t.request({ method: "DELETE", url: `/v1/users/auth/payment_methods/${mastercard.id}`, headers: bearer(user.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json().paymentMethods).toEqual([visa]);
    expect((await t.db.simPaymentMethod.findUniqueOrThrow({ where: { id: mastercard.stripePaymentMethodId } })).detached).not.toBeNull();
    const again = await t.request({ method: "DELETE", url: `/v1/users/auth/payment_methods/${mastercard.id}`, headers: bearer(user.token) });
    expect(again.statusCode).toBe(404);
  });

  it("promotes the most recently added other payment method when the default is removed", async () => {
    const user = await t.createUser(acme);
    const visa = await attached(user, "pm_card_visa");
    await attached(user, "pm_card_mastercard");
    const amex = await attached(user, "pm_card_amex");
    const res = await t.request({ method: "DELETE", url: `/v1/users/auth/payment_methods/${visa.stripePaymentMethodId}`, headers: bearer(user.token) });
    expect(res.statusCode).toBe(200);
    expect(defaults(res.json().paymentMethods)).toEqual([amex.id]);
    expect((await simCustomerOf(user.id))?.defaultPaymentMethodId).toBe(amex.stripePaymentMethodId);
  });

  it("removes one that was already detached at the gateway (in Stripe's dashboard, say)", async () => {
    const user = await t.createUser(acme);
    const visa = await attached(user, "pm_card_visa");
    await gateway.detachPaymentMethod({ paymentMethodId: visa.stripePaymentMethodId });
    const res = await t.request({ method: "DELETE", url: `/v1/users/auth/payment_methods/${visa.id}`, headers: bearer(user.token) });
    expect(res.statusCode).toBe(200);
    expect(res.json().paymentMethods).toEqual([]);
  });

  it("is 404 for another user's or another platform's payment method, and leaves it alone", async () => {
    const user = await t.createUser(acme);
    const neighbour = await t.createUser(acme);
    const theirs = await attached(neighbour, "pm_card_visa");
    const foreign = (
      await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(stranger.token), payload: { payment_method: "pm_card_visa" } })
    ).json().paymentMethod;
    for (const ref of [theirs.id, theirs.stripePaymentMethodId, foreign.id]) {
      const res = await t.request({ method: "DELETE", url: `/v1/users/auth/payment_methods/${ref}`, headers: bearer(user.token) });
      expect(res.statusCode, ref).toBe(404);
    }
    expect(await listed(neighbour)).toEqual([theirs]);
    expect((await t.db.simPaymentMethod.findUniqueOrThrow({ where: { id: theirs.stripePaymentMethodId } })).detached).toBeNull();
  });

  it("is 401 without a user token", async () => {
    expect((await t.request({ method: "DELETE", url: "/v1/users/auth/payment_methods/pmeth_x", headers: key() })).statusCode).toBe(401);
  });
});

describe("the /v1/users/:id twins (platform key or admin)", () => {
  it("let the platform key and an admin manage a user's payment methods and client secret", async () => {
    const user = await t.createUser(acme);
    const secret = await t.request({ method: "POST", url: `/v1/users/${user.id}/client_secret`, headers: key() });
    expect(secret.statusCode).toBe(200);
    expect(secret.json()).toMatchObject({ id: user.id, clientSecret: expect.stringMatching(/^seti_/) });

    const visa = await t.request({ method: "POST", url: `/v1/users/${user.id}/payment_methods`, headers: key(), payload: { payment_method: "pm_card_visa" } });
    expect(visa.statusCode).toBe(200);
    expect(visa.json().stripeCustomerId).toBe(secret.json().stripeCustomerId);
    const mastercard = await t.request({
      method: "POST",
      url: `/v1/users/${user.id}/payment_methods`,
      headers: bearer(admin.token),
      payload: { payment_method: "pm_card_mastercard" },
    });
    expect(mastercard.json().paymentMethod.isDefault).toBe(false);

    const list = await t.request({ method: "GET", url: `/v1/users/${user.id}/payment_methods`, headers: bearer(admin.token) });
    expect(list.json().paymentMethods).toHaveLength(2);

    const madeDefault = await t.request({ method: "PUT", url: `/v1/users/${user.id}/payment_methods/${mastercard.json().paymentMethod.id}/default`, headers: key() });
    expect(defaults(madeDefault.json().paymentMethods)).toEqual([mastercard.json().paymentMethod.id]);

    const removed = await t.request({ method: "DELETE", url: `/v1/users/${user.id}/payment_methods/${mastercard.json().paymentMethod.id}`, headers: bearer(admin.token) });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().paymentMethods).toEqual([{ ...visa.json().paymentMethod, isDefault: true }]);
  });

  it("are 403 for a member, even about themself", async () => {
    const member = await t.createUser(acme);
    const pm = await attached(member, "pm_card_visa");
    for (const [method, url] of [
      ["POST", `/v1/users/${member.id}/client_secret`],
      ["GET", `/v1/users/${member.id}/payment_methods`],
      ["POST", `/v1/users/${member.id}/payment_methods`],
      ["PUT", `/v1/users/${member.id}/payment_methods/${pm.id}/default`],
      ["DELETE", `/v1/users/${member.id}/payment_methods/${pm.id}`],
    ] as const) {
      const res = await t.request({
        method,
        url,
        headers: bearer(member.token),
        payload: method === "POST" && url.endsWith("payment_methods") ? { payment_method: "pm_card_amex" } : undefined,
      });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    expect(await listed(member)).toEqual([pm]);
  });

  it("are 404 for another platform's user, and for a payment method of another user", async () => {
    const foreign = await attached(stranger, "pm_card_visa");
    for (const [method, url] of [
      ["POST", `/v1/users/${stranger.id}/client_secret`],
      ["GET", `/v1/users/${stranger.id}/payment_methods`],
      ["POST", `/v1/users/${stranger.id}/payment_methods`],
      ["PUT", `/v1/users/${stranger.id}/payment_methods/${foreign.id}/default`],
      ["DELETE", `/v1/users/${stranger.id}/payment_methods/${foreign.id}`],
    ] as const) {
      const res = await t.request({ method, url, headers: key(), payload: method === "POST" && url.endsWith("payment_methods") ? { payment_method: "pm_card_amex" } : undefined });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
    }
    const user = await t.createUser(acme);
    await attached(user, "pm_card_visa");
    const res = await t.request({ method: "DELETE", url: `/v1/users/${user.id}/payment_methods/${foreign.id}`, headers: key() });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.param).toBe("payment_method_id");
    expect(await listed(stranger)).toEqual([foreign]);
  });

  it("are 401 without credentials, and 400 for a bad body", async () => {
    const user = await t.createUser(acme);
    expect((await t.request({ method: "GET", url: `/v1/users/${user.id}/payment_methods` })).statusCode).toBe(401);
    expect((await t.request({ method: "POST", url: `/v1/users/${user.id}/client_secret` })).statusCode).toBe(401);
    const bad = await t.request({ method: "POST", url: `/v1/users/${user.id}/payment_methods`, headers: key(), payload: { payment_method: "" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("payment_method");
  });
});
