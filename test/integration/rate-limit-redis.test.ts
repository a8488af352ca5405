import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RedisRateLimitStore } from "../../src/adapters/rate-limit/redis.js";
import { bearer, createTestContext, type TestContext } from "../helpers/app.js";
import { startRedis } from "../helpers/redis.js";

let redis: Awaited<ReturnType<typeof startRedis>>;
let nodeA: TestContext;
let nodeB: TestContext;

beforeAll(async () => {
  redis = await startRedis();
  const store = async () => {
    const s = new RedisRateLimitStore(redis.url);
    await s.connect();
    return s;
  };
  // Two app instances, as two nodes would be, sharing counters through one Redis.
  nodeA = await createTestContext({ RATE_LIMIT_MAX: "4", RATE_LIMIT_IP_MAX: "100" }, { rateLimitStore: await store() });
  nodeB = await createTestContext({ RATE_LIMIT_MAX: "4", RATE_LIMIT_IP_MAX: "100" }, { rateLimitStore: await store(), sharedDatabaseUrl: nodeA.databaseUrl });
});
afterAll(async () => {
  await nodeB?.close().catch(() => {});
  await nodeA?.close();
  await redis?.stop();
});

describe("Redis rate-limit store (REDIS_URL)", () => {
  it("shares one window between nodes", async () => {
    const platform = await nodeA.createPlatform();
    const statuses: number[] = [];
    for (const node of [nodeA, nodeB, nodeA, nodeB, nodeA, nodeB]) {
      statuses.push((await node.request({ method: "GET", url: "/v1/platforms", headers: bearer(platform.apiKey) })).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it("counts parallel hits exactly and reports the window's reset", async () => {
    const store = new RedisRateLimitStore(redis.url);
    await store.connect();
    const hits = await Promise.all(Array.from({ length: 50 }, () => store.hit("parallel", 30_000)));
    expect(hits.map((h) => h.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const h of hits) {
      expect(h.resetInMs).toBeGreaterThan(0);
      expect(h.resetInMs).toBeLessThanOrEqual(30_000);
    }
    await store.close();
  });

  it("starts a new window once the old one ends", async () => {
    const store = new RedisRateLimitStore(redis.url);
    await store.connect();
    await store.hit("short", 100);
    await store.hit("short", 100);
    await new Promise((r) => setTimeout(r, 150));
    expect((await store.hit("short", 100)).count).toBe(1);
    await store.close();
  });
});
