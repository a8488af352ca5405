import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";

/**
 * A value sealed for the job queue: AES-256-GCM under a key derived from the server secret
 * (`JWT_SECRET`, which every node sharing the database shares). Jobs are rows of the database until
 * they run — and a job that failed for good stays there — so an email carrying a sign-in or
 * confirmation code is queued sealed: the code is never readable in the database, its backups or
 * a dump of the queue.
 */
export interface Sealed {
  sealed: string;
}

export function seal(secret: string, value: unknown): Sealed {
  return { sealed: jobSealer(secret).seal(JSON.stringify(value)) };
}

/** The value, or a thrown error when it was sealed under another secret or altered. */
export function unseal(secret: string, sealed: Sealed): unknown {
  const plain = jobSealer(secret).open(sealed.sealed);
  if (plain === null) throw new Error("a sealed job payload could not be opened: sealed under another secret, or altered");
  return JSON.parse(plain);
}

export function isSealed(value: unknown): value is Sealed {
  return typeof value === "object" && value !== null && typeof (value as Sealed).sealed === "string";
}

/** One sealer per secret: the key derivation stays off the path of every queued email. */
const jobSealers = new Map<string, Sealer>();
function jobSealer(secret: string): Sealer {
  let sealer = jobSealers.get(secret);
  if (!sealer) {
    sealer = createSealer(secret, "job payloads");
    jobSealers.set(secret, sealer);
  }
  return sealer;
}

/**
 * Secrets kept in a table (a Google refresh token) are sealed with AES-256-GCM under a key
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
