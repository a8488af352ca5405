import path from "node:path";
import { describe, expect, it } from "vitest";
import os from "node:os";
import { ConfigError, defaultMaxInFlight, loadConfig } from "../../src/config.js";

describe("loadConfig", () => {
  it("has working defaults for a bare environment", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 5000,
      host: "0.0.0.0",
      publicUrl: "http://localhost:5000",
      dataDir: path.resolve(".data"),
      database: { url: undefined, poolSize: 10, embeddedPort: 54329 },
      rateLimit: { store: "memory" },
      seedDemoPlatform: true,
      webhooks: { allowPrivate: false, timeout: 10_000, retryBase: 30 },
    });
  });

  it("reads fee rates as basis points and cents, and the settlement lease in seconds", () => {
    expect(loadConfig({})).toMatchObject({ fees: { stripePercentBps: 290, stripeFixedCents: 30, candleBps: 100 }, contracts: { settlementLeaseSeconds: 10 } });
    expect(loadConfig({ STRIPE_FEE_PERCENT: "3.4", STRIPE_FEE_FIXED: "25", CANDLE_FEE_PERCENT: "0", CONTRACT_SETTLEMENT_LEASE: "120" })).toMatchObject({
      fees: { stripePercentBps: 340, stripeFixedCents: 25, candleBps: 0 },
      contracts: { settlementLeaseSeconds: 120 },
    });
  });

  it("reads how long and how much of a product's stock an unpaid contract holds", () => {
    expect(loadConfig({}).stockHolds).toEqual({ minutes: 30, maxSharePercent: 50 });
    expect(loadConfig({ STOCK_HOLD_MINUTES: "5", STOCK_HOLD_MAX_SHARE: "100" }).stockHolds).toEqual({ minutes: 5, maxSharePercent: 100 });
  });

  it("reads the subscription retry schedule as seconds", () => {
    expect(loadConfig({}).subscriptions.retrySchedule).toEqual([3_600, 21_600, 86_400]);
    expect(loadConfig({ SUBSCRIPTION_RETRY_SCHEDULE: "30m, 2h,1d,90" }).subscriptions.retrySchedule).toEqual([1_800, 7_200, 86_400, 90]);
    expect(loadConfig({ SUBSCRIPTION_RETRY_SCHEDULE: "none" }).subscriptions.retrySchedule).toEqual([]);
    for (const bad of ["1w", "0", "-1h", "1h,,2h", "31d", "soon"]) {
      expect(() => loadConfig({ SUBSCRIPTION_RETRY_SCHEDULE: bad }), bad).toThrow(/SUBSCRIPTION_RETRY_SCHEDULE/);
    }
  });

  it("is frozen, deeply", () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow();
  });

  it("derives values from what is set", () => {
    const config = loadConfig({ PORT: "8080", REDIS_URL: "redis://cache:6379", CORS_ORIGINS: "https://a.test, https://b.test", SEED_DEMO_PLATFORM: "false" });
    expect(config.publicUrl).toBe("http://localhost:8080");
    expect(config.rateLimit).toMatchObject({ store: "redis", redisUrl: "redis://cache:6379" });
    expect(config.cors.origins).toEqual(["https://a.test", "https://b.test"]);
    expect(config.seedDemoPlatform).toBe(false);
  });

  it.each([
    [{ PORT: "eighty" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ DATABASE_URL: "mysql://x@y/z" }, "DATABASE_URL"],
    [{ DATABASE_URL: "not a url" }, "DATABASE_URL"],
    [{ DATABASE_TRANSACTION_TIMEOUT: "500" }, "DATABASE_TRANSACTION_TIMEOUT"],
    [{ DATABASE_TRANSACTION_TIMEOUT: "soon" }, "DATABASE_TRANSACTION_TIMEOUT"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ REDIS_URL: "http://cache" }, "REDIS_URL"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ SEED_DEMO_PLATFORM: "maybe" }, "SEED_DEMO_PLATFORM"],
    [{ RATE_LIMIT_MAX: "0" }, "RATE_LIMIT_MAX"],
    [{ PUBLIC_URL: "ftp://files" }, "PUBLIC_URL"],
    [{ WEBHOOKS_ALLOW_PRIVATE: "sometimes" }, "WEBHOOKS_ALLOW_PRIVATE"],
    [{ WEBHOOK_TIMEOUT: "500" }, "WEBHOOK_TIMEOUT"],
    [{ WEBHOOK_RETRY_BASE: "0" }, "WEBHOOK_RETRY_BASE"],
    [{ STRIPE_FEE_PERCENT: "2.999" }, "STRIPE_FEE_PERCENT"],
    [{ STRIPE_FEE_PERCENT: "100" }, "STRIPE_FEE_PERCENT"],
    [{ STRIPE_FEE_FIXED: "0.3" }, "STRIPE_FEE_FIXED"],
    [{ CANDLE_FEE_PERCENT: "-1" }, "CANDLE_FEE_PERCENT"],
    [{ CONTRACT_SETTLEMENT_LEASE: "1" }, "CONTRACT_SETTLEMENT_LEASE"],
    [{ STOCK_HOLD_MINUTES: "0" }, "STOCK_HOLD_MINUTES"],
    [{ STOCK_HOLD_MAX_SHARE: "101" }, "STOCK_HOLD_MAX_SHARE"],
  ])("stops on %j, naming %s", (env, name) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    try {
      loadConfig(env);
    } catch (err) {
      expect((err as ConfigError).problems.join("\n")).toContain(name);
    }
  });

  it("reports every problem at once", () => {
    try {
      loadConfig({ PORT: "x", JWT_SECRET: "y" });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(2);
    }
  });

  it("reads TRUST_PROXY as true, false, or the proxies' addresses and ranges", () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: "no" }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: "10.0.0.5, 172.16.0.0/12,loopback,fd00::/8" }).trustProxy).toEqual(["10.0.0.5", "172.16.0.0/12", "loopback", "fd00::/8"]);
    for (const bad of ["proxy.local", "10.0.0.0/33", "10.0.0.1/8/1", "yes please"]) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(/TRUST_PROXY/);
    }
  });

  it("reads HTTPS: both TLS_CERT and TLS_KEY or neither, HSTS, and REQUIRE_HTTPS defaulting to production", () => {
    expect(loadConfig({})).toMatchObject({ tls: undefined, hstsMaxAge: 31_536_000, requireHttps: false });
    expect(loadConfig({ NODE_ENV: "production" }).requireHttps).toBe(true);
    expect(loadConfig({ NODE_ENV: "production", REQUIRE_HTTPS: "false" }).requireHttps).toBe(false);
    expect(loadConfig({ REQUIRE_HTTPS: "true" }).requireHttps).toBe(true);
    const tls = loadConfig({ TLS_CERT: "/etc/tls/cert.pem", TLS_KEY: "/etc/tls/key.pem", PORT: "8443" });
    expect(tls.tls).toEqual({ cert: "/etc/tls/cert.pem", key: "/etc/tls/key.pem" });
    expect(tls.publicUrl).toBe("https://localhost:8443");
    expect(() => loadConfig({ TLS_CERT: "/etc/tls/cert.pem" })).toThrow(/TLS_KEY/);
    expect(() => loadConfig({ TLS_KEY: "/etc/tls/key.pem" })).toThrow(/TLS_CERT/);
  });

  it("bounds the requests a node answers at once to 16 per core it may use, unless told", () => {
    expect(defaultMaxInFlight(2)).toBe(32);
    expect(defaultMaxInFlight(8)).toBe(128);
    expect(defaultMaxInFlight(0)).toBe(16);
    expect(loadConfig({}).load.maxInFlight).toBe(16 * os.availableParallelism());
    expect(loadConfig({ LOAD_MAX_IN_FLIGHT: "64" }).load.maxInFlight).toBe(64);
    expect(loadConfig({ LOAD_MAX_IN_FLIGHT: "0" }).load.maxInFlight).toBe(0);
  });

  it("bounds the connections a node accepts: four per request in flight, at least 1024, unless told", () => {
    expect(loadConfig({}).maxConnections).toBe(1024);
    expect(loadConfig({ LOAD_MAX_IN_FLIGHT: "1000" }).maxConnections).toBe(4000);
    expect(loadConfig({ LOAD_MAX_IN_FLIGHT: "0" }).maxConnections).toBe(0);
    expect(loadConfig({ MAX_CONNECTIONS: "50" }).maxConnections).toBe(50);
    expect(loadConfig({ MAX_CONNECTIONS: "0" }).maxConnections).toBe(0);
  });
});
