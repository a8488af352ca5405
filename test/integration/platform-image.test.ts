import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../../src/lib/ids.js";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { GIF_1PX, JPEG_HEADER, PNG_1PX, multipart } from "../helpers/images.js";

let t: TestContext;
let acme: TestPlatform;
let other: TestPlatform;

beforeAll(async () => {
  t = await createTestContext({ UPLOAD_LIMIT: "4096", PUBLIC_URL: "http://api.test" });
  acme = await t.createPlatform({ name: "Acme" });
  other = await t.createPlatform({ name: "Other" });
});
afterAll(() => t.close());

const upload = (p: TestPlatform, data: Buffer, filename = "logo.png", field = "media", headers = bearer(p.apiKey)) => {
  const body = multipart(field, filename, data, "image/png");
  return t.request({ method: "POST", url: `/v1/platforms/${p.id}/image`, headers: { ...headers, ...body.headers }, payload: body.payload });
};

describe("POST /v1/platforms/:id/image", () => {
  it.each([
    ["PNG", PNG_1PX, "image/png"],
    ["GIF", GIF_1PX, "image/gif"],
    ["JPEG", JPEG_HEADER, "image/jpeg"],
  ])("sets the logo from an uploaded %s, served back at its URL", async (_kind, data, type) => {
    const res = await upload(acme, data, "whatever.bin");
    expect(res.statusCode).toBe(200);
    const logo: string = res.json().logo;
    expect(logo).toMatch(/^http:\/\/api\.test\/media\/plat_[0-9a-f]{32}\/media_[0-9a-f]{32}\.(png|gif|jpg)$/);
    const media = await t.db.media.findFirstOrThrow({ where: { url: logo } });
    expect(media).toMatchObject({ platformId: acme.id, type, size: data.length });
    const served = await t.request({ method: "GET", url: new URL(logo).pathname });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(data)).toBe(true);
  });

  it("accepts { media_id } of an earlier upload", async () => {
    const first = (await upload(acme, PNG_1PX)).json().logo;
    const media = await t.db.media.findFirstOrThrow({ where: { url: first } });
    await t.request({ method: "PUT", url: `/v1/platforms/${acme.id}`, headers: bearer(acme.apiKey), payload: { logo: null } });
    const res = await t.request({ method: "POST", url: `/v1/platforms/${acme.id}/image`, headers: bearer(acme.apiKey), payload: { media_id: media.id } });
    expect(res.statusCode).toBe(200);
    expect(res.json().logo).toBe(first);
  });

  it("is 415 for a non-image renamed .png, and stores nothing", async () => {
    const before = await t.db.media.count();
    const res = await upload(acme, Buffer.from("%PDF-1.7 not an image"), "logo.png");
    expect(res.statusCode).toBe(415);
    expect(res.json().error).toMatchObject({ code: "unsupported_media_type", param: "media" });
    expect(await t.db.media.count()).toBe(before);
  });

  it("is 413 for a file over UPLOAD_LIMIT", async () => {
    const big = Buffer.concat([PNG_1PX, Buffer.alloc(8192)]);
    const res = await upload(acme, big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe("payload_too_large");
  });

  it("is 400 when the file is not in the field `media`, or nothing is sent", async () => {
    const wrongField = await upload(acme, PNG_1PX, "a.png", "file");
    expect(wrongField.statusCode).toBe(400);
    expect(wrongField.json().error.param).toBe("media");
    const nothing = await t.request({ method: "POST", url: `/v1/platforms/${acme.id}/image`, headers: bearer(acme.apiKey), payload: {} });
    expect(nothing.statusCode).toBe(400);
    expect(nothing.json().error.param).toBe("media_id");
  });

  it("is 404 for another platform's id or media", async () => {
    const res = await upload(other, PNG_1PX, "a.png", "media", bearer(acme.apiKey));
    expect(res.statusCode).toBe(404);
    const theirs = (await upload(other, PNG_1PX)).json().logo;
    const media = await t.db.media.findFirstOrThrow({ where: { url: theirs } });
    const steal = await t.request({ method: "POST", url: `/v1/platforms/${acme.id}/image`, headers: bearer(acme.apiKey), payload: { media_id: media.id } });
    expect(steal.statusCode).toBe(404);
    const unknown = await t.request({
      method: "POST",
      url: `/v1/platforms/${acme.id}/image`,
      headers: bearer(acme.apiKey),
      payload: { media_id: newId("media") },
    });
    expect(unknown.statusCode).toBe(404);
  });

  it("is 401 without credentials and 403 for a member", async () => {
    expect((await upload(acme, PNG_1PX, "a.png", "media", {})).statusCode).toBe(401);
    const member = await t.createUser(acme, "member");
    expect((await upload(acme, PNG_1PX, "a.png", "media", bearer(member.token))).statusCode).toBe(403);
    const admin = await t.createUser(acme, "admin");
    expect((await upload(acme, PNG_1PX, "a.png", "media", bearer(admin.token))).statusCode).toBe(200);
  });
});
