import { describe, expect, it } from "vitest";
import { ConfigError, OFFLINE_WEBHOOK_SECRET, loadConfig } from "../../src/config.js";
import { describePayments } from "../../src/runtime.js";

describe("payments configuration", () => {
  it("is the offline simulator with the development webhook secret when nothing is set", () => {
    const config = loadConfig({});
    expect(config.payments).toEqual({ kind: "offline", webhookSecret: OFFLINE_WEBHOOK_SECRET, webhookSecretSource: "default" });
    expect(OFFLINE_WEBHOOK_SECRET).toMatch(/^whsec_/);
    expect(Object.isFrozen(config.payments)).toBe(true);
  });

  it("lets the offline simulator verify webhooks with STRIPE_WEBHOOK_SECRET", () => {
    expect(loadConfig({ STRIPE_WEBHOOK_SECRET: "whsec_mine" }).payments).toEqual({ kind: "offline", webhookSecret: "whsec_mine", webhookSecretSource: "config" });
  });

  it.each([
    ["sk_test_51Abc", false],
    ["sk_live_51Abc", true],
    ["rk_test_51Abc", false],
    ["rk_live_51Abc", true],
  ])("uses Stripe with STRIPE_SECRET_KEY=%s (live: %s)", (key, livemode) => {
    expect(loadConfig({ STRIPE_SECRET_KEY: key, STRIPE_WEBHOOK_SECRET: "whsec_abc" }).payments).toEqual({
      kind: "stripe",
      secretKey: key,
      webhookSecret: "whsec_abc",
      livemode,
    });
  });

  it("takes several webhook secrets, one per Stripe endpoint (the platform's own, and Connect's)", () => {
    expect(loadConfig({ STRIPE_SECRET_KEY: "sk_test_51Abc", STRIPE_WEBHOOK_SECRET: "whsec_account,whsec_connect" }).payments).toMatchObject({
      webhookSecret: "whsec_account,whsec_connect",
    });
  });

  it.each([
    [{ STRIPE_WEBHOOK_SECRET: "whsec_a,secret" }, "STRIPE_WEBHOOK_SECRET"],
    [{ STRIPE_WEBHOOK_SECRET: "whsec_a," }, "STRIPE_WEBHOOK_SECRET"],
    [{ STRIPE_SECRET_KEY: "pk_test_51Abc" }, "STRIPE_SECRET_KEY"],
    [{ STRIPE_SECRET_KEY: "sk_test_" }, "STRIPE_SECRET_KEY"],
    [{ STRIPE_SECRET_KEY: "sk_test_abc def" }, "STRIPE_SECRET_KEY"],
    [{ STRIPE_WEBHOOK_SECRET: "secret" }, "STRIPE_WEBHOOK_SECRET"],
  ])("stops on %j, naming %s", (env, name) => {
    try {
      loadConfig(env);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join("\n")).toContain(name);
    }
  });

  it("says at boot which implementation is active, never the key", () => {
    expect(describePayments(loadConfig({}))).toMatch(/^payments: offline simulator.*development secret/);
    expect(describePayments(loadConfig({ STRIPE_WEBHOOK_SECRET: "whsec_x" }))).toMatch(/offline simulator.*STRIPE_WEBHOOK_SECRET/);
    const stripe = describePayments(loadConfig({ STRIPE_SECRET_KEY: "sk_live_51Abc", STRIPE_WEBHOOK_SECRET: "whsec_x" }));
    expect(stripe).toBe("payments: Stripe (live mode)");
    expect(describePayments(loadConfig({ STRIPE_SECRET_KEY: "sk_test_51Abc" }))).toBe("payments: Stripe (test mode); STRIPE_WEBHOOK_SECRET is unset, so webhooks are refused");
  });
});
