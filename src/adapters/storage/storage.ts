/**
 * Where uploaded files live. The disk implementation serves them from our own `/media/…` route;
 * an S3-compatible one (with pre-signed URLs) plugs in behind the same port.
 */
export interface Storage {
  readonly kind: "disk" | "s3";
  put(key: string, data: Buffer, contentType: string): Promise<{ url: string }>;
  delete(key: string): Promise<void>;
}
