import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { OTP_MAX_ATTEMPTS } from "../../src/modules/auth/otp.service.js";
import { codeOf, startSmtpServer } from "../helpers/smtp.js";

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true", OTP_EMAIL_MAX: "4", OTP_IP_MAX: "1000" });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

let n = 0;
const freshEmail = () => `person${++n}@example.com`;

const requestCode = (email: string, platform: TestPlatform = acme, extra: Record<string, unknown> = {}) =>
  t.request({ method: "POST", url: "/v1/auth/otp/email", headers: { api_key: platform.apiKey, mode: "test" }, payload: { email, ...extra } });

const verify = (email: string, token: string, platform: TestPlatform = acme) =>
  t.request({ method: "POST", url: "/v1/auth/otp/verify", headers: { api_key: platform.apiKey, mode: "test" }, payload: { email, token } });

async function codeFor(email: string, platform: TestPlatform = acme): Promise<string> {
  const before = smtp.messages.length;
  const res = await requestCode(email, platform);
  expect(res.statusCode).toBe(200);
  const message = await smtp.waitFor(email, (m) => smtp.messages.indexOf(m) >= before && / sign-in code$/.test(m.subject));
  return codeOf(message);
}

async function signIn(email: string, platform: TestPlatform = acme) {
  const res = await verify(email, await codeFor(email, platform), platform);
  expect(res.statusCode).toBe(200);
  return res.json();
}

describe("POST /v1/auth/otp/email", () => {
  it("emails a 6-digit code through SMTP and stores only its hash", async () => {
    const email = freshEmail();
    const res = await requestCode(email);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ sent: true, expiresIn: 600 });
    const message = await smtp.waitFor(email);
    const code = codeOf(message);
    expect(code).toMatch(/^\d{6}$/);
    expect(message.subject).toContain("Acme");
    const row = await t.db.otpCode.findFirstOrThrow({ where: { email } });
    expect(row.codeHash).not.toContain(code);
    expect(row.codeHash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.expires.getTime() - row.created.getTime()).toBe(600_000);
  });

  it("answers the same for known and unknown addresses", async () => {
    const known = freshEmail();
    await signIn(known);
    const a = await requestCode(known);
    const b = await requestCode(freshEmail());
    expect(a.statusCode).toBe(b.statusCode);
    expect(a.body).toBe(b.body);
  });

  it("accepts platform_id instead of a key, and refuses neither or a foreign one", async () => {
    const email = freshEmail();
    const res = await t.request({ method: "POST", url: "/v1/auth/otp/email", payload: { email, platform_id: acme.id } });
    expect(res.statusCode).toBe(200);
    await smtp.waitFor(email);
    const none = await t.request({ method: "POST", url: "/v1/auth/otp/email", payload: { email } });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.param).toBe("platform_id");
    const unknown = await t.request({ method: "POST", url: "/v1/auth/otp/email", payload: { email, platform_id: "plat_00000000000000000000000000000000" } });
    expect(unknown.statusCode).toBe(404);
    const foreign = await requestCode(email, acme, { platform_id: other.id });
    expect(foreign.statusCode).toBe(404);
  });

  it("is 400 for a malformed email or an unknown field", async () => {
    const bad = await requestCode("not-an-email");
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("email");
    const extra = await requestCode(freshEmail(), acme, { password: "x" });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().error.param).toBe("password");
  });

  it("is 429 with Retry-After past the per-address limit", async () => {
    const email = freshEmail();
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await requestCode(email));
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 429]);
    expect(Number(answers[4]!.headers["retry-after"])).toBeGreaterThan(0);
    expect(answers[4]!.json().error.code).toBe("rate_limited");
  });
});

describe("per-client limit on sign-in codes", () => {
  it("is 429 once one client address asked for OTP_IP_MAX codes, whatever the emails", async () => {
    const limited = await createTestContext({ OTP_IP_MAX: "2" });
    try {
      const p = await limited.createPlatform();
      const ask = (email: string) => limited.request({ method: "POST", url: "/v1/auth/otp/email", headers: bearer(p.apiKey), payload: { email }, remoteAddress: "198.51.100.4" });
      expect((await ask("a@example.com")).statusCode).toBe(200);
      expect((await ask("b@example.com")).statusCode).toBe(200);
      const third = await ask("c@example.com");
      expect(third.statusCode).toBe(429);
      expect(await limited.db.otpCode.count({ where: { email: "c@example.com" } })).toBe(0);
      const elsewhere = await limited.request({
        method: "POST",
        url: "/v1/auth/otp/email",
        headers: bearer(p.apiKey),
        payload: { email: "c@example.com" },
        remoteAddress: "198.51.100.5",
      });
      expect(elsewhere.statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });
});

describe("POST /v1/auth/otp/verify", () => {
  it("signs a new user up as a member and returns token, refreshToken, expiresIn and user", async () => {
    const email = freshEmail();
    const session = await signIn(email);
    expect(Object.keys(session).sort()).toEqual(["expiresIn", "refreshToken", "token", "user"]);
    expect(session.expiresIn).toBe(900);
    expect(session.user).toMatchObject({ email, role: "member", platform_id: acme.id, mode: "test" });
    expect(session.user.authenticated).toMatch(/Z$/);
    const me = await t.request({ method: "GET", url: "/v1/users/auth", headers: bearer(session.token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().id).toBe(session.user.id);
  });

  it("signs an existing user in again as the same user", async () => {
    const email = freshEmail();
    const first = await signIn(email);
    const second = await signIn(email);
    expect(second.user.id).toBe(first.user.id);
    expect(await t.db.user.count({ where: { email } })).toBe(1);
  });

  it("keeps the same email apart on two platforms", async () => {
    const email = freshEmail();
    const a = await signIn(email, acme);
    const b = await signIn(email, other);
    expect(a.user.id).not.toBe(b.user.id);
    expect(b.user.platform_id).toBe(other.id);
  });

  it("accepts a code once only", async () => {
    const email = freshEmail();
    const code = await codeFor(email);
    expect((await verify(email, code)).statusCode).toBe(200);
    const again = await verify(email, code);
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe("otp_invalid");
  });

  it("lets exactly one of two parallel verifications with the right code through", async () => {
    const email = freshEmail();
    const code = await codeFor(email);
    const results = await Promise.all([verify(email, code), verify(email, code)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
    expect(await t.db.refreshToken.count({ where: { user: { email } } })).toBe(1);
  });

  it("cuts one client off after OTP_VERIFY_MAX attempts at an email; the code still works from another client", async () => {
    const email = freshEmail();
    const code = await codeFor(email);
    const wrong = code === "000000" ? "111111" : "000000";
    const from = (address: string, token: string) =>
      t.request({ method: "POST", url: "/v1/auth/otp/verify", headers: { api_key: acme.apiKey, mode: "test" }, payload: { email, token }, remoteAddress: address });
    for (let i = 0; i < 5; i += 1) expect((await from("198.51.100.20", wrong)).statusCode).toBe(401);
    const cut = await from("198.51.100.20", code);
    expect(cut.statusCode).toBe(429);
    expect(cut.headers["retry-after"]).toBeDefined();
    expect((await from("198.51.100.21", code)).statusCode).toBe(200);
  });

  it("locks a code after OTP_MAX_ATTEMPTS wrong guesses in all, even against the right one", async () => {
    const email = freshEmail();
    const code = await codeFor(email);
    await t.db.otpCode.updateMany({ where: { email }, data: { attempts: OTP_MAX_ATTEMPTS - 1 } });
    const wrong = code === "000000" ? "111111" : "000000";
    expect((await verify(email, wrong)).statusCode).toBe(401);
    const locked = await verify(email, code);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe("otp_attempts_exceeded");
  });

  it("refuses an expired code", async () => {
    const email = freshEmail();
    const code = await codeFor(email);
    await t.db.otpCode.updateMany({ where: { email }, data: { expires: new Date(Date.now() - 1000) } });
    const res = await verify(email, code);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("otp_invalid");
  });

  it("emails the same code again while it is live, rather than voiding it", async () => {
    const email = freshEmail();
    const first = await codeFor(email);
    const second = await codeFor(email);
    expect(second).toBe(first);
    expect(await t.db.otpCode.count({ where: { email } })).toBe(1);
    expect((await verify(email, first)).statusCode).toBe(200);
    // Used: the next request makes a new code.
    const third = await codeFor(email);
    expect((await verify(email, third)).statusCode).toBe(200);
  });

  it("is 400 for a malformed code, a missing email, or a phone number", async () => {
    const short = await verify(freshEmail(), "12345");
    expect(short.statusCode).toBe(400);
    expect(short.json().error.param).toBe("token");
    const phone = await t.request({ method: "POST", url: "/v1/auth/otp/verify", headers: bearer(acme.apiKey), payload: { phone: "+15550100", token: "123456" } });
    expect(phone.statusCode).toBe(400);
    expect(phone.json().error.code).toBe("phone_not_supported");
  });

  it("cancels a scheduled deletion", async () => {
    const email = freshEmail();
    const session = await signIn(email);
    await t.request({ method: "DELETE", url: "/v1/users/auth", headers: bearer(session.token) });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: session.user.id } })).scheduledDeletion).not.toBeNull();
    const again = await signIn(email);
    expect(again.user.scheduledDeletion).toBeNull();
  });

  describe("with the platform's waitlist on", () => {
    let gated: TestPlatform;
    beforeAll(async () => {
      gated = await t.createPlatform({ name: "Gated" });
      await t.request({ method: "PUT", url: `/v1/platforms/${gated.id}`, headers: bearer(gated.apiKey), payload: { waitlistEnabled: true } });
    });

    it("refuses a new, ungranted email with 403 waitlist_not_granted and creates nobody", async () => {
      const email = freshEmail();
      await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(gated.apiKey), payload: { email } });
      const res = await verify(email, await codeFor(email, gated), gated);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("waitlist_not_granted");
      expect(await t.db.user.count({ where: { platformId: gated.id, email } })).toBe(0);
    });

    it("lets a granted email sign up", async () => {
      const email = freshEmail();
      const entry = (await t.request({ method: "POST", url: "/v1/waitlists", headers: bearer(gated.apiKey), payload: { email } })).json();
      await t.request({ method: "POST", url: `/v1/waitlists/${entry.id}/grant`, headers: bearer(gated.apiKey) });
      const res = await verify(email, await codeFor(email, gated), gated);
      expect(res.statusCode).toBe(200);
    });

    it("lets existing users sign in", async () => {
      const existing = await t.createUser(gated, "member");
      const res = await verify(existing.email, await codeFor(existing.email, gated), gated);
      expect(res.statusCode).toBe(200);
      expect(res.json().user.id).toBe(existing.id);
    });
  });
});

describe("POST /v1/auth/session/refresh", () => {
  const refresh = (refreshToken: string) => t.request({ method: "POST", url: "/v1/auth/session/refresh", payload: { refreshToken } });

  it("rotates: a new token pair, the old refresh token spent", async () => {
    const session = await signIn(freshEmail());
    const res = await refresh(session.refreshToken);
    expect(res.statusCode).toBe(200);
    const next = res.json();
    expect(next.refreshToken).not.toBe(session.refreshToken);
    expect(next.user.id).toBe(session.user.id);
    expect((await t.request({ method: "GET", url: "/v1/users/auth", headers: bearer(next.token) })).statusCode).toBe(200);
  });

  it("revokes the whole family when a spent token comes back", async () => {
    const session = await signIn(freshEmail());
    const next = (await refresh(session.refreshToken)).json();
    const reuse = await refresh(session.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json().error.code).toBe("refresh_token_reused");
    const afterTheft = await refresh(next.refreshToken);
    expect(afterTheft.statusCode).toBe(401);
    expect(afterTheft.json().error.code).toBe("refresh_token_revoked");
  });

  it("lets one of two parallel refreshes win and treats the other as reuse", async () => {
    const session = await signIn(freshEmail());
    const results = await Promise.all([refresh(session.refreshToken), refresh(session.refreshToken)]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it("refuses unknown and expired tokens", async () => {
    expect((await refresh("nope")).statusCode).toBe(401);
    const session = await signIn(freshEmail());
    await t.db.refreshToken.updateMany({ where: { userId: session.user.id }, data: { expires: new Date(Date.now() - 1000) } });
    const expired = await refresh(session.refreshToken);
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe("refresh_token_expired");
  });

  it("refuses a token of another platform than the key sent", async () => {
    const session = await signIn(freshEmail(), other);
    const res = await t.request({ method: "POST", url: "/v1/auth/session/refresh", headers: bearer(acme.apiKey), payload: { refreshToken: session.refreshToken } });
    expect(res.statusCode).toBe(401);
  });

  it("is 400 without a refreshToken", async () => {
    const res = await t.request({ method: "POST", url: "/v1/auth/session/refresh", payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe("refreshToken");
  });
});

describe("the dev outbox (no SMTP_URL)", () => {
  it("writes the email under DATA_DIR/outbox", async () => {
    const dev = await createTestContext({ JOBS_WORKER: "true" });
    try {
      const platform = await dev.createPlatform({ name: "Dev" });
      const email = "newcomer@example.com";
      const res = await dev.request({ method: "POST", url: "/v1/auth/otp/email", headers: bearer(platform.apiKey), payload: { email } });
      expect(res.statusCode).toBe(200);
      const dir = path.join(dev.dataDir, "outbox");
      await expect.poll(async () => (await fs.readdir(dir).catch(() => [])).length, { timeout: 15_000 }).toBe(1);
      const [file] = await fs.readdir(dir);
      const text = await fs.readFile(path.join(dir, file!), "utf8");
      expect(text).toMatch(/Subject: \d{6} is your Dev sign-in code/);
      expect(text).toContain(`To: ${email}`);
    } finally {
      await dev.close();
    }
  });
});

describe("POST /v1/auth/session/revoke (sign-out)", () => {
  const signOut = (token: string, headers: Record<string, string> = {}) =>
    t.request({ method: "POST", url: "/v1/auth/session/revoke", headers: { ...bearer(token), "content-type": "application/json", ...headers } });
  const me = (token: string) => t.request({ method: "GET", url: "/v1/users/auth", headers: bearer(token) });
  const refresh = (refreshToken: string) => t.request({ method: "POST", url: "/v1/auth/session/refresh", payload: { refreshToken } });

  it("ends this session only: its access and refresh tokens are refused, the same user's other sign-in keeps working", async () => {
    const email = freshEmail();
    const phone = await signIn(email);
    const laptop = await signIn(email);
    expect((await me(phone.token)).statusCode).toBe(200);

    const out = await signOut(phone.token);
    expect(out.statusCode, out.body).toBe(200);
    expect(out.json()).toEqual({ revoked: true });

    expect((await me(phone.token)).statusCode).toBe(401);
    const refused = await refresh(phone.refreshToken);
    expect(refused.statusCode).toBe(401);
    expect(refused.json().error.code).toBe("refresh_token_revoked");
    // The token is spent: signing out again with it is refused like any other request.
    expect((await signOut(phone.token)).statusCode).toBe(401);

    expect((await me(laptop.token)).statusCode).toBe(200);
    expect((await refresh(laptop.refreshToken)).statusCode).toBe(200);
  });

  it("reaches another node that had the session cached", async () => {
    const nodeB = await createTestContext({ AUTH_CACHE_TTL: "300" }, { sharedDatabaseUrl: t.databaseUrl });
    try {
      const session = await signIn(freshEmail());
      const onB = () => nodeB.request({ method: "GET", url: "/v1/users/auth", headers: bearer(session.token) });
      expect((await onB()).statusCode).toBe(200);
      expect((await signOut(session.token)).statusCode).toBe(200);
      // Node B hears the revocation (LISTEN/NOTIFY) and drops its cached session.
      await expect.poll(async () => (await onB()).statusCode, { timeout: 20_000, interval: 100 }).toBe(401);
    } finally {
      await nodeB.close();
    }
  });

  it("needs a user's token: the platform key alone is 401, and one user cannot end another's session", async () => {
    expect((await t.request({ method: "POST", url: "/v1/auth/session/revoke", headers: bearer(acme.apiKey) })).statusCode).toBe(401);
    const victim = await signIn(freshEmail());
    const attacker = await signIn(freshEmail());
    expect((await signOut(attacker.token)).statusCode).toBe(200);
    expect((await me(victim.token)).statusCode).toBe(200);
  });
});
