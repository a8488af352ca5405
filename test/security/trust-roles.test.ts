import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TEST_JWT_SECRET, bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { decodeJwtPayload, signJwt } from "../helpers/jwt.js";
import { codeOf, startSmtpServer, type ReceivedEmail } from "../helpers/smtp.js";

/**
 * An attacker's report: an admin made themself owner by changing an owner's email to their own
 * address and signing in as them; an admin could erase an owner; a revoked session's access token
 * kept working until it expired; a token signed with the real secret but without `exp` was accepted.
 * Each test is the request sequence of that attack.
 */

let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let t: TestContext;
let acme: TestPlatform;
let owner: TestUser;
let admin: TestUser;

beforeAll(async () => {
  smtp = await startSmtpServer();
  t = await createTestContext({ SMTP_URL: smtp.url, JOBS_WORKER: "true" });
  acme = await t.createPlatform({ name: "Acme" });
  owner = await t.createUser(acme, "owner");
  admin = await t.createUser(acme, "admin");
});
afterAll(async () => {
  await t.close();
  await smtp.stop();
});

const key = () => bearer(acme.apiKey);
const put = (url: string, headers: Record<string, string>, payload: Record<string, unknown>) => t.request({ method: "PUT", url, headers, payload });
const post = (url: string, headers: Record<string, string>, payload?: Record<string, unknown>) => t.request({ method: "POST", url, headers, payload });
const mailTo = (to: string, subject: RegExp) => smtp.waitFor(to, (m: ReceivedEmail) => subject.test(m.subject));

describe("an admin cannot take over or erase a user of an equal or higher role", () => {
  it("refuses an admin changing an owner's email, and the owner keeps theirs", async () => {
    const res = await put(`/v1/users/${owner.id}`, bearer(admin.token), { email: "attacker@evil.example" });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ type: "permission_error", code: "user_role_protected" });
    const row = await t.db.user.findUniqueOrThrow({ where: { id: owner.id } });
    expect(row.email).toBe(owner.email);
    expect(row.pendingEmail).toBeNull();
    // Nor could the attacker's address receive a code to sign in as the owner.
    expect(smtp.messages.some((m) => m.to.includes("attacker@evil.example"))).toBe(false);
  });

  it("refuses an admin scheduling an owner's erasure", async () => {
    const res = await t.request({ method: "DELETE", url: `/v1/users/${owner.id}`, headers: bearer(admin.token) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("user_role_protected");
    expect((await t.db.user.findUniqueOrThrow({ where: { id: owner.id } })).scheduledDeletion).toBeNull();
  });

  it("refuses an admin changing another admin: profile, email, image, links, deletion", async () => {
    const peer = await t.createUser(acme, "admin");
    const link = await t.db.userLink.create({
      data: { id: `link_${"0".repeat(31)}1`, platformId: acme.id, mode: "test", userId: peer.id, label: "Site", url: "https://peer.example" },
    });
    const attempts = [
      await put(`/v1/users/${peer.id}`, bearer(admin.token), { name: "Owned" }),
      await put(`/v1/users/${peer.id}`, bearer(admin.token), { email: "attacker2@evil.example" }),
      await post(`/v1/users/${peer.id}/image`, bearer(admin.token), { media_id: "media_00000000000000000000000000000000" }),
      await post(`/v1/users/${peer.id}/link`, bearer(admin.token), { label: "Phish", url: "https://evil.example" }),
      await t.request({ method: "DELETE", url: `/v1/users/${peer.id}/link/${link.id}`, headers: bearer(admin.token) }),
      await t.request({ method: "DELETE", url: `/v1/users/${peer.id}`, headers: bearer(admin.token) }),
    ];
    for (const res of attempts) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe("user_role_protected");
    }
    const row = await t.db.user.findUniqueOrThrow({ where: { id: peer.id }, include: { links: true } });
    expect(row).toMatchObject({ name: null, email: peer.email, pendingEmail: null, scheduledDeletion: null });
    expect(row.links.map((l) => l.url)).toEqual(["https://peer.example"]);
  });

  it("refuses an admin acting on an owner's payment methods and bank account", async () => {
    const attempts = [
      await post(`/v1/users/${owner.id}/client_secret`, bearer(admin.token)),
      await post(`/v1/users/${owner.id}/payment_methods`, bearer(admin.token), { payment_method: "pm_card_visa" }),
      await post(`/v1/users/${owner.id}/bank_account`, bearer(admin.token), {}),
    ];
    for (const res of attempts) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe("user_role_protected");
    }
    const row = await t.db.user.findUniqueOrThrow({ where: { id: owner.id }, include: { paymentMethods: true } });
    expect(row).toMatchObject({ stripeCustomerId: null, stripeConnectId: null });
    expect(row.paymentMethods).toEqual([]);
  });

  it("refuses an admin granting the owner role, to themself or anyone", async () => {
    const member = await t.createUser(acme, "member");
    const toSelf = await put(`/v1/users/${admin.id}`, bearer(admin.token), { role: "owner" });
    const toMember = await put(`/v1/users/${member.id}`, bearer(admin.token), { role: "owner" });
    const created = await post("/v1/users", bearer(admin.token), { email: "new-owner@evil.example", role: "owner" });
    for (const res of [toSelf, toMember, created]) {
      expect(res.statusCode, res.body).toBe(403);
      expect(res.json().error.code).toBe("insufficient_role");
    }
    const roles = await t.db.membership.findMany({ where: { userId: { in: [admin.id, member.id] } }, select: { userId: true, role: true } });
    expect(Object.fromEntries(roles.map((r) => [r.userId, r.role]))).toEqual({ [admin.id]: "admin", [member.id]: "member" });
    expect(await t.db.user.count({ where: { email: "new-owner@evil.example" } })).toBe(0);
  });

  it("still lets an admin change themself and members, and an owner change another owner", async () => {
    const member = await t.createUser(acme, "member");
    const otherOwner = await t.createUser(acme, "owner");
    expect((await put(`/v1/users/${admin.id}`, bearer(admin.token), { name: "Ada" })).statusCode).toBe(200);
    expect((await put(`/v1/users/${member.id}`, bearer(admin.token), { name: "Mo" })).statusCode).toBe(200);
    expect((await put(`/v1/users/${otherOwner.id}`, bearer(owner.token), { name: "Co-owner" })).statusCode).toBe(200);
    expect((await put(`/v1/users/${otherOwner.id}`, key(), { name: "By key" })).statusCode).toBe(200);
  });
});

describe("a change of email waits for the code sent to the new address, and the old address is told", () => {
  it("an admin changing a member's email leaves it pending until the code emailed to the new address is given", async () => {
    const member = await t.createUser(acme, "member");
    const res = await put(`/v1/users/${member.id}`, bearer(admin.token), { email: "swap@new.example" });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ email: member.email, pendingEmail: "swap@new.example" });
    expect((await t.db.user.findUniqueOrThrow({ where: { id: member.id } })).email).toBe(member.email);

    const warning = await mailTo(member.email, /about to change$/);
    expect(warning.raw).toContain("swap@new.example");
    const code = codeOf(await mailTo("swap@new.example", /email confirmation code$/));

    const wrong = await post(`/v1/users/${member.id}/email/confirm`, bearer(admin.token), { token: code === "000000" ? "111111" : "000000" });
    expect(wrong.statusCode).toBe(422);
    expect(wrong.json().error).toMatchObject({ code: "email_code_invalid", param: "token" });

    const confirmed = await post(`/v1/users/${member.id}/email/confirm`, bearer(admin.token), { token: code });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ email: "swap@new.example", pendingEmail: null });
    await mailTo(member.email, /was changed$/);

    const again = await post(`/v1/users/${member.id}/email/confirm`, bearer(admin.token), { token: code });
    expect(again.statusCode).toBe(422);
  });

  it("the signed-in user confirms their own new email under /users/auth", async () => {
    const member = await t.createUser(acme, "member");
    const res = await put("/v1/users/auth", bearer(member.token), { email: "mine@new.example" });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ email: member.email, pendingEmail: "mine@new.example" });
    const code = codeOf(await mailTo("mine@new.example", /email confirmation code$/));
    const confirmed = await post("/v1/users/auth/email/confirm", bearer(member.token), { token: code });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    expect(confirmed.json()).toMatchObject({ email: "mine@new.example", pendingEmail: null });
  });

  it("the platform key changes an email at once, and the old address is told", async () => {
    const member = await t.createUser(acme, "member");
    const res = await put(`/v1/users/${member.id}`, key(), { email: "by-key@new.example" });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ email: "by-key@new.example", pendingEmail: null });
    const notice = await mailTo(member.email, /was changed$/);
    expect(notice.raw).toContain("by-key@new.example");
  });
});

describe("an access token is only as good as its session and its user's current role", () => {
  async function signIn(email: string) {
    const before = smtp.messages.length;
    expect((await post("/v1/auth/otp/email", key(), { email })).statusCode).toBe(200);
    const message = await smtp.waitFor(email, (m) => smtp.messages.indexOf(m) >= before && / sign-in code$/.test(m.subject));
    const res = await post("/v1/auth/otp/verify", key(), { email, token: codeOf(message) });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { token: string; refreshToken: string };
  }
  const me = (token: string) => t.request({ method: "GET", url: "/v1/users/auth", headers: bearer(token) });

  it("refuses the access token of a session revoked by refresh-token reuse on the very next request", async () => {
    const first = await signIn("revoked@example.com");
    const rotated = await post("/v1/auth/session/refresh", {}, { refreshToken: first.refreshToken });
    expect(rotated.statusCode).toBe(200);
    const { token } = rotated.json() as { token: string };
    expect((await me(token)).statusCode).toBe(200);
    expect((await me(token)).statusCode).toBe(200);

    const reuse = await post("/v1/auth/session/refresh", {}, { refreshToken: first.refreshToken });
    expect(reuse.json().error.code).toBe("refresh_token_reused");
    for (const stolen of [token, first.token]) {
      const res = await me(stolen);
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe("token_revoked");
    }
  });

  it("takes admin rights from a demoted admin's token at once", async () => {
    const demoted = await t.createUser(acme, "admin");
    expect((await t.request({ method: "GET", url: "/v1/users", headers: bearer(demoted.token) })).statusCode).toBe(200);
    expect((await t.request({ method: "GET", url: "/v1/users", headers: bearer(demoted.token) })).statusCode).toBe(200);
    expect((await put(`/v1/users/${demoted.id}`, key(), { role: "member" })).statusCode).toBe(200);
    const res = await t.request({ method: "GET", url: "/v1/users", headers: bearer(demoted.token) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("insufficient_role");
  });

  it("refuses tokens signed with the real secret but without exp or iat, of another type or audience, or without a session", async () => {
    const member = await t.createUser(acme, "member");
    const claims = decodeJwtPayload(member.token);
    const header = { alg: "HS256", typ: "JWT" };
    const without = (name: string) => Object.fromEntries(Object.entries(claims).filter(([k]) => k !== name));
    const forged = {
      "no exp": signJwt(header, without("exp"), TEST_JWT_SECRET),
      "no iat": signJwt(header, without("iat"), TEST_JWT_SECRET),
      "typ refresh": signJwt(header, { ...claims, typ: "refresh" }, TEST_JWT_SECRET),
      "no typ": signJwt(header, without("typ"), TEST_JWT_SECRET),
      "another audience": signJwt(header, { ...claims, aud: "candle:upload" }, TEST_JWT_SECRET),
      "no audience": signJwt(header, without("aud"), TEST_JWT_SECRET),
      "no session": signJwt(header, without("sid"), TEST_JWT_SECRET),
      "another session": signJwt(header, { ...claims, sid: "rtok_00000000000000000000000000000000" }, TEST_JWT_SECRET),
    };
    expect((await me(member.token)).statusCode).toBe(200);
    for (const [name, token] of Object.entries(forged)) {
      const res = await me(token);
      expect(res.statusCode, name).toBe(401);
    }
  });
});

describe("sessions are cached per node and forgotten on every node when revoked or when the user's role changes", () => {
  let nodeA: TestContext;
  let nodeB: TestContext;
  let shop: TestPlatform;
  beforeAll(async () => {
    nodeA = await createTestContext({ AUTH_CACHE_TTL: "300" });
    nodeB = await createTestContext({ AUTH_CACHE_TTL: "300" }, { sharedDatabaseUrl: nodeA.databaseUrl });
    shop = await nodeA.createPlatform({ name: "Shop" });
  });
  afterAll(async () => {
    await nodeB.close();
    await nodeA.close();
  });
  const listUsers = (node: TestContext, token: string) => node.request({ method: "GET", url: "/v1/users", headers: bearer(token) });

  /** Proves node B answers `user`'s token from its cache: the role changes behind its back (no NOTIFY) and B does not notice. */
  async function cachedOnB(user: TestUser): Promise<void> {
    await expect
      .poll(async () => {
        await listUsers(nodeB, user.token);
        await nodeA.db.membership.update({ where: { userId: user.id }, data: { role: "member" } });
        const status = (await listUsers(nodeB, user.token)).statusCode;
        await nodeA.db.membership.update({ where: { userId: user.id }, data: { role: "admin" } });
        return status;
      })
      .toBe(200);
  }

  it("drops an admin's rights on every node as soon as the demotion commits", async () => {
    const staff = await nodeA.createUser(shop, "admin");
    await cachedOnB(staff);
    const demoted = await nodeA.request({ method: "PUT", url: `/v1/users/${staff.id}`, headers: bearer(shop.apiKey), payload: { role: "member" } });
    expect(demoted.statusCode).toBe(200);
    expect((await listUsers(nodeA, staff.token)).statusCode).toBe(403);
    await expect.poll(async () => (await listUsers(nodeB, staff.token)).statusCode, { timeout: 2_000, interval: 20 }).toBe(403);
  });

  it("refuses a revoked session's token on every node", async () => {
    const staff = await nodeA.createUser(shop, "admin");
    await cachedOnB(staff);
    // Whatever revokes the family (here a statement of its own), every node hears it.
    await nodeA.db.refreshToken.updateMany({ where: { familyId: staff.sessionId }, data: { revoked: new Date() } });
    await expect.poll(async () => (await listUsers(nodeB, staff.token)).statusCode, { timeout: 2_000, interval: 20 }).toBe(401);
    expect((await listUsers(nodeA, staff.token)).statusCode).toBe(401);
  });
});
