import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { USERNAME_PATTERN } from "../../src/modules/users/users.schemas.js";
import { slugifyUsername } from "../../src/modules/utils/username.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { GIF_1PX, JPEG_HEADER, PNG_1PX, multipart } from "../helpers/images.js";

let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  t = await createTestContext({ UPLOAD_LIMIT: "2048" });
  acme = await t.createPlatform({ name: "Acme" });
});
afterAll(() => t.close());

const generate = (text: string, url = "/v1/utils/generate/username", headers = bearer(acme.apiKey)) => t.request({ method: "POST", url, headers, payload: { text } });

describe("POST /v1/utils/generate/username", () => {
  it("derives a valid username from text, with alternatives", async () => {
    const res = await generate("Zoë O'Brien-Smith!");
    expect(res.statusCode).toBe(200);
    expect(res.json().username).toBe("zoe_obrien_smith");
    expect(res.json().alternatives.length).toBeGreaterThan(0);
    for (const name of [res.json().username, ...res.json().alternatives]) expect(name).toMatch(USERNAME_PATTERN);
  });

  it("skips usernames already taken on the platform", async () => {
    await t.request({ method: "POST", url: "/v1/users", headers: bearer(acme.apiKey), payload: { email: "j1@x.test", username: "john_doe" } });
    await t.request({ method: "POST", url: "/v1/users", headers: bearer(acme.apiKey), payload: { email: "j2@x.test", username: "john_doe1" } });
    const res = await generate("John Doe");
    expect(res.json().username).toBe("john_doe2");
    expect(res.json().alternatives).not.toContain("john_doe1");
  });

  it("uses the local part of an email and handles short or symbol-only text", async () => {
    expect((await generate("ann.lee@example.com")).json().username).toBe("ann_lee");
    expect((await generate("Jo")).json().username).toBe("jo_user");
    expect((await generate("!!!")).json().username).toMatch(USERNAME_PATTERN);
    expect((await generate("admin")).json().username).not.toBe("admin");
  });

  it("is also served at the documented /utils/gnerate/username", async () => {
    const res = await generate("Typo Path", "/v1/utils/gnerate/username");
    expect(res.statusCode).toBe(200);
    expect(res.json().username).toBe("typo_path");
  });

  it("is public with platform_id, 400 without a platform or text, 404 for an unknown platform", async () => {
    const open = await t.request({ method: "POST", url: "/v1/utils/generate/username", payload: { text: "Open Call", platform_id: acme.id } });
    expect(open.statusCode).toBe(200);
    expect((await t.request({ method: "POST", url: "/v1/utils/generate/username", payload: { text: "x" } })).json().error.param).toBe("platform_id");
    expect((await generate("")).json().error.param).toBe("text");
    expect((await t.request({ method: "POST", url: "/v1/utils/generate/username", payload: { text: "x", platform_id: "plat_none" } })).statusCode).toBe(404);
  });

  it("slugifies predictably", () => {
    expect(slugifyUsername("  Hello   World  ")).toBe("hello_world");
    expect(slugifyUsername("Ünïcödé Ñame")).toBe("unicode_name");
    expect(slugifyUsername("a".repeat(60))).toHaveLength(24);
  });
});

describe("POST /v1/utils/media/upload", () => {
  const upload = (data: Buffer, filename: string, headers: Record<string, string> = bearer(acme.apiKey), field = "media") => {
    const body = multipart(field, filename, data);
    return t.request({ method: "POST", url: "/v1/utils/media/upload", headers: { ...headers, ...body.headers }, payload: body.payload });
  };

  it.each([
    ["photo.png", PNG_1PX, "image/png"],
    ["photo.gif", GIF_1PX, "image/gif"],
    ["photo.jpeg", JPEG_HEADER, "image/jpeg"],
  ])("stores %s and answers { id, url, type, size }", async (filename, data, type) => {
    const res = await upload(data, filename);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ type, size: data.length });
    expect(res.json().id).toMatch(/^media_[0-9a-f]{32}$/);
    const served = await t.request({ method: "GET", url: new URL(res.json().url).pathname });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(data)).toBe(true);
  });

  it("decides the type by the bytes: a renamed non-image is 415", async () => {
    const res = await upload(Buffer.from("#!/bin/sh\necho not an image\n"), "innocent.jpg");
    expect(res.statusCode).toBe(415);
    expect(res.json().error.code).toBe("unsupported_media_type");
  });

  it("is 413 over the size limit, 400 without the media field, 401 without credentials", async () => {
    expect((await upload(Buffer.concat([PNG_1PX, Buffer.alloc(4096)]), "big.png")).statusCode).toBe(413);
    expect((await upload(PNG_1PX, "a.png", bearer(acme.apiKey), "file")).json().error.param).toBe("media");
    expect((await upload(PNG_1PX, "a.png", {})).statusCode).toBe(401);
    const json = await t.request({ method: "POST", url: "/v1/utils/media/upload", headers: bearer(acme.apiKey), payload: { url: "https://x" } });
    expect(json.statusCode).toBe(415);
  });

  it("records the uploading user", async () => {
    const user = await t.createUser(acme, "member");
    const res = await upload(PNG_1PX, "me.png", bearer(user.token));
    expect((await t.db.media.findUniqueOrThrow({ where: { id: res.json().id } })).userId).toBe(user.id);
  });
});
