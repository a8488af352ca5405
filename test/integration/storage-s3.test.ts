import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearer, createTestContext, type TestContext, type TestPlatform } from "../helpers/app.js";
import { startFakeS3 } from "../helpers/fake-s3.js";
import { PNG_1PX, multipart } from "../helpers/images.js";

let s3: Awaited<ReturnType<typeof startFakeS3>>;
let t: TestContext;
let acme: TestPlatform;

beforeAll(async () => {
  s3 = await startFakeS3();
  t = await createTestContext({
    S3_BUCKET: "candle-media",
    S3_REGION: "eu-west-1",
    S3_ENDPOINT: s3.endpoint,
    S3_ACCESS_KEY_ID: "AKIDEXAMPLE",
    S3_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    S3_FORCE_PATH_STYLE: "true",
    S3_PUBLIC_URL: "https://cdn.example.com",
  });
  acme = await t.createPlatform();
});
afterAll(async () => {
  await t.close();
  await s3.stop();
});

describe("S3-compatible storage (S3_BUCKET)", () => {
  it("stores uploads in the bucket with signed requests and answers the public URL", async () => {
    const body = multipart("media", "logo.png", PNG_1PX);
    const res = await t.request({ method: "POST", url: "/v1/utils/media/upload", headers: { ...bearer(acme.apiKey), ...body.headers }, payload: body.payload });
    expect(res.statusCode).toBe(201);
    const { id, url } = res.json();
    const key = `${acme.id}/${id}.png`;
    expect(url).toBe(`https://cdn.example.com/${key}`);

    const put = s3.requests.find((r) => r.method === "PUT")!;
    expect(put.path).toBe(`/candle-media/${key}`);
    expect(put.headers["content-type"]).toBe("image/png");
    expect(put.headers["content-disposition"]).toBe("inline");
    expect(String(put.headers.authorization)).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request/);
    expect(s3.objects.get(`/candle-media/${key}`)?.equals(PNG_1PX)).toBe(true);
    expect((await t.db.media.findUniqueOrThrow({ where: { id } })).storageKey).toBe(key);
  });

  it("refuses bad configuration at boot, naming the variable", async () => {
    const { loadConfig, ConfigError } = await import("../../src/config.js");
    expect(() => loadConfig({ S3_ENDPOINT: "http://minio:9000" })).toThrow(ConfigError);
    expect(() => loadConfig({ S3_BUCKET: "b", S3_ACCESS_KEY_ID: "x" })).toThrow(/S3_SECRET_ACCESS_KEY/);
  });
});
