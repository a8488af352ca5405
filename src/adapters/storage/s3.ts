import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Storage } from "./storage.js";

export interface S3StorageOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Base URL objects are read from (a CDN, or the bucket's public URL). */
  publicUrl?: string;
  forcePathStyle: boolean;
}

const isNotFound = (err: unknown) => err instanceof S3ServiceException && (err.$metadata.httpStatusCode === 404 || err.name === "NotFound" || err.name === "NoSuchKey");

/** Any S3-compatible bucket (AWS, MinIO, R2, …). Credentials fall back to the SDK's default chain. */
export function createS3Storage(options: S3StorageOptions): Storage {
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: options.accessKeyId && options.secretAccessKey ? { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey } : undefined,
    maxAttempts: 3,
    // Otherwise the SDK signs a CRC32 of an empty body into pre-signed PUT URLs, and the real upload fails.
    requestChecksumCalculation: "WHEN_REQUIRED",
  });
  const base = (
    options.publicUrl ?? (options.endpoint ? `${options.endpoint.replace(/\/+$/, "")}/${options.bucket}` : `https://${options.bucket}.s3.${options.region}.amazonaws.com`)
  ).replace(/\/+$/, "");
  const urlFor = (key: string) => `${base}/${key}`;
  return {
    kind: "s3",
    urlFor,
    async put(key, data, contentType) {
      // The bucket serves these on a public URL: anything but a raster image is downloaded, never
      // rendered. (S3 cannot add X-Content-Type-Options; the CDN in front of it should.)
      const disposition = /^image\/(?:png|jpeg|gif|webp)$/.test(contentType) ? "inline" : "attachment";
      await client.send(new PutObjectCommand({ Bucket: options.bucket, Key: key, Body: data, ContentType: contentType, ContentDisposition: disposition }));
      return { url: urlFor(key) };
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: options.bucket, Key: key }));
    },
    async presignUpload(key, contentType, expiresInSeconds) {
      const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: options.bucket, Key: key, ContentType: contentType }), {
        expiresIn: expiresInSeconds,
        // Content-Type is signed: the upload must send exactly this type.
        signableHeaders: new Set(["content-type"]),
      });
      const expiresAt = new Date(Math.floor(Date.now() / 1000) * 1000 + expiresInSeconds * 1000);
      return { url, method: "PUT", headers: { "content-type": contentType }, expiresAt };
    },
    async inspect(key, sniffBytes) {
      let size: number;
      try {
        const head = await client.send(new HeadObjectCommand({ Bucket: options.bucket, Key: key }));
        size = head.ContentLength ?? 0;
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
      if (size === 0) return { size, head: Buffer.alloc(0) };
      const object = await client.send(new GetObjectCommand({ Bucket: options.bucket, Key: key, Range: `bytes=0-${sniffBytes - 1}` }));
      const bytes = object.Body ? Buffer.from(await object.Body.transformToByteArray()) : Buffer.alloc(0);
      return { size, head: bytes.subarray(0, sniffBytes) };
    },
  };
}
