import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { startCluster, type Cluster, type ClusterNode } from "../helpers/cluster.js";
import { codeOf } from "../helpers/smtp.js";

/**
 * Two real API processes on one database, one Redis and one SMTP server (`npm run test:cluster`
 * runs this file alone): what one node starts, the other finishes, and what must happen once
 * happens once.
 */

const RATE_LIMIT = 20;

let t: TestContext;
let cluster: Cluster;
let A: ClusterNode;
let B: ClusterNode;

beforeAll(async () => {
  t = await createTestContext();
  cluster = await startCluster({ databaseUrl: t.databaseUrl, env: { RATE_LIMIT_MAX: String(RATE_LIMIT), RATE_LIMIT_IP_MAX: "100000", OTP_IP_MAX: "100000" } });
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
