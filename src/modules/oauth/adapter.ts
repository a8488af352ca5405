import type { Adapter, AdapterPayload } from "oidc-provider";
import { Prisma, type Db } from "../../db/client.js";

/**
 * oidc-provider's storage in PostgreSQL (table oauth_payloads): grants, authorization codes, access
 * and refresh tokens, sessions and interactions survive a restart and are shared by every node.
 * Each record is a JSON payload under its model name and id; expired records are never returned
 * (and are deleted by the hourly `sweep-idempotency` job), consumed ones are returned marked as consumed, as
 * the provider expects (a code used twice revokes its grant).
 */
export class PostgresAdapter implements Adapter {
  constructor(
    private readonly db: Db,
    private readonly type: string,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const expiresAt = typeof expiresIn === "number" ? new Date(Date.now() + expiresIn * 1000) : null;
    await this.db.$executeRaw`
      INSERT INTO oauth_payloads (type, id, payload, grant_id, uid, user_code, expires_at)
      VALUES (${this.type}, ${id}, ${JSON.stringify(payload)}::jsonb, ${payload.grantId ?? null}, ${payload.uid ?? null}, ${payload.userCode ?? null}, ${expiresAt})
      ON CONFLICT (type, id) DO UPDATE
      SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid, user_code = EXCLUDED.user_code, expires_at = EXCLUDED.expires_at`;
  }

  private async findWhere(column: "id" | "uid" | "user_code", value: string): Promise<AdapterPayload | undefined> {
    const rows = await this.db.$queryRaw<{ payload: AdapterPayload; consumed_at: Date | null }[]>`
      SELECT payload, consumed_at FROM oauth_payloads
      WHERE type = ${this.type} AND ${Prisma.raw(column)} = ${value}
        AND (expires_at IS NULL OR expires_at > now())
      LIMIT 1`;
    const row = rows[0];
    if (!row) return undefined;
    return row.consumed_at ? { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) } : row.payload;
  }

  find(id: string) {
    return this.findWhere("id", id);
  }

  findByUid(uid: string) {
    return this.findWhere("uid", uid);
  }

  findByUserCode(userCode: string) {
    return this.findWhere("user_code", userCode);
  }

  async consume(id: string): Promise<void> {
    await this.db.$executeRaw`UPDATE oauth_payloads SET consumed_at = now() WHERE type = ${this.type} AND id = ${id}`;
  }

  async destroy(id: string): Promise<void> {
    await this.db.$executeRaw`DELETE FROM oauth_payloads WHERE type = ${this.type} AND id = ${id}`;
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    // Every model's records of the grant: its codes and tokens go with it.
    await this.db.$executeRaw`DELETE FROM oauth_payloads WHERE grant_id = ${grantId}`;
  }
}

/** Expired records, deleted by the housekeeping job. */
export async function pruneExpiredOAuthRecords(db: Db): Promise<number> {
  return db.$executeRaw`DELETE FROM oauth_payloads WHERE expires_at < now() - interval '1 hour'`;
}
