import { randomInt } from "node:crypto";
import { USERNAME_PATTERN } from "../users/index.js";

/** Names that would impersonate the marketplace itself. */
export const RESERVED_USERNAMES = new Set([
  "admin",
  "administrator",
  "api",
  "support",
  "help",
  "root",
  "system",
  "staff",
  "moderator",
  "owner",
  "candle",
  "null",
  "undefined",
  "me",
  "auth",
]);

/** "Zoë O'Brien-Smith!" → "zoe_obrien_smith": ASCII letters, digits and single underscores. */
export function slugifyUsername(text: string): string {
  const ascii = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return ascii.slice(0, 24).replace(/_+$/, "");
}

/** Candidates from a base, best first: the base, then with numbers that read naturally, then random ones. */
export function usernameCandidates(base: string): string[] {
  // Too short to be valid on its own ("jo"): keep it recognisable rather than padding with noise.
  const trimmed = (base.length >= 3 ? base : base ? `${base}_user` : "user").slice(0, 24);
  const out = [trimmed];
  for (let n = 1; n <= 9; n += 1) out.push(`${trimmed}${n}`);
  for (const n of [10, 11, 12, 21, 22, 99, 100, 123]) out.push(`${trimmed}${n}`);
  for (let i = 0; i < 20; i += 1) out.push(`${trimmed}_${randomInt(100, 100_000)}`);
  return [...new Set(out)].filter((c) => USERNAME_PATTERN.test(c) && !RESERVED_USERNAMES.has(c));
}
