import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, okContract, onboardSeller, simulatorCounts } from "../helpers/contracts.js";

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

const createKey = (key: string, body: Record<string, unknown> = { name: "k" }, headers: Record<string, string> = bearer(acme.apiKey)) =>
  t.request({ method: "POST", url: `/v1/platforms/${acme.id}/keys`, headers: { ...headers, "idempotency-key": key }, payload: body });

const keyCount = () => t.db.apiKey.count({ where: { platformId: acme.id } });

describe("Idempotency-Key", () => {
  it("replays the first answer to a retry, without doing the work twice", async () => {
    const before = await keyCount();
    const first = await createKey("replay-1");
    const second = await createKey("replay-1");
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.body).toBe(first.body);
    expect(second.headers["idempotent-replayed"]).toBe("true");
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(await keyCount()).toBe(before + 1);
  });

  it("treats a reordered but equal body as the same request", async () => {
    const first = await createKey("reorder", { name: "same" });
    const second = await t.request({
      method: "POST",
      url: `/v1/platforms/${acme.id}/keys`,
      headers: { ...bearer(acme.apiKey), "idempotency-key": "reorder", "content-type": "application/json" },
      payload: '{ "name" : "same" }',
    });
    expect(second.body).toBe(first.body);
  });

  it("is 422 when the key comes back with a different body, and does nothing", async () => {
    await createKey("reused", { name: "one" });
    const before = await keyCount();
    const res = await createKey("reused", { name: "two" });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ type: "idempotency_error", code: "idempotency_key_reused" });
    expect(await keyCount()).toBe(before);
  });

  it("is 422 for another body even while the first request is still running", async () => {
    // The first request is running on another node: its record exists but has no answer yet.
    const scope = acme.id;
    await t.db.idempotencyRecord.create({
      data: {
        id: newId("idempotency"),
        scope,
        platformId: acme.id,
        mode: "test",
        key: "in-flight",
        method: "POST",
        path: `/v1/platforms/${acme.id}/keys`,
        requestHash: "whatever",
        expires: new Date(Date.now() + 60_000),
      },
    });
    const before = await keyCount();
    const res = await createKey("in-flight", { name: "whatever" });
    expect(res.statusCode).toBe(422);
    const hash = (await t.db.idempotencyRecord.findFirstOrThrow({ where: { key: "in-flight" } })).requestHash;
    expect(hash).toBe("whatever");
    expect(await keyCount()).toBe(before);
  });

  it("answers 409 to a same-body retry of a running request", async () => {
    // Record a real first attempt, then mark it as still running.
    await createKey("running");
    await t.db.idempotencyRecord.updateMany({ where: { key: "running" }, data: { completed: null, responseStatus: null, responseBody: null } });
    const before = await keyCount();
    const res = await createKey("running");
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("idempotency_request_in_progress");
    expect(await keyCount()).toBe(before);
  });

  it("lets a retry take over a request whose node died", async () => {
    await createKey("stale");
    await t.db.idempotencyRecord.updateMany({
      where: { key: "stale" },
      data: { completed: null, responseStatus: null, responseBody: null, created: new Date(Date.now() - 5 * 60_000) },
    });
    const res = await createKey("stale");
    expect(res.statusCode).toBe(201);
  });

  it("runs one of many parallel duplicates; the others are replays or 409s", async () => {
    const before = await keyCount();
    const answers = await Promise.all(Array.from({ length: 8 }, () => createKey("parallel")));
    expect(await keyCount()).toBe(before + 1);
    const created = answers.filter((a) => a.statusCode === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.json().id)).size).toBe(1);
    for (const a of answers) expect([201, 409]).toContain(a.statusCode);
  });

  it("keeps keys apart per platform and per user", async () => {
    const other = await t.createPlatform();
    const a = await createKey("shared-key");
    const b = await t.request({
      method: "POST",
      url: `/v1/platforms/${other.id}/keys`,
      headers: { ...bearer(other.apiKey), "idempotency-key": "shared-key" },
      payload: { name: "k" },
    });
    expect(b.statusCode).toBe(201);
    expect(b.json().id).not.toBe(a.json().id);
  });

  it("expires after 24 hours", async () => {
    const first = await createKey("old");
    await t.db.idempotencyRecord.updateMany({ where: { key: "old" }, data: { expires: new Date(Date.now() - 1000) } });
    const second = await createKey("old");
    expect(second.statusCode).toBe(201);
    expect(second.json().id).not.toBe(first.json().id);
  });

  it("does not record requests that failed validation", async () => {
    const bad = await createKey("validate", { name: "x", nope: true });
    expect(bad.statusCode).toBe(400);
    expect(await t.db.idempotencyRecord.count({ where: { key: "validate" } })).toBe(0);
    const good = await createKey("validate", { name: "x" });
    expect(good.statusCode).toBe(201);
  });

  it("replays error answers too", async () => {
    const res1 = await t.request({
      method: "POST",
      url: `/v1/platforms/plat_00000000000000000000000000000000/keys`,
      headers: { ...bearer(acme.apiKey), "idempotency-key": "err" },
    });
    const res2 = await t.request({
      method: "POST",
      url: `/v1/platforms/plat_00000000000000000000000000000000/keys`,
      headers: { ...bearer(acme.apiKey), "idempotency-key": "err" },
    });
    expect(res1.statusCode).toBe(404);
    expect(res2.statusCode).toBe(404);
    expect(res2.headers["idempotent-replayed"]).toBe("true");
  });

  it("is 400 for a malformed key", async () => {
    const res = await createKey("x".repeat(256));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe("Idempotency-Key");
  });
});

describe("Idempotency-Key on PUT, PATCH and DELETE", () => {
  let seller: TestUser;
  beforeAll(async () => {
    seller = await t.createUser(acme, "member");
    await onboardSeller(t, acme, seller.id);
  });

  async function buyerWithCard(): Promise<TestUser> {
    const user = await t.createUser(acme, "member");
    await addCard(t, acme, user.id);
    return user;
  }

  async function contractFor(buyer: TestUser) {
    const res = await t.request({
      method: "POST",
      url: "/v1/contracts",
      headers: bearer(acme.apiKey),
      payload: { items: [{ user_id: seller.id, price: 4200 }], buyers: [{ user_id: buyer.id }] },
    });
    return okContract(res, 201);
  }

  const withKey = (key: string, headers: Record<string, string> = bearer(acme.apiKey)) => ({ ...headers, "idempotency-key": key });

  it("PUT settle: the retry of a lost answer gets the first 200 again, and the card is charged once", async () => {
    const buyer = await buyerWithCard();
    const c = await contractFor(buyer);
    const first = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: withKey(`settle-${c.id}`) });
    const retry = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: withKey(`settle-${c.id}`) });
    expect(okContract(first).status).toBe("paid");
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toBe(first.body);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
    expect((await simulatorCounts(t, c.id)).succeeded).toHaveLength(1);
    // Without the key, a second settle is still the state rule's 409.
    expect((await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: bearer(acme.apiKey) })).statusCode).toBe(409);
  });

  it("PUT: the same key on another route, or with another body, is 422 and does nothing", async () => {
    const buyer = await buyerWithCard();
    const c = await contractFor(buyer);
    const other = await contractFor(buyer);
    await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: withKey("put-reused") });
    const res = await t.request({ method: "PUT", url: `/v1/contracts/${other.id}/settle`, headers: withKey("put-reused") });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe("idempotency_key_reused");
    expect((await simulatorCounts(t, other.id)).succeeded).toHaveLength(0);
  });

  it("PUT: a same-key retry while the first still runs is 409 in progress", async () => {
    const buyer = await buyerWithCard();
    const c = await contractFor(buyer);
    await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: withKey("put-running") });
    await t.db.idempotencyRecord.updateMany({ where: { key: "put-running" }, data: { completed: null, responseStatus: null, responseBody: null } });
    const res = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: withKey("put-running") });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("idempotency_request_in_progress");
  });

  it("DELETE: a retried revoke answers the first 200 instead of an error", async () => {
    const created = (await createKey("to-revoke")).json();
    const url = `/v1/platforms/${acme.id}/keys/${created.id}`;
    const first = await t.request({ method: "DELETE", url, headers: withKey("revoke-1") });
    const retry = await t.request({ method: "DELETE", url, headers: withKey("revoke-1") });
    expect(first.statusCode, first.body).toBe(200);
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toBe(first.body);
    expect(retry.headers["idempotent-replayed"]).toBe("true");
  });

  it("subscription pause, resume and end: each retry replays the first answer", async () => {
    const buyer = await buyerWithCard();
    const c = await contractFor(buyer);
    const subscribed = await t.request({ method: "POST", url: `/v1/subscriptions/auth/contract/${c.id}`, headers: bearer(buyer.token) });
    expect(subscribed.statusCode, subscribed.body).toBe(201);
    const id = subscribed.json().id as string;
    const steps = [
      { method: "PUT", url: `/v1/subscriptions/${id}/pause`, headers: bearer(acme.apiKey) },
      { method: "PUT", url: `/v1/subscriptions/auth/${id}/resume`, headers: bearer(buyer.token) },
      { method: "DELETE", url: `/v1/subscriptions/auth/${id}`, headers: bearer(buyer.token) },
    ] as const;
    for (const [i, step] of steps.entries()) {
      const first = await t.request({ method: step.method, url: step.url, headers: withKey(`sub-${id}-${i}`, step.headers) });
      const retry = await t.request({ method: step.method, url: step.url, headers: withKey(`sub-${id}-${i}`, step.headers) });
      expect(first.statusCode, `${step.method} ${step.url}: ${first.body}`).toBe(200);
      expect(retry.statusCode, `${step.method} ${step.url}`).toBe(200);
      expect(retry.body).toBe(first.body);
      expect(retry.headers["idempotent-replayed"]).toBe("true");
    }
    expect((await t.db.subscription.findUniqueOrThrow({ where: { id } })).ended).not.toBeNull();
  });
});
