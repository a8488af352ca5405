import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

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
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(secret), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return { sealed: Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64") };
}

/** The value, or a thrown error when it was sealed under another secret or altered. */
export function unseal(secret: string, sealed: Sealed): unknown {
  const raw = Buffer.from(sealed.sealed, "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyOf(secret), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8"));
}

export function isSealed(value: unknown): value is Sealed {
  return typeof value === "object" && value !== null && typeof (value as Sealed).sealed === "string";
}

const keys = new Map<string, Buffer>();
function keyOf(secret: string): Buffer {
  let key = keys.get(secret);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", secret, "candle", "job payloads", 32));
    keys.set(secret, key);
  }
  return key;
}
