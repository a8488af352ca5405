/**
 * Where uploaded files live. The disk implementation serves them from our own `/media/…` route;
 * an S3-compatible one (with pre-signed URLs) plugs in behind the same port.
 */
export interface Storage {
  readonly kind: "disk" | "s3";
  put(key: string, data: Buffer, contentType: string): Promise<{ url: string }>;
  delete(key: string): Promise<void>;
  /** The public URL of a stored key. */
  urlFor(key: string): string;
  /**
   * A URL a client can PUT the bytes of `key` to, without credentials, until it expires: an S3
   * pre-signed URL, or one on our own server signed with an HMAC (`PUT /v1/uploads/…`).
   */
  presignUpload(key: string, contentType: string, expiresInSeconds: number): Promise<PresignedUpload>;
  /** What is stored at `key` (null when nothing is): its size and first `sniffBytes` bytes. */
  inspect(key: string, sniffBytes: number): Promise<{ size: number; head: Buffer } | null>;
}

export interface PresignedUpload {
  url: string;
  method: "PUT";
  /** Headers the upload must carry exactly (they are part of the signature). */
  headers: Record<string, string>;
  expiresAt: Date;
}
