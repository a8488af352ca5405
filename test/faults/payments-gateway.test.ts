import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createStripeGateway } from "../../src/adapters/payments/stripe.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { closedPort, startStripeStandIn, stripeObjects as so, type StripeStandIn } from "../helpers/stripe-stand-in.js";

/**
 * The payments gateway failing under the payment endpoints: the Stripe implementation talks to a
 * loopback stand-in for api.stripe.com that answers 500, hangs past the client's timeout, or is
 * not there at all. Every failure is a clear 502 or 504 in the envelope without Stripe's detail;
 * nothing half-done is recorded (no payment method, no account id that Stripe did not give); and
 * the retry works, under the same idempotency key, so Stripe never makes a second object.
 */

const TIMEOUT_MS = 800;

let t: TestContext;
let standIn: StripeStandIn;
let acme: TestPlatform;

beforeAll(async () => {
  standIn = await startStripeStandIn();
  const payments = createStripeGateway({ secretKey: "sk_test_faults", webhookSecret: "whsec_faults", ...standIn.address, maxNetworkRetries: 0, timeoutMs: TIMEOUT_MS });
  t = await createTestContext({}, { payments });
  acme = await t.createPlatform({ name: "Faults", url: "https://faults.example" });
});
afterAll(async () => {
  await t.close();
  await standIn.close();
});
beforeEach(() => standIn.reset());

const calls = (method: string, path: string) => standIn.requests.filter((r) => r.method === method && r.path === path);
const userRow = (id: string) => t.db.user.findUniqueOrThrow({ where: { id }, include: { paymentMethods: true } });

function expectGatewayError(res: { statusCode: number; body: string; headers: Record<string, unknown> }, status: 502 | 504, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(JSON.parse(res.body).error).toMatchObject({ type: "api_error", code, request_id: res.headers["request-id"] });
  expect(res.body).not.toMatch(/stand-in|standin|Internal detail|127\.0\.0\.1/i);
}

describe("a client secret while Stripe fails", () => {
  it("times out as a 504, saves no customer id, and the retry creates the customer once", async () => {
    const user = await t.createUser(acme);
    standIn.on("POST", "/v1/customers", { hang: true });
    const started = Date.now();
    const res = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) });
    expectGatewayError(res, 504, "payments_timeout");
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2_000);
    expect((await userRow(user.id)).stripeCustomerId).toBeNull();

    standIn.on("POST", "/v1/customers", { body: so.customer("cus_Patient", user.email) });
    standIn.on("POST", "/v1/setup_intents", { body: so.setupIntent("seti_Patient", "cus_Patient") });
    const retried = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(retried.json()).toMatchObject({ stripeCustomerId: "cus_Patient", setupIntentId: "seti_Patient" });
    // The timed-out call and the retry carried the same key: had the first reached Stripe, the retry gets that customer.
    const keys = calls("POST", "/v1/customers").map((r) => r.headers["idempotency-key"]);
    expect(new Set(keys)).toEqual(new Set([`customer:${user.id}`]));
  });

  it("a customer made but a setup intent refused (500): 502, the customer kept (it exists at Stripe), and the retry makes no second one", async () => {
    const user = await t.createUser(acme);
    standIn.on("POST", "/v1/customers", { body: so.customer("cus_Half", user.email) });
    standIn.on("POST", "/v1/setup_intents", so.error(500, { type: "api_error", message: "Internal detail from Stripe" }));
    expectGatewayError(await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) }), 502, "payments_unavailable");
    expect((await userRow(user.id)).stripeCustomerId).toBe("cus_Half");

    standIn.reset();
    standIn.on("POST", "/v1/setup_intents", { body: so.setupIntent("seti_Half", "cus_Half") });
    const retried = await t.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) });
    expect(retried.statusCode, retried.body).toBe(200);
    expect(calls("POST", "/v1/customers")).toHaveLength(0);
  });

  it("Stripe unreachable (connection refused) is a 502", async () => {
    const port = await closedPort();
    const unreachable = createStripeGateway({
      secretKey: "sk_test_faults",
      webhookSecret: "whsec_faults",
      host: "127.0.0.1",
      port,
      protocol: "http",
      maxNetworkRetries: 0,
      timeoutMs: TIMEOUT_MS,
    });
    const other = await createTestContext({}, { payments: unreachable, sharedDatabaseUrl: t.databaseUrl });
    try {
      const user = await other.createUser(acme);
      const res = await other.request({ method: "POST", url: "/v1/users/auth/client_secret", headers: bearer(user.token) });
      expectGatewayError(res, 502, "payments_unavailable");
      expect((await userRow(user.id)).stripeCustomerId).toBeNull();
    } finally {
      await other.close();
    }
  });
});

describe("attaching a card while Stripe fails", () => {
  it("an attach that hangs is a 504 and records no payment method; the retry attaches it once", async () => {
    const user = await t.createUser(acme);
    const visa = so.card("pm_Retried", { brand: "visa", last4: "4242" }, "cus_Card");
    standIn.on("POST", "/v1/customers", { body: so.customer("cus_Card", user.email) });
    standIn.on("POST", "/v1/payment_methods/pm_card_visa/attach", { hang: true });
    const res = await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: "pm_card_visa" } });
    expectGatewayError(res, 504, "payments_timeout");
    expect((await userRow(user.id)).paymentMethods).toEqual([]);

    standIn.reset();
    standIn.on("POST", "/v1/payment_methods/pm_card_visa/attach", { body: visa });
    standIn.on("GET", "/v1/payment_methods/pm_Retried", { body: visa });
    standIn.on("POST", "/v1/customers/cus_Card", { body: so.customer("cus_Card", user.email) });
    const retried = await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: "pm_card_visa" } });
    expect(retried.statusCode, retried.body).toBe(200);
    expect((await userRow(user.id)).paymentMethods).toMatchObject([{ stripePaymentMethodId: "pm_Retried", isDefault: true }]);
    expect(calls("POST", "/v1/payment_methods/pm_card_visa/attach")[0]!.headers["idempotency-key"]).toBe("attach:cus_Card:pm_card_visa");
  });

  it("attached at Stripe but the re-read fails (500): 502, nothing recorded; the retry records it once", async () => {
    const user = await t.createUser(acme);
    await t.db.user.update({ where: { id: user.id }, data: { stripeCustomerId: "cus_Reread" } });
    const visa = so.card("pm_Reread", { brand: "visa", last4: "4242" }, "cus_Reread");
    standIn.on("POST", "/v1/payment_methods/pm_card_visa/attach", { body: visa });
    standIn.on("GET", "/v1/payment_methods/pm_Reread", so.error(500, { type: "api_error", message: "Internal detail from Stripe" }), { body: visa });
    standIn.on("POST", "/v1/customers/cus_Reread", { body: so.customer("cus_Reread", user.email) });
    expectGatewayError(
      await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: "pm_card_visa" } }),
      502,
      "payments_unavailable",
    );
    expect((await userRow(user.id)).paymentMethods).toEqual([]);
    const retried = await t.request({ method: "POST", url: "/v1/users/auth/payment_methods", headers: bearer(user.token), payload: { payment_method: "pm_card_visa" } });
    expect(retried.statusCode, retried.body).toBe(200);
    expect((await userRow(user.id)).paymentMethods).toHaveLength(1);
  });
});

describe("a seller's bank account while Stripe fails", () => {
  it("account creation timing out is a 504 with no account id saved; the retry creates it under the same key", async () => {
    const seller = await t.createUser(acme);
    standIn.on("POST", "/v1/accounts", { hang: true });
    expectGatewayError(await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(seller.token), payload: {} }), 504, "payments_timeout");
    expect((await userRow(seller.id)).stripeConnectId).toBeNull();

    standIn.reset();
    standIn.on("POST", "/v1/accounts", { body: so.account("acct_Later", false) });
    standIn.on("POST", "/v1/account_links", { body: so.accountLink("https://connect.stripe.com/setup/e/acct_Later/x", Math.floor(Date.now() / 1000) + 300) });
    const retried = await t.request({ method: "POST", url: "/v1/users/auth/bank_account", headers: bearer(seller.token), payload: {} });
    expect(retried.statusCode, retried.body).toBe(200);
    expect((await userRow(seller.id)).stripeConnectId).toBe("acct_Later");
    expect(calls("POST", "/v1/accounts")[0]!.headers["idempotency-key"]).toBe(`connect-account:${seller.id}`);
  });
});
