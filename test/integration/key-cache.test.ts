import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/**
 * API key lookups are cached per node (AUTH_CACHE_TTL) and invalidated on every node through
 * LISTEN/NOTIFY when a key is revoked or its platform changes.
 */
let nodeA: TestContext;
let nodeB: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  nodeA = await createTestContext({ AUTH_CACHE_TTL: "300" });
  nodeB = await createTestContext({ AUTH_CACHE_TTL: "300" }, { sharedDatabaseUrl: nodeA.databaseUrl });
  acme = await nodeA.createPlatform({ name: "Acme" });
});
afterAll(async () => {
  await nodeB.close();
  await nodeA.close();
});

const get = (node: TestContext, key: string) => node.request({ method: "GET", url: "/v1/platforms", headers: bearer(key) });

/** Proves node B answers `key` from its cache: the row changes behind its back and B does not notice. */
async function cachedOnB(key: string, keyId: string): Promise<void> {
  await expect
    .poll(
      async () => {
        await get(nodeB, key);
        await nodeA.db.apiKey.update({ where: { id: keyId }, data: { revoked: new Date() } });
        const status = (await get(nodeB, key)).statusCode;
        await nodeA.db.apiKey.update({ where: { id: keyId }, data: { revoked: null } });
        return status;
        // Each try is four round trips: on a loaded machine one can outlast the default second.
      },
      { timeout: 20_000, interval: 50 },
    )
    .toBe(200);
}

describe("the API key cache", () => {
  it("serves keys from memory once read", async () => {
    const created = (await nodeA.request({ method: "POST", url: `/v1/platforms/${acme.id}/keys`, headers: bearer(acme.apiKey) })).json();
    await cachedOnB(created.secret, created.id);
  });

  it("forgets a key on every node as soon as its revocation commits", async () => {
    const created = (await nodeA.request({ method: "POST", url: `/v1/platforms/${acme.id}/keys`, headers: bearer(acme.apiKey) })).json();
    await cachedOnB(created.secret, created.id);
    const revoke = await nodeA.request({ method: "DELETE", url: `/v1/platforms/${acme.id}/keys/${created.id}`, headers: bearer(acme.apiKey) });
    expect(revoke.statusCode).toBe(200);
    expect((await get(nodeA, created.secret)).statusCode).toBe(401);
    await expect.poll(async () => (await get(nodeB, created.secret)).statusCode, { timeout: 2_000, interval: 20 }).toBe(401);
  });

  it("forgets a platform's cached settings on every node when they change", async () => {
    const created = (await nodeA.request({ method: "POST", url: `/v1/platforms/${acme.id}/keys`, headers: bearer(acme.apiKey) })).json();
    await cachedOnB(created.secret, created.id);
    const estimate = async () =>
      (await nodeB.request({ method: "POST", url: "/v1/utils/estimate/fee", headers: bearer(created.secret), payload: { amount: 10_000 } })).json().platformFee;
    expect(await estimate()).toBe(0);
    await nodeA.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: bearer(acme.apiKey), payload: { platformFee: 2.5 } });
    // The estimate prices with the platform the key resolved to — node B's cached copy until told.
    await expect.poll(estimate, { timeout: 2_000, interval: 20 }).toBe(250);
  });

  it("is off with AUTH_CACHE_TTL=0", async () => {
    const uncached = await createTestContext({ AUTH_CACHE_TTL: "0" }, { sharedDatabaseUrl: nodeA.databaseUrl });
    try {
      const created = (await nodeA.request({ method: "POST", url: `/v1/platforms/${acme.id}/keys`, headers: bearer(acme.apiKey) })).json();
      expect((await get(uncached, created.secret)).statusCode).toBe(200);
      await nodeA.db.apiKey.update({ where: { id: created.id }, data: { revoked: new Date() } });
      expect((await get(uncached, created.secret)).statusCode).toBe(401);
    } finally {
      await uncached.close();
    }
  });
});
