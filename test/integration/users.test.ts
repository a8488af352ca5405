import { runOnce } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { PNG_1PX, multipart } from "../helpers/images.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;
let member: TestUser;
let admin: TestUser;
let owner: TestUser;
let stranger: TestUser;

beforeAll(async () => {
  t = await createTestContext();
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
  member = await t.createUser(acme, "member", "member@acme.test");
  admin = await t.createUser(acme, "admin", "admin@acme.test");
  owner = await t.createUser(acme, "owner", "owner@acme.test");
  stranger = await t.createUser(other, "member", "stranger@other.test");
});
afterAll(() => t.close());

const as = (credential: string) => bearer(credential);
const key = () => bearer(acme.apiKey);

describe("the signed-in user (/v1/users/auth)", () => {
  it("GET answers the documented user object", async () => {
    const res = await t.request({ method: "GET", url: "/v1/users/auth", headers: as(member.token) });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json())).toEqual(
      expect.arrayContaining([
        "id",
        "platform_id",
        "email",
        "username",
        "bio",
        "name",
        "firstName",
        "lastName",
        "image",
        "stripeConnectId",
        "chargesEnabled",
        "detailsSubmitted",
        "timezone",
        "stripeCustomerId",
        "authenticated",
        "links",
        "paymentMethods",
        "scheduledDeletion",
      ]),
    );
    expect(res.json()).toMatchObject({ id: member.id, email: "member@acme.test", role: "member", links: [], paymentMethods: [], timezone: "UTC" });
  });

  it("works with the SDK's api_key header plus the user token", async () => {
    const res = await t.request({ method: "GET", url: "/v1/users/auth", headers: { api_key: acme.apiKey, mode: "test", authorization: `Bearer ${member.token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(member.id);
  });

  it("is 401 with only a platform key (there is no signed-in user) or nothing", async () => {
    const res = await t.request({ method: "GET", url: "/v1/users/auth", headers: key() });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("user_token_required");
    expect((await t.request({ method: "GET", url: "/v1/users/auth" })).statusCode).toBe(401);
  });

  it("PUT modifies the profile", async () => {
    const res = await t.request({
      method: "PUT",
      url: "/v1/users/auth",
      headers: as(member.token),
      payload: { username: "Jane_Doe", name: "Jane Doe", firstName: "Jane", lastName: "Doe", bio: "Potter", timezone: "America/New_York" },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ username: "jane_doe", name: "Jane Doe", bio: "Potter", timezone: "America/New_York" });
  });

  it.each([
    [{ timezone: "Mars/Olympus" }, "timezone"],
    [{ username: "a" }, "username"],
    [{ username: "no spaces" }, "username"],
    [{ image: "ftp://x/y.png" }, "image"],
    [{ email: "not an email" }, "email"],
    [{ role: "owner" }, "role"],
    [{ stripeCustomerId: "cus_x" }, "stripeCustomerId"],
    [{ id: "user_x" }, "id"],
  ])("PUT is 400 for %j, naming %s, and changes nothing", async (payload, param) => {
    const before = await t.db.user.findUniqueOrThrow({ where: { id: member.id } });
    const res = await t.request({ method: "PUT", url: "/v1/users/auth", headers: as(member.token), payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe(param);
    expect(await t.db.user.findUniqueOrThrow({ where: { id: member.id } })).toEqual(before);
  });

  it("PUT is 409 for a username taken on the platform, but not for one taken elsewhere", async () => {
    await t.request({ method: "PUT", url: "/v1/users/auth", headers: as(admin.token), payload: { username: "taken_name" } });
    const clash = await t.request({ method: "PUT", url: "/v1/users/auth", headers: as(owner.token), payload: { username: "TAKEN_NAME" } });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().error).toMatchObject({ code: "username_taken", param: "username" });
    const elsewhere = await t.request({ method: "PUT", url: "/v1/users/auth", headers: as(stranger.token), payload: { username: "taken_name" } });
    expect(elsewhere.statusCode).toBe(200);
  });

  it("links: adds http(s) links and removes them", async () => {
    const added = await t.request({ method: "POST", url: "/v1/users/auth/link", headers: as(member.token), payload: { label: "Portfolio", url: "https://jane.example" } });
    expect(added.statusCode).toBe(200);
    const link = added.json().links.at(-1);
    expect(link).toMatchObject({ label: "Portfolio", url: "https://jane.example" });
    expect(link.id).toMatch(/^link_/);
    const bad = await t.request({ method: "POST", url: "/v1/users/auth/link", headers: as(member.token), payload: { label: "x", url: "javascript:alert(1)" } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe("url");
    const removed = await t.request({ method: "DELETE", url: `/v1/users/auth/link/${link.id}`, headers: as(member.token) });
    expect(removed.statusCode).toBe(200);
    expect(removed.json().links.find((l: { id: string }) => l.id === link.id)).toBeUndefined();
    expect((await t.request({ method: "DELETE", url: `/v1/users/auth/link/${link.id}`, headers: as(member.token) })).statusCode).toBe(404);
  });

  it("links: another user's link is 404", async () => {
    const theirs = (await t.request({ method: "POST", url: "/v1/users/auth/link", headers: as(admin.token), payload: { label: "A", url: "https://a.example" } }))
      .json()
      .links.at(-1);
    const res = await t.request({ method: "DELETE", url: `/v1/users/auth/link/${theirs.id}`, headers: as(member.token) });
    expect(res.statusCode).toBe(404);
  });

  it("links: at most 20, even when added in parallel", async () => {
    const user = await t.createUser(acme, "member");
    const answers = await Promise.all(
      Array.from({ length: 25 }, (_, i) =>
        t.request({ method: "POST", url: "/v1/users/auth/link", headers: as(user.token), payload: { label: `L${i}`, url: `https://l${i}.example` } }),
      ),
    );
    expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(20);
    expect(answers.filter((a) => a.statusCode === 422).every((a) => a.json().error.code === "too_many_links")).toBe(true);
    expect(await t.db.userLink.count({ where: { userId: user.id } })).toBe(20);
  });

  it("image: from an uploaded media id or a multipart file", async () => {
    const upload = multipart("media", "me.png", PNG_1PX);
    const media = await t.request({ method: "POST", url: "/v1/utils/media/upload", headers: { ...as(member.token), ...upload.headers }, payload: upload.payload });
    expect(media.statusCode).toBe(201);
    const res = await t.request({ method: "POST", url: "/v1/users/auth/image", headers: as(member.token), payload: { media_id: media.json().id } });
    expect(res.statusCode).toBe(200);
    expect(res.json().image).toBe(media.json().url);
    const direct = multipart("media", "me.png", PNG_1PX);
    const res2 = await t.request({ method: "POST", url: "/v1/users/auth/image", headers: { ...as(member.token), ...direct.headers }, payload: direct.payload });
    expect(res2.statusCode).toBe(200);
    expect(res2.json().image).not.toBe(media.json().url);
    const foreignMedia = multipart("media", "x.png", PNG_1PX);
    const theirs = (
      await t.request({ method: "POST", url: "/v1/utils/media/upload", headers: { ...as(stranger.token), ...foreignMedia.headers }, payload: foreignMedia.payload })
    ).json();
    expect((await t.request({ method: "POST", url: "/v1/users/auth/image", headers: as(member.token), payload: { media_id: theirs.id } })).statusCode).toBe(404);
  });

  it("DELETE schedules deletion 30 days out, once", async () => {
    const user = await t.createUser(acme, "member");
    const res = await t.request({ method: "DELETE", url: "/v1/users/auth", headers: as(user.token) });
    expect(res.statusCode).toBe(200);
    const when = new Date(res.json().scheduledDeletion).getTime();
    expect(Math.abs(when - (Date.now() + 30 * 86_400_000))).toBeLessThan(60_000);
    const again = await t.request({ method: "DELETE", url: "/v1/users/auth", headers: as(user.token) });
    expect(again.json().scheduledDeletion).toBe(res.json().scheduledDeletion);
  });
});

describe("users of the platform (/v1/users)", () => {
  it("POST creates a user (201); duplicates are 409", async () => {
    const res = await t.request({ method: "POST", url: "/v1/users", headers: key(), payload: { email: "New@Acme.test", name: "New Person", timezone: "Europe/Paris" } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ email: "new@acme.test", name: "New Person", timezone: "Europe/Paris", role: "member", platform_id: acme.id });
    const dup = await t.request({ method: "POST", url: "/v1/users", headers: key(), payload: { email: "new@acme.test" } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toMatchObject({ code: "email_taken", param: "email" });
  });

  it("POST is 400 without an email", async () => {
    const res = await t.request({ method: "POST", url: "/v1/users", headers: key(), payload: { name: "Nobody" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: "parameter_missing", param: "email" });
  });

  it("roles: admins create members; only owners grant other roles", async () => {
    const byAdmin = await t.request({ method: "POST", url: "/v1/users", headers: as(admin.token), payload: { email: "e1@acme.test", role: "editor" } });
    expect(byAdmin.statusCode).toBe(403);
    expect(await t.db.user.count({ where: { email: "e1@acme.test" } })).toBe(0);
    const byOwner = await t.request({ method: "POST", url: "/v1/users", headers: as(owner.token), payload: { email: "e1@acme.test", role: "editor" } });
    expect(byOwner.statusCode).toBe(201);
    expect(byOwner.json().role).toBe("editor");
    const promote = await t.request({ method: "PUT", url: `/v1/users/${byOwner.json().id}`, headers: as(admin.token), payload: { role: "admin" } });
    expect(promote.statusCode).toBe(403);
    const promoteByKey = await t.request({ method: "PUT", url: `/v1/users/${byOwner.json().id}`, headers: key(), payload: { role: "admin" } });
    expect(promoteByKey.json().role).toBe("admin");
  });

  it("a member cannot reach admin routes (403)", async () => {
    for (const [method, url] of [
      ["GET", "/v1/users"],
      ["POST", "/v1/users"],
      ["GET", `/v1/users/${admin.id}`],
      ["PUT", `/v1/users/${admin.id}`],
      ["DELETE", `/v1/users/${admin.id}`],
      ["POST", `/v1/users/${admin.id}/link`],
    ] as const) {
      const res = await t.request({
        method,
        url,
        headers: as(member.token),
        payload: method === "GET" || method === "DELETE" ? undefined : { email: "x@y.z", label: "x", url: "https://x.y" },
      });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
  });

  it("is 401 without credentials", async () => {
    expect((await t.request({ method: "GET", url: "/v1/users" })).statusCode).toBe(401);
    expect((await t.request({ method: "GET", url: `/v1/users/${member.id}` })).statusCode).toBe(401);
  });

  it("GET /:id, PUT /:id and DELETE /:id are 404 for another platform's user", async () => {
    expect((await t.request({ method: "GET", url: `/v1/users/${stranger.id}`, headers: key() })).statusCode).toBe(404);
    expect((await t.request({ method: "PUT", url: `/v1/users/${stranger.id}`, headers: key(), payload: { name: "x" } })).statusCode).toBe(404);
    expect((await t.request({ method: "DELETE", url: `/v1/users/${stranger.id}`, headers: key() })).statusCode).toBe(404);
    expect((await t.request({ method: "POST", url: `/v1/users/${stranger.id}/link`, headers: key(), payload: { label: "x", url: "https://x.y" } })).statusCode).toBe(404);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: stranger.id } })).scheduledDeletion).toBeNull();
  });

  it("PUT /:id: an admin's email change waits for confirmation, the key's applies at once; unique per platform", async () => {
    const u = await t.createUser(acme, "member");
    const res = await t.request({ method: "PUT", url: `/v1/users/${u.id}`, headers: as(admin.token), payload: { email: "renamed@acme.test" } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ email: u.email, pendingEmail: "renamed@acme.test" });
    const byKey = await t.request({ method: "PUT", url: `/v1/users/${u.id}`, headers: key(), payload: { email: "renamed@acme.test" } });
    expect(byKey.statusCode).toBe(200);
    expect(byKey.json()).toMatchObject({ email: "renamed@acme.test", pendingEmail: null });
    const clash = await t.request({ method: "PUT", url: `/v1/users/${u.id}`, headers: as(admin.token), payload: { email: "admin@acme.test" } });
    expect(clash.statusCode).toBe(409);
    const clashByKey = await t.request({ method: "PUT", url: `/v1/users/${u.id}`, headers: key(), payload: { email: "admin@acme.test" } });
    expect(clashByKey.statusCode).toBe(409);
  });

  it("links and images by id", async () => {
    const link = await t.request({ method: "POST", url: `/v1/users/${member.id}/link`, headers: key(), payload: { label: "Shop", url: "http://shop.example" } });
    expect(link.statusCode).toBe(200);
    const id = link.json().links.at(-1).id;
    expect((await t.request({ method: "DELETE", url: `/v1/users/${member.id}/link/${id}`, headers: key() })).statusCode).toBe(200);
    const upload = multipart("media", "x.png", PNG_1PX);
    const img = await t.request({ method: "POST", url: `/v1/users/${member.id}/image`, headers: { ...key(), ...upload.headers }, payload: upload.payload });
    expect(img.statusCode).toBe(200);
    expect(img.json().image).toMatch(/\/media\//);
  });

  describe("GET /v1/users", () => {
    beforeAll(async () => {
      for (const [email, name, username] of [
        ["alice@list.test", "Alice Liddell", "alice"],
        ["bob@list.test", "Bob Builder", "bobby"],
        ["carol@list.test", "Carol Danvers", "captain"],
      ]) {
        await t.request({ method: "POST", url: "/v1/users", headers: key(), payload: { email, name, username } });
      }
    });

    it("searches email, username and name, case-insensitively", async () => {
      const byName = await t.request({ method: "GET", url: "/v1/users?search=liddell", headers: key() });
      expect(byName.json().data.map((u: { email: string }) => u.email)).toEqual(["alice@list.test"]);
      const byUsername = await t.request({ method: "GET", url: "/v1/users?search=CAPT", headers: key() });
      expect(byUsername.json().data.map((u: { email: string }) => u.email)).toEqual(["carol@list.test"]);
      const byEmail = await t.request({ method: "GET", url: "/v1/users?search=@list.test&sort=name", headers: key() });
      expect(byEmail.json().data.map((u: { name: string }) => u.name)).toEqual(["Alice Liddell", "Bob Builder", "Carol Danvers"]);
    });

    it("filters, sorts and paginates", async () => {
      const page = await t.request({ method: "GET", url: "/v1/users?search=@list.test&sort=-name&per_page=2&page=2", headers: key() });
      expect(page.json().data.map((u: { name: string }) => u.name)).toEqual(["Alice Liddell"]);
      expect(page.json().meta).toMatchObject({ total: 3, per_page: 2, current_page: 2, last_page: 2, from: 3, to: 3 });
      const owners = await t.request({ method: "GET", url: "/v1/users?filter[role]=owner,admin", headers: key() });
      expect(owners.json().data.every((u: { role: string }) => ["owner", "admin"].includes(u.role))).toBe(true);
      const byEmail = await t.request({ method: "GET", url: "/v1/users?filter[email]=bob@list.test,carol@list.test", headers: key() });
      expect(byEmail.json().meta.total).toBe(2);
      expect((await t.request({ method: "GET", url: "/v1/users?filter[username]=bobby", headers: key() })).json().data[0].email).toBe("bob@list.test");
    });

    it("never shows another platform's users", async () => {
      const res = await t.request({ method: "GET", url: "/v1/users?search=stranger", headers: key() });
      expect(res.json().data).toEqual([]);
    });

    it("is 400 for unknown sorts and filters", async () => {
      expect((await t.request({ method: "GET", url: "/v1/users?sort=password", headers: key() })).json().error.param).toBe("sort");
      expect((await t.request({ method: "GET", url: "/v1/users?filter[role]=king", headers: key() })).json().error.param).toBe("filter[role]");
      expect((await t.request({ method: "GET", url: "/v1/users?filter[colour]=red", headers: key() })).json().error.param).toBe("filter[colour]");
    });
  });
});

describe("scheduled deletion", () => {
  it("erases personal data when due, keeping the user's id for money records", async () => {
    const user = await t.createUser(acme, "member");
    const profile = {
      name: "Gone Soon",
      username: "gone_soon",
      bio: "bye",
      address: { line1: "1 Main St", city: "Springfield", postalCode: "12345", country: "US" },
      phoneCountryCode: "+1",
      phoneNumber: "555-0100",
      businessName: "Gone Ltd",
      locale: "en",
      external_id: "CRM-GONE",
      attributes: { tier: "gold" },
    };
    expect((await t.request({ method: "PUT", url: `/v1/users/${user.id}`, headers: key(), payload: profile })).statusCode).toBe(200);
    await t.request({ method: "POST", url: `/v1/users/${user.id}/link`, headers: key(), payload: { label: "x", url: "https://x.example" } });
    await t.request({ method: "DELETE", url: `/v1/users/${user.id}`, headers: key() });
    const keeper = await t.createUser(acme, "member");
    await t.request({ method: "DELETE", url: `/v1/users/${keeper.id}`, headers: key() });

    // The deletion of `user` falls due; `keeper`'s is still 30 days away.
    await t.db.user.update({ where: { id: user.id }, data: { scheduledDeletion: new Date(Date.now() - 1000) } });
    await t.db.$executeRaw`SELECT graphile_worker.add_job('erase-due-users')`;
    await runOnce({ connectionString: t.databaseUrl, taskList: t.app.services.tasks, noHandleSignals: true });

    const erased = await t.db.user.findUniqueOrThrow({ where: { id: user.id }, include: { links: true, membership: true } });
    expect(erased).toMatchObject({ email: null, username: null, name: null, bio: null, links: [], membership: null });
    expect(erased).toMatchObject({ addressLine1: null, addressCity: null, addressPostalCode: null, phoneNumber: null, businessName: null, externalId: null, attributes: {} });
    expect(erased.deleted).toBeInstanceOf(Date);
    expect((await t.db.user.findUniqueOrThrow({ where: { id: keeper.id } })).deleted).toBeNull();
    expect((await t.request({ method: "GET", url: `/v1/users/${user.id}`, headers: key() })).statusCode).toBe(404);
    expect((await t.request({ method: "GET", url: "/v1/users/auth", headers: as(user.token) })).statusCode).toBe(401);
  });
});
