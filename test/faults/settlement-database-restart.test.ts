import fs from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/lib/scratch-postgres.js";
import type { PaymentsGateway } from "../../src/adapters/payments/gateway.js";
import { makeScratchDir, startEmbeddedPostgres, type EmbeddedPostgresHandle } from "../../src/db/embedded.js";
import { migrate } from "../../src/db/migrator.js";
import { grantAppRole } from "../../src/db/roles.js";
import { migrateJobQueue } from "../../src/jobs/worker.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { addCard, onboardSeller, okContract, simulatorCounts } from "../helpers/contracts.js";

/**
 * PostgreSQL restarting under a running node, in the middle of a settlement: Stripe charged the
 * buyer, then the database went away before the charge was recorded. The settler cannot release
 * its lease; the node frees it once the database answers again and the job worker resumes the
 * settlement at once — not when the lease lapses (five minutes here, so only the resume can do it).
 * The charge made before the outage is recorded from Stripe's answer to the same key, not made again.
 */

let pgDir: string;
let pgPort: number;
let pg: EmbeddedPostgresHandle;
let t: TestContext;
let acme: TestPlatform;
let sam: TestUser;
let bob: TestUser;
let afterCharge: (() => Promise<void>) | undefined;

function withFault(gateway: PaymentsGateway): PaymentsGateway {
  return {
    ...gateway,
    async createPaymentIntent(input) {
      const intent = await gateway.createPaymentIntent(input);
      await afterCharge?.();
      return intent;
    },
  };
}

beforeAll(async () => {
  pgDir = await makeScratchDir("candle-settle-restart-pg-");
  pgPort = await freePort();
  pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
  await migrate({ connectionString: pg.url });
  await migrateJobQueue(pg.url, { debug() {}, info() {}, warn() {}, error: console.error });
  await grantAppRole(pg.url);
  t = await createTestContext({ JOBS_WORKER: "true", CONTRACT_SETTLEMENT_LEASE: "300" }, { sharedDatabaseUrl: pg.url, payments: withFault });
  acme = await t.createPlatform({ name: "Acme" });
  sam = await t.createUser(acme, "member");
  bob = await t.createUser(acme, "member");
  await onboardSeller(t, acme, sam.id);
  await addCard(t, acme, bob.id);
}, 120_000);

afterAll(async () => {
  await t?.close();
  await pg?.stop();
  await fs.rm(pgDir, { recursive: true, force: true });
});

describe("a settlement cut off by PostgreSQL restarting", () => {
  it("is resumed as soon as the database is back, not when its lease lapses, and charges the buyer once", async () => {
    const key = bearer(acme.apiKey);
    const c = okContract(
      await t.request({ method: "POST", url: "/v1/contracts", headers: key, payload: { items: [{ user_id: sam.id, price: 10000 }], buyers: [{ user_id: bob.id }] } }),
      201,
    );
    afterCharge = async () => {
      afterCharge = undefined;
      await pg.stop();
    };
    const cut = await t.request({ method: "PUT", url: `/v1/contracts/${c.id}/settle`, headers: key });
    expect(cut.statusCode, cut.body).toBe(503);
    expect(cut.json().error.code).toBe("database_unavailable");

    pg = await startEmbeddedPostgres({ dataDir: pgDir, port: pgPort });
    // The lease (300 s) would hold it far longer than this wait: only the resume settles it.
    await expect.poll(async () => (await t.db.contract.findUniqueOrThrow({ where: { id: c.id } })).status, { timeout: 60_000, interval: 100 }).toBe("paid");

    const row = await t.db.contract.findUniqueOrThrow({ where: { id: c.id } });
    expect([row.settlementLeaseId, row.settlementLockedUntil]).toEqual([null, null]);
    const sim = await simulatorCounts(t, c.id);
    expect(sim.succeeded.map((i) => i.amount)).toEqual([10000]);
    expect(sim.transfers).toHaveLength(1);
    const incoming = await t.db.transaction.count({ where: { contractId: c.id, type: "incoming" } });
    expect(incoming).toBe(1);
  }, 120_000);
});
