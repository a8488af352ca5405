import { createHmac } from "node:crypto";
import { safeEqual } from "../../lib/crypto.js";
import type { Clock } from "../../lib/time.js";
import type { PresignedUpload } from "./storage.js";

/**
 * Pre-signed upload URLs on our own server, for when there is no S3 bucket to sign for us:
 * `PUT <baseUrl>/<URL-encoded key>?content_type=…&expires=<unix s>&signature=<hex HMAC-SHA256>`. The signature
 * covers the method, the key, the content type and the expiry, so none of them can be changed; the
 * receiving route checks it (403) before the expiry (410).
 */
export interface UploadSigner {
  sign(key: string, contentType: string, expiresInSeconds: number): PresignedUpload;
  verify(input: { key: string; contentType: string; expires: number; signature: string }): "valid" | "invalid" | "expired";
}

export const SIGNED_UPLOAD_KEY = /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*\.[a-z0-9]{2,5}$/;

export function createUploadSigner(options: { secret: string; baseUrl: string; clock: Clock }): UploadSigner {
  // A key of its own, derived from the server secret, so an upload signature is never a valid MAC elsewhere.
  const key = createHmac("sha256", options.secret).update("candle:signed-upload-urls:v1").digest();
  const mac = (path: string, contentType: string, expires: number) => createHmac("sha256", key).update(`PUT\n${path}\n${contentType}\n${expires}`).digest("hex");
  return {
    sign(path, contentType, expiresInSeconds) {
      const expires = Math.floor(options.clock.now().getTime() / 1000) + expiresInSeconds;
      const query = new URLSearchParams({ content_type: contentType, expires: String(expires), signature: mac(path, contentType, expires) });
      return {
        url: `${options.baseUrl}/${encodeURIComponent(path)}?${query.toString()}`,
        method: "PUT",
        headers: { "content-type": contentType },
        expiresAt: new Date(expires * 1000),
      };
    },
    verify({ key: path, contentType, expires, signature }) {
      if (!SIGNED_UPLOAD_KEY.test(path) || !Number.isInteger(expires)) return "invalid";
      if (!safeEqual(mac(path, contentType, expires), signature)) return "invalid";
      return options.clock.now().getTime() >= expires * 1000 ? "expired" : "valid";
    },
  };
}
