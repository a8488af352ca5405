import type { Db } from "../../db/client.js";
import type { ApiKey } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import type { Prisma } from "../../db/client.js";
import { notifyInvalidation } from "../../db/invalidation.js";
import { randomBase62, sha256Hex } from "../../lib/crypto.js";
import { ConflictError, NotFoundError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, type Page } from "../../lib/pagination.js";
import { toApiDate } from "../../lib/time.js";
import { recordEvent } from "../events/index.js";
import type { Tenant } from "../../db/tenant.js";

export type { Tenant };

/**
 * Platform API keys. Only a sha256 of the key is stored (keys are 40 random base62 characters, so
 * a fast hash is enough) plus its last four characters for display; the key itself is returned
 * once, by `create`.
 */
const SECRET_LENGTH = 40;

export function generateApiKey(mode: Mode): string {
  return `cndl_${mode}_${randomBase62(SECRET_LENGTH)}`;
}

export function createKeysService(deps: { db: Db /** Evicts this node's cached copy of a key (other nodes hear the NOTIFY). */; invalidate?: (message: string) => void }) {
  const { db } = deps;
  const invalidateLocally = deps.invalidate ?? (() => {});

  async function issue(tx: Prisma.TransactionClient, tenant: Tenant, name?: string | null, scopes: readonly string[] = []): Promise<{ key: ApiKey; secret: string }> {
    const secret = generateApiKey(tenant.mode);
    const key = await tx.apiKey.create({
      data: {
        id: newId("apiKey"),
        platformId: tenant.platformId,
        mode: tenant.mode,
        name: name ?? null,
        hash: sha256Hex(secret),
        last4: secret.slice(-4),
        scopes: [...new Set(scopes)],
      },
    });
    await recordEvent(tx, { ...eventSource(tenant), type: "api_key.created", object: toApiKeyResponse(key) });
    return { key, secret };
  }

  return {
    issue,

    async list(tenant: Tenant, query: { page: number; per_page: number; revoked?: boolean }): Promise<Page<ApiKey>> {
      const where = {
        platformId: tenant.platformId,
        mode: tenant.mode,
        ...(query.revoked === undefined ? {} : { revoked: query.revoked ? { not: null } : null }),
      };
      const [total, data] = await Promise.all([
        db.apiKey.count({ where }),
        db.apiKey.findMany({ where, orderBy: [{ created: "desc" }, { id: "desc" }], ...pageWindow(query.page, query.per_page) }),
      ]);
      return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
    },

    /** A key; with `scopes`, restricted to them (docs/api/oauth.md, Scopes). */
    create(tenant: Tenant, input: { name?: string; scopes?: readonly string[] }): Promise<{ key: ApiKey; secret: string }> {
      return db.$transaction((tx) => issue(tx, tenant, input.name, input.scopes));
    },

    /**
     * Revokes a key; every node stops accepting it when the revocation commits (NOTIFY). The
     * platform's last active unrestricted key cannot be revoked: restricted keys cannot manage
     * keys, so that would lock the platform out.
     */
    async revoke(tenant: Tenant, keyId: string): Promise<ApiKey> {
      const revoked = await db.$transaction(async (tx) => {
        // Lock the platform's keys so two revocations cannot each leave the other as "the last one".
        const active = await tx.$queryRaw<{ id: string }[]>`
          SELECT id FROM api_keys WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND revoked IS NULL AND cardinality(scopes) = 0 FOR UPDATE`;
        const key = await tx.apiKey.findFirst({ where: { id: keyId, platformId: tenant.platformId, mode: tenant.mode } });
        if (!key) throw new NotFoundError("API key", keyId, "key_id");
        if (key.revoked) return key;
        if (key.scopes.length === 0 && active.length <= 1) {
          throw new ConflictError(
            "last_active_key",
            "This is the platform's last active key with the owner's rights (unrestricted). Create another key before revoking it.",
            "key_id",
          );
        }
        const revoked = await tx.apiKey.update({ where: { id: key.id }, data: { revoked: new Date() } });
        await notifyInvalidation(tx, `key:${key.hash}`);
        await recordEvent(tx, { ...eventSource(tenant), type: "api_key.revoked", object: toApiKeyResponse(revoked) });
        return revoked;
      });
      invalidateLocally(`key:${revoked.hash}`);
      return revoked;
    },
  };
}

export type KeysService = ReturnType<typeof createKeysService>;

const eventSource = (t: Tenant) => ({ platformId: t.platformId, mode: t.mode, requestId: t.requestId });

export function toApiKeyResponse(key: ApiKey) {
  return {
    id: key.id,
    platform_id: key.platformId,
    mode: key.mode,
    name: key.name,
    prefix: `cndl_${key.mode}_`,
    last4: key.last4,
    scopes: key.scopes.length > 0 ? key.scopes : null,
    lastUsed: toApiDate(key.lastUsed),
    revoked: toApiDate(key.revoked),
    created: toApiDate(key.created),
    updated: toApiDate(key.updated),
  };
}
