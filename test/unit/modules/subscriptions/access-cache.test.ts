import { describe, expect, it } from "vitest";
import { KeyCache, SessionCache } from "../../../../src/modules/auth/index.js";
import { SubscriptionAccessCache } from "../../../../src/modules/subscriptions/index.js";

/** The subscription access cache's own rules (the integration test proves the NOTIFY path end to end). */
describe("SubscriptionAccessCache", () => {
  const live = () => {
    const cache = new SubscriptionAccessCache(60_000);
    cache.setLive(true);
    return cache;
  };

  it("answers per user and plan, and forgets a user's answers on subscriber: and user: messages only", () => {
    const cache = live();
    cache.set("user_a", "prod_plan", true, cache.mark());
    cache.set("user_a", "inv_other", false, cache.mark());
    cache.set("user_b", "prod_plan", true, cache.mark());
    expect(cache.get("user_a", "prod_plan")).toBe(true);
    expect(cache.get("user_a", "inv_other")).toBe(false);
    for (const message of ["key:abc", "session:rtok_1", "platform:plat_1"]) cache.invalidate(message);
    expect(cache.get("user_a", "prod_plan")).toBe(true);
    cache.invalidate("subscriber:user_a");
    expect(cache.get("user_a", "prod_plan")).toBeUndefined();
    expect(cache.get("user_a", "inv_other")).toBeUndefined();
    expect(cache.get("user_b", "prod_plan")).toBe(true);
    cache.invalidate("user:user_b");
    expect(cache.get("user_b", "prod_plan")).toBeUndefined();
  });

  it("does not keep an answer read before an eviction, nor anything while it cannot hear evictions", () => {
    const cache = live();
    const mark = cache.mark();
    cache.invalidate("subscriber:user_a");
    cache.set("user_a", "prod_plan", true, mark);
    expect(cache.get("user_a", "prod_plan")).toBeUndefined();
    cache.set("user_a", "prod_plan", true, cache.mark());
    cache.setLive(false);
    expect(cache.get("user_a", "prod_plan")).toBeUndefined();
    cache.set("user_a", "prod_plan", true, cache.mark());
    expect(cache.get("user_a", "prod_plan")).toBeUndefined();
  });

  it("an unknown message clears everything; the key and session caches ignore subscriber: messages", () => {
    const cache = live();
    cache.set("user_a", "prod_plan", true, cache.mark());
    cache.invalidate("something-new:1");
    expect(cache.get("user_a", "prod_plan")).toBeUndefined();

    const keys = new KeyCache(60_000);
    keys.setLive(true);
    const platform = { id: "plat_1" } as never;
    keys.set({ apiKeyId: "key_1", hash: "h", keyMode: "test", revoked: null, lastUsed: null, scopes: [], platform });
    const sessions = new SessionCache(60_000);
    sessions.setLive(true);
    sessions.set({ sessionId: "s", userId: "user_a", role: "member", platform }, sessions.mark());
    keys.invalidate("subscriber:user_a");
    sessions.invalidate("subscriber:user_a");
    expect(keys.get("h")).toBeDefined();
    expect(sessions.get("s")).toBeDefined();
  });
});
