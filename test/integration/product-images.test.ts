import { createHash, createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../../src/lib/time.js";
import { bearer, createTestContext, type TestContext, type TestPlatform, type TestUser } from "../helpers/app.js";
import { startFakeS3, type S3Request } from "../helpers/fake-s3.js";
import { GIF_1PX, PNG_1PX } from "../helpers/images.js";

type Json = Record<string, any>;

/** A clock the tests can move forward, to see upload URLs expire. */
let skewMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + skewMs) };

async function newProduct(t: TestContext, seller: TestUser): Promise<Json> {
  const res = await t.request({ method: "POST", url: "/v1/products", headers: bearer(seller.token), payload: { name: "Vase", price: 4200 } });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}
const requestUpload = (t: TestContext, id: string, headers: Record<string, string>, payload: Json = { contentType: "image/png" }) =>
  t.request({ method: "PUT", url: `/v1/products/${id}/images`, headers, payload });
const confirm = (t: TestContext, id: string, headers: Record<string, string>, key: string) =>
  t.request({ method: "POST", url: `/v1/products/${id}/images/confirm`, headers, payload: { key } });

describe("product images with local storage (signed URLs on this server)", () => {
  let t: TestContext;
  let acme: TestPlatform;
  let seller: TestUser;
  let member: TestUser;
  let stranger: TestUser;

  beforeAll(async () => {
    t = await createTestContext({ PUBLIC_URL: "http://api.test", UPLOAD_LIMIT: "4096" }, { clock });
    acme = await t.createPlatform();
    const other = await t.createPlatform();
    seller = await t.createUser(acme, "member");
    member = await t.createUser(acme, "member");
    stranger = await t.createUser(other, "member");
  });
  afterAll(() => t.close());

  /** The upload URL's path and query, to send through `inject`. */
  const target = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };
  const upload = (url: string, data: Buffer, contentType = "image/png") => t.request({ method: "PUT", url: target(url), headers: { "content-type": contentType }, payload: data });

  it("hands out a URL valid for 60 s; uploading to it sets the product's image", async () => {
    const p = await newProduct(t, seller);
    const res = await requestUpload(t, p.id, bearer(seller.token));
    expect(res.statusCode).toBe(200);
    const grant = res.json();
    expect(grant).toMatchObject({
      method: "PUT",
      headers: { "content-type": "image/png" },
      expiresIn: 60,
      key: expect.stringMatching(new RegExp(`^products/${acme.id}/${p.id}/[0-9a-f]{32}\\.png$`)),
      confirm: { method: "POST", url: `http://api.test/v1/products/${p.id}/images/confirm` },
    });
    expect(grant.url).toMatch(new RegExp(`^http://api\\.test/v1/uploads/${encodeURIComponent(grant.key)}\\?content_type=image%2Fpng&expires=\\d+&signature=[0-9a-f]{64}$`));
    const expiresIn = (new Date(grant.expiresAt).getTime() - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(55);
    expect(expiresIn).toBeLessThanOrEqual(60);

    const put = await upload(grant.url, PNG_1PX);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toEqual({ key: grant.key, url: `http://api.test/media/${grant.key}`, type: "image/png", size: PNG_1PX.length });
    const after = (await t.request({ method: "GET", url: `/v1/products/${p.id}`, headers: bearer(member.token) })).json();
    expect(after.image).toBe(`http://api.test/media/${grant.key}`);
    const served = await t.request({ method: "GET", url: `/media/${grant.key}` });
    expect(served.statusCode).toBe(200);
    expect(served.rawPayload.equals(PNG_1PX)).toBe(true);
    expect(await t.db.media.findUniqueOrThrow({ where: { storageKey: grant.key } })).toMatchObject({ platformId: acme.id, userId: seller.id, type: "image/png" });

    // Confirming afterwards is harmless (the same call works with S3).
    const confirmed = await confirm(t, p.id, bearer(seller.token), grant.key);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json().image).toBe(after.image);
  });

  it("refuses a tampered URL (403) and an expired one (410), storing nothing", async () => {
    const p = await newProduct(t, seller);
    const q = await newProduct(t, seller);
    const grant = (await requestUpload(t, p.id, bearer(seller.token))).json();
    const url = new URL(grant.url);
    const tamper = (edit: (u: URL) => void) => {
      const copy = new URL(url);
      edit(copy);
      return copy.toString();
    };
    for (const bad of [
      tamper((u) => u.searchParams.set("signature", `${u.searchParams.get("signature")!.slice(0, 63)}${u.searchParams.get("signature")!.endsWith("0") ? "1" : "0"}`)),
      tamper((u) => u.searchParams.set("expires", String(Number(u.searchParams.get("expires")) + 3600))),
      tamper((u) => u.searchParams.set("content_type", "image/gif")),
      tamper((u) => (u.pathname = u.pathname.replace(p.id, q.id))),
      tamper((u) => (u.pathname = u.pathname.replace(".png", ".gif"))),
    ]) {
      const res = await upload(bad, PNG_1PX);
      expect(res.statusCode, bad).toBe(403);
      expect(res.json().error.code).toBe("signature_invalid");
    }
    skewMs = 61_000;
    try {
      const late = await upload(grant.url, PNG_1PX);
      expect(late.statusCode).toBe(410);
      expect(late.json().error.code).toBe("upload_url_expired");
    } finally {
      skewMs = 0;
    }
    const missing = await t.request({ method: "PUT", url: new URL(grant.url).pathname, payload: PNG_1PX, headers: { "content-type": "image/png" } });
    expect(missing.statusCode).toBe(400);
    expect((await t.request({ method: "GET", url: `/v1/products/${p.id}`, headers: bearer(seller.token) })).json().image).toBeNull();
    expect(await t.db.media.count({ where: { storageKey: grant.key } })).toBe(0);
  });

  it("accepts only an image of the type signed for (415), within UPLOAD_LIMIT (413), and not empty (400)", async () => {
    const p = await newProduct(t, seller);
    const grant = (await requestUpload(t, p.id, bearer(seller.token))).json();
    for (const [data, contentType] of [
      [Buffer.from("%PDF-1.7 not an image"), "image/png"],
      [GIF_1PX, "image/png"],
      [GIF_1PX, "image/gif"],
    ] as const) {
      const res = await upload(grant.url, data, contentType);
      expect(res.statusCode).toBe(415);
      expect(res.json().error.code).toBe("unsupported_media_type");
    }
    const big = await upload(grant.url, Buffer.concat([PNG_1PX, Buffer.alloc(8192)]));
    expect(big.statusCode).toBe(413);
    const empty = await t.request({ method: "PUT", url: target(grant.url) });
    expect(empty.statusCode).toBe(400);
    expect((await t.request({ method: "GET", url: `/v1/products/${p.id}`, headers: bearer(seller.token) })).json().image).toBeNull();
    // Any content type is taken as bytes; the bytes decide.
    const ok = await upload(grant.url, PNG_1PX, "application/octet-stream");
    expect(ok.statusCode).toBe(200);
  });

  it("is 404 once the product is gone", async () => {
    const p = await newProduct(t, seller);
    const grant = (await requestUpload(t, p.id, bearer(seller.token))).json();
    await t.request({ method: "DELETE", url: `/v1/products/${p.id}`, headers: bearer(seller.token) });
    expect((await upload(grant.url, PNG_1PX)).statusCode).toBe(404);
  });

  it("confirm is 409 before anything was uploaded and 400 for another product's key", async () => {
    const p = await newProduct(t, seller);
    const q = await newProduct(t, seller);
    const grant = (await requestUpload(t, p.id, bearer(seller.token))).json();
    const early = await confirm(t, p.id, bearer(seller.token), grant.key);
    expect(early.statusCode).toBe(409);
    expect(early.json().error).toMatchObject({ code: "upload_missing", param: "key" });
    for (const key of [grant.key, "products/../../etc/passwd", `products/${acme.id}/${q.id}/x.png`]) {
      const res = await confirm(t, q.id, bearer(seller.token), key);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.param).toBe("key");
    }
  });

  it("needs an image content type (400), the seller, an editor or the key (403), the platform (404), credentials (401)", async () => {
    const p = await newProduct(t, seller);
    for (const payload of [{}, { contentType: "image/svg+xml" }, { contentType: "image/png", size: 10 }]) {
      expect((await requestUpload(t, p.id, bearer(seller.token), payload)).statusCode).toBe(400);
    }
    expect((await requestUpload(t, p.id, bearer(member.token))).statusCode).toBe(403);
    expect((await requestUpload(t, p.id, bearer(acme.apiKey))).statusCode).toBe(200);
    expect((await requestUpload(t, p.id, bearer(stranger.token))).statusCode).toBe(404);
    expect((await requestUpload(t, p.id, {})).statusCode).toBe(401);
    const grant = (await requestUpload(t, p.id, bearer(seller.token))).json();
    expect((await confirm(t, p.id, bearer(member.token), grant.key)).statusCode).toBe(403);
    expect((await confirm(t, p.id, bearer(stranger.token), grant.key)).statusCode).toBe(404);
    expect((await confirm(t, p.id, {}, grant.key)).statusCode).toBe(401);
  });
});

// ── S3: a local HTTP server stands in for the bucket ──────────────────────────

const S3_KEY_ID = "AKIDEXAMPLE";
const S3_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
const rfc3986 = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Checks a pre-signed request the way S3 does (Signature Version 4, query-string auth), written
 * independently of the AWS SDK that produced it.
 */
function presignedSignatureValid(request: Pick<S3Request, "method" | "url" | "headers">, secret: string): boolean {
  const url = new URL(request.url, "http://placeholder");
  const params = [...url.searchParams.entries()];
  const signature = url.searchParams.get("X-Amz-Signature");
  const amzDate = url.searchParams.get("X-Amz-Date")!;
  const [keyId, date, region, service] = url.searchParams.get("X-Amz-Credential")!.split("/");
  void keyId;
  const signedHeaders = url.searchParams.get("X-Amz-SignedHeaders")!.split(";");
  const canonicalQuery = params
    .filter(([k]) => k !== "X-Amz-Signature")
    .map(([k, v]) => `${rfc3986(k)}=${rfc3986(v)}`)
    .sort()
    .join("&");
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${String(request.headers[h]).trim()}\n`).join("");
  const canonicalRequest = [request.method, url.pathname, canonicalQuery, canonicalHeaders, signedHeaders.join(";"), "UNSIGNED-PAYLOAD"].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secret}`, date!), region!), service!), "aws4_request");
  return hmac(signingKey, stringToSign).toString("hex") === signature;
}

describe("product images with S3 (pre-signed PUT, then confirm)", () => {
  let s3: Awaited<ReturnType<typeof startFakeS3>>;
  let t: TestContext;
  let seller: TestUser;

  beforeAll(async () => {
    s3 = await startFakeS3();
    t = await createTestContext({
      S3_BUCKET: "candle-media",
      S3_REGION: "eu-west-1",
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: S3_KEY_ID,
      S3_SECRET_ACCESS_KEY: S3_SECRET,
      S3_FORCE_PATH_STYLE: "true",
      S3_PUBLIC_URL: "https://cdn.example.com",
    });
    const acme = await t.createPlatform();
    seller = await t.createUser(acme, "member");
  });
  afterAll(async () => {
    await t.close();
    await s3.stop();
  });

  it("signs a PUT to the bucket for 60 s, with the content type; the image is set on confirm, once the object is there", async () => {
    const p = await newProduct(t, seller);
    const grant = (await requestUpload(t, p.id, bearer(seller.token))).json();
    const url = new URL(grant.url);
    expect(`${url.origin}${url.pathname}`).toBe(`${s3.endpoint}/candle-media/${grant.key}`);
    const q = url.searchParams;
    expect(q.get("X-Amz-Algorithm")).toBe("AWS4-HMAC-SHA256");
    expect(q.get("X-Amz-Credential")).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(q.get("X-Amz-Expires")).toBe("60");
    expect(q.get("X-Amz-SignedHeaders")).toBe("content-type;host");
    expect(q.get("X-Amz-Signature")).toMatch(/^[0-9a-f]{64}$/);
    expect([...q.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    expect(grant.headers).toEqual({ "content-type": "image/png" });
    expect(grant.confirm.url).toMatch(new RegExp(`/v1/products/${p.id}/images/confirm$`));
    expect(s3.requests.filter((r) => r.path.includes(grant.key))).toEqual([]); // signing is offline

    // Nothing uploaded yet: confirm says so, and the image stays unset.
    const early = await confirm(t, p.id, bearer(seller.token), grant.key);
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe("upload_missing");

    // The client uploads straight to the bucket with the signed headers.
    const put = await fetch(grant.url, { method: "PUT", headers: grant.headers, body: PNG_1PX });
    expect(put.status).toBe(200);
    const received = s3.requests.find((r) => r.method === "PUT" && r.path === `/candle-media/${grant.key}`)!;
    expect(received.headers["content-type"]).toBe("image/png");
    expect(presignedSignatureValid(received, S3_SECRET)).toBe(true);
    expect(presignedSignatureValid({ ...received, headers: { ...received.headers, "content-type": "image/gif" } }, S3_SECRET)).toBe(false);
    expect(presignedSignatureValid(received, "another secret")).toBe(false);

    const done = await confirm(t, p.id, bearer(seller.token), grant.key);
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().image).toBe(`https://cdn.example.com/${grant.key}`);
    const head = s3.requests.find((r) => r.method === "HEAD" && r.path === `/candle-media/${grant.key}`);
    expect(String(head?.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//);
    const sniff = s3.requests.find((r) => r.method === "GET" && r.path === `/candle-media/${grant.key}`);
    expect(sniff?.headers.range).toBe("bytes=0-15");
    expect(await t.db.media.findUniqueOrThrow({ where: { storageKey: grant.key } })).toMatchObject({ url: done.json().image, size: PNG_1PX.length });
  });

  it("deletes an upload that is not the image type it was signed for (415)", async () => {
    const p = await newProduct(t, seller);
    const grant = (await requestUpload(t, p.id, bearer(seller.token), { contentType: "image/gif" })).json();
    expect(grant.key).toMatch(/\.gif$/);
    await fetch(grant.url, { method: "PUT", headers: grant.headers, body: Buffer.from("<svg onload=alert(1)>") });
    const res = await confirm(t, p.id, bearer(seller.token), grant.key);
    expect(res.statusCode).toBe(415);
    expect(s3.requests.some((r) => r.method === "DELETE" && r.path === `/candle-media/${grant.key}`)).toBe(true);
    expect(s3.objects.has(`/candle-media/${grant.key}`)).toBe(false);
    expect((await t.request({ method: "GET", url: `/v1/products/${p.id}`, headers: bearer(seller.token) })).json().image).toBeNull();
  });

  it("serves no upload route of its own", async () => {
    const res = await t.request({
      method: "PUT",
      url: "/v1/uploads/products%2Fx.png?content_type=image/png&expires=1&signature=00",
      payload: PNG_1PX,
      headers: { "content-type": "image/png" },
    });
    expect(res.statusCode).toBe(404);
  });
});
