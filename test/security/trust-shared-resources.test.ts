import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POOL_IN_TRANSACTION } from "../../src/db/client.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";

/**
 * One user must not exhaust what every platform shares: the database pool, and a person's ability
 * to sign in. Each test is the request sequence of the attack.
 */

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;

const VICTIM = "203.0.113.10";
const ATTACKER = "198.51.100.66";

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

let n = 0;
const freshEmail = () => `victim${++n}@example.com`;

const requestCode = (email: string, from: string) =>
  t.request({ method: "POST", url: "/v1/auth/otp/email", headers: { api_key: acme.apiKey, mode: "test" }, payload: { email }, remoteAddress: from });

const verify = (email: string, token: string, from: string) =>
  t.request({ method: "POST", url: "/v1/auth/otp/verify", headers: { api_key: acme.apiKey, mode: "test" }, payload: { email, token }, remoteAddress: from });

/** The victim asks for a code and reads it from their mailbox. */
async function receiveCode(email: string): Promise<string> {
  const before = smtp.messages.length;
  const res = await requestCode(email, VICTIM);
  expect(res.statusCode, res.body).toBe(200);
  return codeOf(await smtp.waitFor(email, (m) => smtp.messages.indexOf(m) >= before && / sign-in code$/.test(m.subject)));
}

describe("parallel refreshes of one refresh token", () => {
  it("ten at once: one 200, nine 401 (reused or revoked), no 5xx; the family is revoked; another platform is served meanwhile", async () => {
    const email = freshEmail();
    const signedIn = await verify(email, await receiveCode(email), VICTIM);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
    const { refreshToken } = signedIn.json();

    const refresh = () => t.request({ method: "POST", url: "/v1/auth/session/refresh", headers: { api_key: acme.apiKey, mode: "test" }, payload: { refreshToken } });
    const [elsewhere, ...answers] = await Promise.all([t.request({ method: "GET", url: "/v1/products", headers: bearer(other.apiKey) }), ...Array.from({ length: 10 }, refresh)]);

    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, ...Array(9).fill(401)]);
    // The first loser finds the token rotated (reuse) and revokes the family; later ones may find it revoked.
    const codes = answers.filter((a) => a.statusCode === 401).map((a) => a.json().error.code);
    expect(codes).toContain("refresh_token_reused");
    for (const code of codes) expect(["refresh_token_reused", "refresh_token_revoked"]).toContain(code);
    expect(elsewhere.statusCode, elsewhere.body).toBe(200);

    // Concurrent losers count as reuse: the family is revoked, the winner's new token with it.
    const winner = answers.find((a) => a.statusCode === 200)!.json();
    const again = await t.request({
      method: "POST",
      url: "/v1/auth/session/refresh",
      headers: { api_key: acme.apiKey, mode: "test" },
      payload: { refreshToken: winner.refreshToken },
    });
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe("refresh_token_revoked");
    expect(await t.db.refreshToken.count({ where: { user: { email }, revoked: null } })).toBe(0);
  }, 30_000);
});

describe("a third party cannot block a person's sign-in", () => {
  it("asking for many codes for the victim's email from another address: the victim can still ask, and the code they already have works", async () => {
    const email = freshEmail();
    const received = await receiveCode(email);

    const flood = [];
    for (let i = 0; i < 10; i += 1) flood.push((await requestCode(email, ATTACKER)).statusCode);
    expect(flood.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(flood.slice(5)).toEqual([429, 429, 429, 429, 429]);

    const asked = await requestCode(email, VICTIM);
    expect(asked.statusCode, asked.body).toBe(200);
    const signedIn = await verify(email, received, VICTIM);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
  });

  it("wrong guesses from another address: that address is cut off with 429, the victim's code still works", async () => {
    const email = freshEmail();
    const received = await receiveCode(email);
    const wrong = received === "000000" ? "111111" : "000000";

    const guesses = [];
    for (let i = 0; i < 8; i += 1) guesses.push(await verify(email, wrong, ATTACKER));
    expect(guesses.map((g) => g.statusCode)).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    expect(guesses[5]!.headers["retry-after"]).toBeDefined();
    // Cut off even with the right code: the limit is on attempts, not on wrong answers.
    expect((await verify(email, received, ATTACKER)).statusCode).toBe(429);

    const signedIn = await verify(email, received, VICTIM);
    expect(signedIn.statusCode, signedIn.body).toBe(200);
  });
});

describe("an exhausted database pool", () => {
  let tiny: TestContext;
  let platform: TestPlatform;

  beforeAll(async () => {
    tiny = await createTestContext({ DATABASE_POOL_SIZE: "2", DATABASE_TRANSACTION_TIMEOUT: "30000" });
    platform = await tiny.createPlatform({ name: "Tiny" });
    // Warm the key cache, so the request below reaches a query of its own.
    expect((await tiny.request({ method: "GET", url: "/v1/products", headers: bearer(platform.apiKey) })).statusCode).toBe(200);
  });
  afterAll(() => tiny.close());

  it("every connection held by a transaction: the next request is 503 database_busy with Retry-After, not 500; served again once they end", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: Promise<void>[] = [];
    const held = [0, 1].map(
      (i) =>
        new Promise<void>((resolveHeld, rejectHeld) => {
          let signal!: () => void;
          started[i] = new Promise<void>((resolve) => (signal = resolve));
          tiny.db
            .$transaction(async (tx) => {
              await tx.$queryRaw`SELECT 1`;
              signal();
              await gate;
            })
            .then(() => resolveHeld(), rejectHeld);
        }),
    );
    await Promise.all(started);

    const res = await tiny.request({ method: "GET", url: "/v1/products", headers: bearer(platform.apiKey) });
    release();
    await Promise.all(held);

    expect(res.statusCode, res.body).toBe(503);
    expect(res.headers["retry-after"]).toBe("1");
    expect(res.json().error).toMatchObject({ type: "api_error", code: "database_busy", request_id: res.headers["request-id"] });
    expect((await tiny.request({ method: "GET", url: "/v1/products", headers: bearer(platform.apiKey) })).statusCode).toBe(200);
  }, 30_000);
});

describe("the pool refuses code inside a transaction callback (tests run with the guard)", () => {
  it("a pool query, or a nested transaction, inside the callback fails; the transaction client works", async () => {
    await expect(t.db.$transaction(async () => t.db.user.count())).rejects.toThrow(POOL_IN_TRANSACTION);
    await expect(t.db.$transaction(async () => t.db.$transaction(async (tx) => tx.user.count()))).rejects.toThrow(POOL_IN_TRANSACTION);
    await expect(t.db.$transaction(async (tx) => tx.user.count())).resolves.toBeTypeOf("number");
    // Outside any callback the pool serves as usual, also right after one ended.
    expect(await t.db.user.count()).toBeTypeOf("number");
  });
});
