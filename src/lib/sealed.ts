import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * Secrets kept in the database (a Google refresh token) are sealed with AES-256-GCM under a key
 * derived (HKDF-SHA256) from the server's secret — JWT_SECRET, or the one generated into
 * `DATA_DIR/jwt-secret` (src/secrets.ts) — and a purpose, so a copy of the database alone reveals
 * nothing. Changing that secret makes what was sealed under it unreadable (users connect again).
 */
export interface Sealer {
  seal(plain: string): string;
  /** null when the text was not sealed with this key (another secret, or tampered with). */
  open(sealed: string): string | null;
}

export function deriveKey(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "candle", purpose, 32));
}

export function createSealer(secret: string, purpose: string): Sealer {
  const key = deriveKey(secret, purpose);
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv);
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()]);
      return `v1.${iv.toString("base64url")}.${cipher.getAuthTag().toString("base64url")}.${body.toString("base64url")}`;
    },
    open(sealed) {
      const [version, iv, tag, body] = sealed.split(".");
      if (version !== "v1" || !iv || !tag || body === undefined) return null;
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64url"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
      } catch {
        return null;
      }
    },
  };
}

/** An HMAC-SHA256 under a derived key, base64url: for secrets that are recomputed rather than stored (feed URLs, OAuth states). */
export function macOf(key: Buffer, ...parts: string[]): string {
  return createHmac("sha256", key).update(parts.join("\n")).digest("base64url");
}
