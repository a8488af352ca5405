import { createHmac } from "node:crypto";
import { safeEqual } from "../../lib/crypto.js";

/**
 * `Candle-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>` — Stripe's
 * scheme: the timestamp is signed with the body, so a receiver can refuse old replays. The key is
 * the whole secret as shown at creation, `whsec_` included.
 */
export function signatureHeader(secret: string | readonly string[], timestamp: number, body: string): string {
  // During a secret's rotation both secrets sign, as Stripe does: `t=…,v1=<new>,v1=<old>`.
  const signatures = [secret].flat().map((s) => `v1=${createHmac("sha256", s).update(`${timestamp}.${body}`).digest("hex")}`);
  return `t=${timestamp},${signatures.join(",")}`;
}

/** What a receiver does (docs/webhooks-and-events.md): true for a fresh, correctly signed body. */
export function verifySignature(header: string, body: string, secret: string, options: { toleranceSeconds?: number; now?: Date } = {}): boolean {
  const parts = new Map<string, string[]>();
  for (const item of header.split(",")) {
    const [key, value] = item.split("=", 2);
    if (key && value) parts.set(key.trim(), [...(parts.get(key.trim()) ?? []), value.trim()]);
  }
  const timestamp = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(timestamp)) return false;
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? 300)) return false;
  const expected = signatureHeader(secret, timestamp, body).split("v1=")[1]!;
  return (parts.get("v1") ?? []).some((candidate) => safeEqual(candidate, expected));
}
