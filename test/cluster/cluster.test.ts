import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { settlementBooks } from "../../src/modules/settlement/index.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { startCluster, type Cluster, type ClusterNode } from "../helpers/cluster.js";
import { addCard, okContract, onboardSeller, simulatorCounts, type Json } from "../helpers/contracts.js";
import { codeOf } from "../helpers/smtp.js";

/**
 * Two real API processes on one database, one Redis and one SMTP server (`npm run test:cluster`
 * runs this file alone): what one node starts, the other finishes, and what must happen once
 * happens once.
 */

const RATE_LIMIT = 20;
/** Seconds a settler holds a contract's lease: short, so a dead node's settlement is taken over within seconds. */
const SETTLEMENT_LEASE = 5;

let t: TestContext;
let cluster: Cluster;
let A: ClusterNode;
let B: ClusterNode;

beforeAll(async () => {
  t = await createTestContext();
  cluster = await startCluster({
    databaseUrl: t.databaseUrl,
    env: {
      RATE_LIMIT_MAX: String(RATE_LIMIT),
      RATE_LIMIT_IP_MAX: "100000",
      OTP_IP_MAX: "100000",
      CONTRACT_SETTLEMENT_LEASE: String(SETTLEMENT_LEASE),
    },
  });
  [A, B] = cluster.nodes as [ClusterNode, ClusterNode];
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  await t?.close();
});

async function platform(name: string): Promise<TestPlatform> {
  return t.createPlatform({ name });
}

describe("sign-in across nodes", () => {
  it("a code asked on node A is verified on node B, and the session refreshes on A", async () => {
    const acme = await platform("Sign-in");
    const email = "traveller@example.com";
    const asked = await A.request({ method: "POST", path: "/v1/auth/otp/email", headers: bearer(acme.apiKey), body: { email } });
    expect(asked.status).toBe(200);
    const code = codeOf(await cluster.smtp.waitFor(email, () => true, 30_000));

    const verified = await B.request({ method: "POST", path: "/v1/auth/otp/verify", headers: bearer(acme.apiKey), body: { email, token: code } });
    expect(verified.status, verified.body).toBe(200);
    const session = verified.json();
    expect((await A.request({ method: "GET", path: "/v1/users/auth", headers: bearer(session.token) })).status).toBe(200);

    const refreshed = await A.request({ method: "POST", path: "/v1/auth/session/refresh", headers: bearer(acme.apiKey), body: { refreshToken: session.refreshToken } });
    expect(refreshed.status, refreshed.body).toBe(200);
    expect((await B.request({ method: "GET", path: "/v1/users/auth", headers: bearer(refreshed.json().token) })).json().email).toBe(email);

    // The spent refresh token, replayed on the other node, is seen as reuse there too.
    const replayed = await B.request({ method: "POST", path: "/v1/auth/session/refresh", headers: bearer(acme.apiKey), body: { refreshToken: session.refreshToken } });
    expect(replayed.status).toBe(401);
    expect(replayed.json().error.code).toBe("refresh_token_reused");
  });

  it("a code works once, whichever node it is tried on", async () => {
    const acme = await platform("Single use");
    const email = "once@example.com";
    await B.request({ method: "POST", path: "/v1/auth/otp/email", headers: bearer(acme.apiKey), body: { email } });
    const code = codeOf(await cluster.smtp.waitFor(email, () => true, 30_000));
    const [first, second] = await Promise.all(
      [A, B].map((node) => node.request({ method: "POST", path: "/v1/auth/otp/verify", headers: bearer(acme.apiKey), body: { email, token: code } })),
    );
    expect([first!.status, second!.status].sort()).toEqual([200, 401]);
  });
});

describe("rate limits across nodes (Redis)", () => {
  it(`one window of ${RATE_LIMIT} requests per key, whichever node counts them`, async () => {
    const acme = await platform("Limited");
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 2; i += 1) {
      const node = i % 2 === 0 ? A : B;
      statuses.push((await node.request({ method: "GET", path: "/v1/platforms", headers: bearer(acme.apiKey) })).status);
    }
    expect(statuses.slice(0, RATE_LIMIT).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(RATE_LIMIT)).toEqual([429, 429]);
    const limited = await A.request({ method: "GET", path: "/v1/platforms", headers: bearer(acme.apiKey) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited.json().error.code).toBe("rate_limited");
  });
});

describe("idempotency keys across nodes", () => {
  it("the same key sent to both nodes at once runs once: the other answer is a 409 or the replay", async () => {
    for (let round = 0; round < 8; round += 1) {
      // A platform per round keeps each key's requests under the rate limit.
      const acme = await platform(`Idempotent ${round}`);
      const seller = await t.createUser(acme, "editor");
      const name = `Twin ${round}`;
      const send = (node: ClusterNode) =>
        node.request({
          method: "POST",
          path: "/v1/products",
          headers: { ...bearer(acme.apiKey), "idempotency-key": `twin-${round}` },
          body: { name, price: 1000, user_id: seller.id },
        });
      const answers = await Promise.all([send(A), send(B)]);
      const statuses = answers.map((a) => a.status).sort();
      if (statuses[0] === 201 && statuses[1] === 201) {
        // Both succeeded: then one of them is the replay of the other, with the same product.
        expect(answers.some((a) => a.headers["idempotent-replayed"] === "true")).toBe(true);
        expect(answers[0]!.json().id).toBe(answers[1]!.json().id);
      } else {
        expect(statuses).toEqual([201, 409]);
        expect(answers.find((a) => a.status === 409)!.json().error.code).toBe("idempotency_request_in_progress");
      }
      expect(await t.db.product.count({ where: { platformId: acme.id, name } })).toBe(1);
      // A retry after both finished, on either node, is the first answer again.
      const retry = await send(round % 2 ? A : B);
      expect(retry.status).toBe(201);
      expect(retry.headers["idempotent-replayed"]).toBe("true");
    }
  });
});

describe("the job queue across nodes", () => {
  it("every email is sent exactly once, though both nodes run a worker", async () => {
    const acme = await platform("Mail");
    const emails = Array.from({ length: 12 }, (_, i) => `queue${i}@example.com`);
    await Promise.all(emails.map((email, i) => (i % 2 ? A : B).request({ method: "POST", path: "/v1/auth/otp/email", headers: bearer(acme.apiKey), body: { email } })));
    for (const email of emails) await cluster.smtp.waitFor(email, () => true, 30_000);
    await expect
      .poll(async () => (await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = 'send-email'`)[0]!.n, { timeout: 15_000 })
      .toBe(0n);
    for (const email of emails) expect(cluster.smtp.messages.filter((m) => m.to.includes(email))).toHaveLength(1);
  });
});

describe("a node dying", () => {
  it("leaves the other serving, and comes back on the same database without losing anything", async () => {
    const acme = await platform("Survivor");
    const seller = await t.createUser(acme, "editor");
    const created = await A.request({ method: "POST", path: "/v1/products", headers: bearer(acme.apiKey), body: { name: "Before the crash", price: 500, user_id: seller.id } });
    expect(created.status).toBe(201);

    await A.kill();
    expect(A.alive()).toBe(false);
    const onB = await B.request({ method: "GET", path: `/v1/products/${created.json().id}`, headers: bearer(acme.apiKey) });
    expect(onB.status).toBe(200);
    expect((await B.request({ method: "GET", path: "/ready" })).status).toBe(200);

    await A.restart();
    const onA = await A.request({ method: "GET", path: `/v1/products/${created.json().id}`, headers: bearer(acme.apiKey) });
    expect(onA.json()).toMatchObject({ id: created.json().id, name: "Before the crash" });
  }, 120_000);
});

// ── money: renewals and settlements ─────────────────────────────────────────

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Jobs of these tasks still queued or running (graphile-worker deletes a job once it succeeded). */
async function jobsLeft(tasks: string[]): Promise<number> {
  const [row] = await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM graphile_worker.jobs WHERE task_identifier = ANY(${tasks}) AND attempts < max_attempts`;
  return Number(row!.n);
}

async function buyerWithCard(acme: TestPlatform): Promise<TestUser> {
  const user = await t.createUser(acme, "member");
  await addCard(t, acme, user.id);
  return user;
}

async function onboardedSeller(acme: TestPlatform): Promise<TestUser> {
  const user = await t.createUser(acme, "member");
  await onboardSeller(t, acme, user.id);
  return user;
}

describe("subscription renewals across nodes", () => {
  it("a renewal due while both nodes run is charged once", async () => {
    const acme = await platform("Renewals");
    const [seller, buyer] = [await onboardedSeller(acme), await buyerWithCard(acme)];
    const c = okContract(
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: bearer(acme.apiKey),
        payload: { items: [{ user_id: seller.id, price: 10_000 }], buyers: [{ user_id: buyer.id }] },
      }),
      201,
    );
    const subscribed = await A.request({ method: "POST", path: `/v1/subscriptions/auth/contract/${c.id}`, headers: bearer(buyer.token), body: { cycle: "daily" } });
    expect(subscribed.status, subscribed.body).toBe(201);
    const sub = subscribed.json();

    // The nodes run on real time: instead of moving their clocks, the subscription is moved 36 hours
    // back — its first day ended 12 hours ago, its second (period 1) is due, the third is not.
    const start = new Date(Math.floor((Date.now() - 36 * HOUR) / 1000) * 1000);
    const firstEnd = new Date(start.getTime() + DAY);
    await t.db.subscription.update({ where: { id: sub.id }, data: { startDate: start, currentPeriodStart: start, currentPeriodEnd: firstEnd, nextAttemptAt: firstEnd } });

    // Both nodes' workers at once: the crontab's sweep as each node would run it, and renewal jobs
    // queued besides the sweep's (unkeyed, so none replaces another) — a retried job, a webhook's.
    const job = JSON.stringify({ subscriptionId: sub.id, platformId: acme.id, mode: "test" });
    await t.db.$executeRaw`SELECT graphile_worker.add_job('renew-subscriptions', '{}'::json) FROM generate_series(1, 2)`;
    await t.db.$executeRaw`SELECT graphile_worker.add_job('renew-subscription', ${job}::json) FROM generate_series(1, 4)`;

    await until("period 1 is paid", async () => (await t.db.subscriptionCharge.findFirst({ where: { subscriptionId: sub.id, period: 1 } }))?.status === "paid");
    await until("the renewal jobs are done", async () => (await jobsLeft(["renew-subscriptions", "renew-subscription"])) === 0);
    // One more sweep after it: nothing else is due.
    await t.db.$executeRaw`SELECT graphile_worker.add_job('renew-subscriptions', '{}'::json)`;
    await until("the last sweep is done", async () => (await jobsLeft(["renew-subscriptions", "renew-subscription"])) === 0);

    const charges = await t.db.subscriptionCharge.findMany({ where: { subscriptionId: sub.id }, orderBy: { period: "asc" } });
    expect(charges.map((r) => [r.period, r.status])).toEqual([
      [0, "paid"],
      [1, "paid"],
    ]);
    const group = charges[1]!.transferGroup;
    expect(charges[1]!.periodStart).toEqual(firstEnd);
    const intents = await t.db.simPaymentIntent.findMany({ where: { transferGroup: group } });
    expect(intents.map((i) => [i.amount, i.chargeSucceeded])).toEqual([[sub.price, true]]);
    expect(await t.db.simTransfer.count({ where: { transferGroup: group } })).toBe(1);
    const txs = await t.db.transaction.findMany({ where: { transferGroup: group } });
    expect(txs.filter((x) => x.type === "incoming").map((x) => x.stripePaymentIntentId)).toEqual([intents[0]!.id]);
    expect(txs.filter((x) => x.type === "outgoing")).toHaveLength(1);
    expect(await settlementBooks(t.db, { platformId: acme.id, mode: "test" }, group)).toMatchObject({ incoming: sub.price, balanced: true });

    const renewed = (await B.request({ method: "GET", path: `/v1/subscriptions/${sub.id}`, headers: bearer(acme.apiKey) })).json();
    expect(renewed).toMatchObject({
      currentPeriodStart: firstEnd.toISOString().replace(".000Z", "Z"),
      currentPeriodEnd: new Date(start.getTime() + 2 * DAY).toISOString().replace(".000Z", "Z"),
      failedAttempts: 0,
      pastDue: false,
      isActive: true,
    });
    const events = (await B.request({ method: "GET", path: `/v1/events?filter[object_id]=${sub.id}&per_page=100`, headers: bearer(acme.apiKey) })).json().data as Json[];
    expect(events.filter((e) => e.type === "subscription.renewed")).toHaveLength(1);
  }, 60_000);
});

describe("a node dying mid-settlement", () => {
  it("killing one node mid-settlement loses nothing: after its lease, the other node's job finishes it — one charge per buyer, one transfer per seller", async () => {
    const acme = await platform("Settlement");
    const sellers = [await onboardedSeller(acme), await onboardedSeller(acme)];
    const buyers = [await buyerWithCard(acme), await buyerWithCard(acme)];
    const c = okContract(
      await t.request({
        method: "POST",
        url: "/v1/contracts",
        headers: bearer(acme.apiKey),
        payload: {
          items: [
            { user_id: sellers[0]!.id, price: 6_000 },
            { user_id: sellers[1]!.id, price: 4_000 },
          ],
          buyers: buyers.map((b) => ({ user_id: b.id })),
        },
      }),
      201,
    );
    const first = c.buyers[0].user_id as string;

    // The fault, from outside node A: its first charge waits at the simulator (which serializes each
    // idempotency key on an advisory lock) while we take the contract's row; then the charge goes
    // through, and recording it waits for that row. A is killed there: charged, nothing recorded.
    const gate = new pg.Client({ connectionString: t.databaseUrl });
    const row = new pg.Client({ connectionString: t.databaseUrl });
    await gate.connect();
    await row.connect();
    const pidOf = async (client: pg.Client) => (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
    const blockedBy = async (pid: number) =>
      Number((await t.db.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM pg_stat_activity WHERE ${pid}::int = ANY(pg_blocking_pids(pid))`)[0]!.n);
    try {
      const chargeKey = `sim-idempotency:contract:${c.id}:buyer:${first}:attempt:0`;
      await gate.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [chargeKey]);
      const settling = A.request({ method: "PUT", path: `/v1/contracts/${c.id}/settle`, headers: bearer(acme.apiKey) }).then(
        (res) => `answered ${res.status}: ${res.body}`,
        (err: Error) => `no answer (${err.message})`,
      );
      const gatePid = await pidOf(gate);
      await until("node A waits at the gateway for the first charge", async () => (await blockedBy(gatePid)) === 1);
      await row.query("BEGIN");
      await row.query("SELECT id FROM contracts WHERE id = $1 FOR UPDATE", [c.id]);
      await gate.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [chargeKey]);
      const rowPid = await pidOf(row);
      await until("the charge is made and its recording waits", async () => (await simulatorCounts(t, c.id)).succeeded.length === 1 && (await blockedBy(rowPid)) > 0);

      await A.kill();
      await row.query("ROLLBACK");
      expect(await settling).toMatch(/^no answer/);
      const stranded = await t.db.contract.findUniqueOrThrow({ where: { id: c.id }, include: { buyers: true } });
      expect(stranded.status).toBe("processing");
      expect(stranded.buyers.map((b) => b.amountPaid)).toEqual([0, 0]);
    } finally {
      await gate.end();
      await row.end();
    }

    // B's worker runs the settle-contract job the claim queued: once A's lease lapsed, it repeats the
    // first charge under its key (the simulator answers the charge A made), charges the second buyer and pays both sellers.
    // (Polled in the database: the platform's key has a rate limit of RATE_LIMIT requests a minute.)
    await until("node B finished the settlement", async () => (await t.db.contract.findUniqueOrThrow({ where: { id: c.id } })).status === "paid", SETTLEMENT_LEASE * 1000 + 30_000);
    expect((await B.request({ method: "GET", path: `/v1/contracts/${c.id}`, headers: bearer(acme.apiKey) })).json().status).toBe("paid");
    const paid = okContract(await t.request({ method: "GET", url: `/v1/contracts/${c.id}`, headers: bearer(acme.apiKey) }));
    for (const b of paid.buyers) expect(b.amountPaid).toBe(b.amountDue);
    for (const s of paid.sellers) expect(s.amountReceived).toBe(s.amountOwed);
    const sim = await simulatorCounts(t, c.id);
    expect(sim.declined).toEqual([]);
    expect(sim.succeeded.map((i) => i.amount).sort()).toEqual(paid.buyers.map((b: Json) => b.amountDue).sort());
    expect(sim.transfers.map((x) => x.amount).sort()).toEqual(paid.sellers.map((s: Json) => s.amountOwed).sort());
    const txs = await t.db.transaction.findMany({ where: { contractId: c.id } });
    expect(
      txs
        .filter((x) => x.type === "incoming")
        .map((x) => x.stripePaymentIntentId)
        .sort(),
    ).toEqual(sim.succeeded.map((i) => i.id).sort());
    expect(
      txs
        .filter((x) => x.type === "outgoing")
        .map((x) => x.stripeTransferId)
        .sort(),
    ).toEqual(sim.transfers.map((x) => x.id).sort());
    expect(await settlementBooks(t.db, { platformId: acme.id, mode: "test" }, c.id)).toMatchObject({ incoming: paid.total, balanced: true });
    const settled = await t.db.contract.findUniqueOrThrow({ where: { id: c.id } });
    expect([settled.settlementLeaseId, settled.settlementLockedUntil]).toEqual([null, null]);

    // A comes back to the same books.
    await A.restart();
    expect((await A.request({ method: "GET", path: `/v1/contracts/${c.id}`, headers: bearer(acme.apiKey) })).json().status).toBe("paid");
  }, 120_000);
});
