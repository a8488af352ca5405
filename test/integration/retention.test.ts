import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { CRONTAB } from "../../src/jobs/worker.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";

/** Events are pruned after EVENT_RETENTION_DAYS; the offline simulator's idempotency keys after 24 h. Dates are moved in the database. */
let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext({ EVENT_RETENTION_DAYS: "10", WEBHOOKS_ALLOW_PRIVATE: "true" });
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

const runTask = (name: string) => (t.app.services.tasks[name] as (payload: unknown, helpers: unknown) => Promise<void>)({}, {});
const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);

async function createUser(email: string): Promise<string> {
  const res = await t.request({ method: "POST", url: "/v1/users", headers: bearer(acme.apiKey), payload: { email } });
  expect(res.statusCode).toBe(201);
  return res.json().id;
}

describe("event retention", () => {
  it("is configurable, and never shorter than a delivery's 3 days of retries", () => {
    expect(loadConfig({}).eventRetentionDays).toBe(30);
    expect(() => loadConfig({ EVENT_RETENTION_DAYS: "3" })).toThrow(/EVENT_RETENTION_DAYS/);
    expect(CRONTAB).toMatch(/ prune-events$/m);
  });

  it("prune-events deletes the events older than EVENT_RETENTION_DAYS, with their deliveries, and keeps the rest", async () => {
    const endpoint = (await t.request({ method: "POST", url: "/v1/webhooks", headers: bearer(acme.apiKey), payload: { url: "http://127.0.0.1:9/hook", events: ["*"] } })).json();
    const oldUser = await createUser("old@acme.test");
    const edgeUser = await createUser("edge@acme.test");
    const newUser = await createUser("new@acme.test");
    await t.db.event.updateMany({ where: { objectId: oldUser }, data: { created: daysAgo(11) } });
    await t.db.event.updateMany({ where: { objectId: edgeUser }, data: { created: daysAgo(9) } });
    const oldEvents = await t.db.event.findMany({ where: { objectId: oldUser } });
    expect(oldEvents.length).toBeGreaterThan(0);
    expect(await t.db.webhookDelivery.count({ where: { eventId: { in: oldEvents.map((e) => e.id) } } })).toBeGreaterThan(0);

    await runTask("prune-events");

    expect(await t.db.event.count({ where: { objectId: oldUser } })).toBe(0);
    expect(await t.db.webhookDelivery.count({ where: { eventId: { in: oldEvents.map((e) => e.id) } } })).toBe(0);
    expect(await t.db.event.count({ where: { objectId: edgeUser } })).toBeGreaterThan(0);
    expect(await t.db.event.count({ where: { objectId: newUser } })).toBeGreaterThan(0);
    const res = await t.request({ method: "GET", url: `/v1/events/${oldEvents[0]!.id}`, headers: bearer(acme.apiKey) });
    expect(res.statusCode).toBe(404);
    // The endpoint itself stays.
    expect((await t.request({ method: "GET", url: `/v1/webhooks/${endpoint.id}`, headers: bearer(acme.apiKey) })).statusCode).toBe(200);
  });

  it("deletes in batches, however many there are", async () => {
    for (let i = 0; i < 5; i += 1) await createUser(`batch${i}@acme.test`);
    await t.db.event.updateMany({ where: { type: "user.created", objectId: { not: "" } }, data: { created: daysAgo(20) } });
    const { pruneEvents } = await import("../../src/modules/events/events.service.js");
    expect(await pruneEvents(t.db, daysAgo(10), 2)).toBeGreaterThanOrEqual(5);
    expect(await t.db.event.count({ where: { type: "user.created" } })).toBe(0);
  });
});

describe("the offline simulator's idempotency keys", () => {
  it("are swept by sweep-idempotency once past their 24 hours; a key swept runs anew", async () => {
    const payments = t.app.services.payments;
    const first = await payments.createCustomer({ email: "sim@acme.test", metadata: {}, idempotencyKey: "retention-old" });
    const fresh = await payments.createCustomer({ email: "sim2@acme.test", metadata: {}, idempotencyKey: "retention-fresh" });
    expect((await payments.createCustomer({ email: "sim@acme.test", metadata: {}, idempotencyKey: "retention-old" })).id).toBe(first.id);
    await t.db.simIdempotencyKey.update({ where: { key: "retention-old" }, data: { created: new Date(Date.now() - 25 * 3_600_000) } });

    await runTask("sweep-idempotency");

    expect(await t.db.simIdempotencyKey.findUnique({ where: { key: "retention-old" } })).toBeNull();
    expect(await t.db.simIdempotencyKey.findUnique({ where: { key: "retention-fresh" } })).not.toBeNull();
    expect((await payments.createCustomer({ email: "sim2@acme.test", metadata: {}, idempotencyKey: "retention-fresh" })).id).toBe(fresh.id);
    expect((await payments.createCustomer({ email: "sim@acme.test", metadata: {}, idempotencyKey: "retention-old" })).id).not.toBe(first.id);
  });
});
