import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import { bearer, createTestContext, TEST_JWT_SECRET, type TestContext, type TestPlatform } from "../helpers/app.js";
import { createTestDatabase } from "../helpers/database.js";
import { runScript } from "../helpers/process.js";
import { startReceiver, type Receiver, type ReceivedRequest } from "../helpers/receiver.js";

/**
 * No delivery is lost across a restart: deliveries and their jobs commit with the event, and a
 * send cut short — by a graceful shutdown or by a killed process — is made again by the next node.
 * Each test builds nodes on one database of its own, one after the other.
 */
const ENV = { WEBHOOKS_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_BASE: "1" };

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let receiver: Receiver;
const contexts: TestContext[] = [];

beforeEach(async () => {
  database = await createTestDatabase();
  receiver = await startReceiver();
});
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  await receiver.close();
  await connectionsClosed(database.url);
  await database.drop();
});

/**
 * Closed pools finish hanging up in the background; dropping the database (WITH FORCE) under a
 * connection still hanging up makes its client emit an error nobody listens to any more.
 */
async function connectionsClosed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await expect
      .poll(async () => (await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")).rows[0].n, {
        timeout: 10_000,
      })
      .toBe(0);
  } finally {
    await client.end();
  }
}

async function node(env: Record<string, string>): Promise<TestContext> {
  const c = await createTestContext({ ...ENV, ...env }, { sharedDatabaseUrl: database.url });
  contexts.push(c);
  return c;
}

const emailOf = (r: ReceivedRequest) => (JSON.parse(r.body) as { data: { object: { email?: string } } }).data.object.email;

async function setUp(c: TestContext): Promise<{ platform: TestPlatform; endpointId: string; createUser(email: string): Promise<void> }> {
  const platform = await c.createPlatform();
  const res = await c.request({ method: "POST", url: "/v1/webhooks", headers: bearer(platform.apiKey), payload: { url: `${receiver.url}/hook`, events: ["user.created"] } });
  expect(res.statusCode).toBe(201);
  return {
    platform,
    endpointId: res.json().id,
    async createUser(email) {
      expect((await c.request({ method: "POST", url: "/v1/users", headers: bearer(platform.apiKey), payload: { email } })).statusCode).toBe(201);
    },
  };
}

const deliveryStates = (c: TestContext, endpointId: string) =>
  c.db.webhookDelivery.findMany({ where: { endpointId }, orderBy: { seq: "asc" }, select: { status: true, attempts: true, error: true } });

describe("no delivery lost across a restart", () => {
  it("a node closed with deliveries queued: the next node on the database sends them, in order", async () => {
    const first = await node({ JOBS_WORKER: "false" });
    const { endpointId, createUser } = await setUp(first);
    for (const who of ["one", "two", "three"]) await createUser(`${who}@example.com`);
    await first.app.close();
    expect(receiver.requests).toHaveLength(0);
    expect((await deliveryStates(first, endpointId)).map((d) => d.status)).toEqual(["pending", "pending", "pending"]);

    const second = await node({ JOBS_WORKER: "true" });
    const requests = await receiver.waitFor(3);
    expect(requests.map(emailOf)).toEqual(["one@example.com", "two@example.com", "three@example.com"]);
    await expect
      .poll(async () => (await deliveryStates(second, endpointId)).map((d) => [d.status, d.attempts]))
      .toEqual([
        ["succeeded", 1],
        ["succeeded", 1],
        ["succeeded", 1],
      ]);
  });

  it("a send cut short by a graceful shutdown is made again by the next node, before the ones behind it", async () => {
    receiver.answer(() => "hang");
    const first = await node({ JOBS_WORKER: "true", WEBHOOK_TIMEOUT: "20000" });
    const { endpointId, createUser } = await setUp(first);
    await createUser("inflight@example.com");
    await receiver.waitFor(1);
    await createUser("queued@example.com");
    // The worker gives running jobs a few seconds, then aborts them: the send is interrupted, not failed.
    await first.app.close();
    expect(await deliveryStates(first, endpointId)).toEqual([
      { status: "pending", attempts: 1, error: "interrupted: the worker shut down" },
      { status: "pending", attempts: 0, error: null },
    ]);

    receiver.answer(() => ({ status: 200 }));
    const second = await node({ JOBS_WORKER: "true" });
    const requests = await receiver.waitFor(3);
    expect(requests.map(emailOf)).toEqual(["inflight@example.com", "inflight@example.com", "queued@example.com"]);
    expect(requests[0]!.headers["candle-delivery-id"]).toBe(requests[1]!.headers["candle-delivery-id"]);
    await expect
      .poll(async () => (await deliveryStates(second, endpointId)).map((d) => [d.status, d.attempts]))
      .toEqual([
        ["succeeded", 2],
        ["succeeded", 1],
      ]);
  });

  it("a node killed mid-send: once its lease lapses, the sweep hands the delivery to another node", async () => {
    const setup = await node({ JOBS_WORKER: "false" });
    const { endpointId, createUser } = await setUp(setup);
    receiver.answer(() => "hang");

    // A real server process works the queue, and is killed (SIGKILL) while its request is in flight.
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), "candle-webhook-kill-"));
    const server = runScript("src/server.ts", [], {
      ...ENV,
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      DATABASE_URL: database.url,
      JWT_SECRET: TEST_JWT_SECRET,
      SEED_DEMO_PLATFORM: "false",
      WEBHOOK_TIMEOUT: "20000",
      LOG_LEVEL: "info",
    });
    try {
      await server.waitFor(/Server listening/, 90_000);
      await createUser("inflight@example.com");
      await receiver.waitFor(1);
      await createUser("queued@example.com");
      server.child.kill("SIGKILL");
      await server.exited;
    } finally {
      server.child.kill("SIGKILL");
      await fs.rm(dataDir, { recursive: true, force: true });
    }
    expect((await deliveryStates(setup, endpointId)).map((d) => [d.status, d.attempts])).toEqual([
      ["pending", 1],
      ["pending", 0],
    ]);
    const lease = await setup.db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId }, select: { deliveryLeaseUntil: true } });
    expect(lease.deliveryLeaseUntil!.getTime()).toBeGreaterThan(Date.now());

    receiver.answer(() => ({ status: 200 }));
    const second = await node({ JOBS_WORKER: "true" });
    // While the dead node's lease holds, nobody sends for the endpoint.
    await second.db.$executeRaw`SELECT graphile_worker.add_job('sweep-webhooks')`;
    await expect
      .poll(async () => Number((await second.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'sweep-webhooks'`)[0]!.n))
      .toBe(0);
    expect(receiver.requests).toHaveLength(1);

    // The lease lapses (timeout + 30 s after the last send began): the next sweep — every minute — finds the endpoint.
    await second.db.$executeRaw`UPDATE webhook_endpoints SET delivery_lease_until = now() - interval '1 second' WHERE id = ${endpointId}`;
    await second.db.$executeRaw`SELECT graphile_worker.add_job('sweep-webhooks')`;
    const requests = await receiver.waitFor(3);
    expect(requests.map(emailOf)).toEqual(["inflight@example.com", "inflight@example.com", "queued@example.com"]);
    await expect
      .poll(async () => (await deliveryStates(second, endpointId)).map((d) => [d.status, d.attempts]))
      .toEqual([
        ["succeeded", 2],
        ["succeeded", 1],
      ]);
    // A server process boots within it (up to 90 s on a loaded machine): more than the default 30 s.
  }, 180_000);
});
