import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Platform } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { PLATFORM_COLUMNS, platformJoin, toPlatform, type PlatformRow } from "../platforms/index.js";

/**
 * The key lookup every key-authenticated request makes (the auth module caches it): plain SQL, as
 * with the `client` engine Prisma compiles each query in Wasm on every call —
 * `apiKey.findUnique({ include: { platform } })` took 1–2 ms of CPU per call (bench/RESULTS.md).
 * One statement: the key and its platform (the platforms module's join).
 */
export async function findKeyByHash(
  db: Db,
  hash: string,
): Promise<{ apiKeyId: string; keyMode: Mode; revoked: Date | null; lastUsed: Date | null; scopes: string[]; platform: Platform } | undefined> {
  const [row] = await db.$queryRaw<(PlatformRow & { key_id: string; key_mode: Mode; revoked: Date | null; last_used: Date | null; key_scopes: string[] | null })[]>`
    SELECT k.id AS key_id, k.mode::text AS key_mode, k.revoked, k.last_used, k.scopes AS key_scopes, ${PLATFORM_COLUMNS}
    FROM api_keys k ${platformJoin(Prisma.raw("k.platform_id"))}
    WHERE k.hash = ${hash}`;
  return row && { apiKeyId: row.key_id, keyMode: row.key_mode, revoked: row.revoked, lastUsed: row.last_used, scopes: row.key_scopes ?? [], platform: toPlatform(row) };
}

/** Notes when a key was last used (the caller keeps it coarse: a read must not become a write each time). */
export function markKeyUsed(db: Db, id: string, now: Date): Promise<unknown> {
  return db.apiKey.update({ where: { id }, data: { lastUsed: now } });
}
