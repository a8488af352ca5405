import { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";

/**
 * What a seller is still to be paid on contracts, asked before their payout account is deleted
 * (the bank-accounts module, through the app): contracts sent and not paid, being settled or
 * disputed, and paid ones whose transfer to them has not gone through.
 */
export async function contractsOwingSeller(tx: Tx, tenant: Tenant, userId: string): Promise<string[]> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT c.id FROM contracts c JOIN contract_sellers s ON s.contract_id = c.id
    WHERE s.user_id = ${userId} AND c.platform_id = ${tenant.platformId} AND c.mode = ${tenant.mode}::"Mode"
      AND (c.status IN ('open', 'processing', 'disputed') OR (c.status = 'paid' AND s.amount_received < s.amount_owed))
    ORDER BY c.id LIMIT 5`;
  return rows.map((r) => r.id);
}

/** The contracts a user sells on, as a subquery (of contract ids) for another module's statement. */
export const contractsSoldBySql = (tenant: Tenant, userId: string) =>
  Prisma.sql`SELECT s.contract_id FROM contract_sellers s WHERE s.user_id = ${userId} AND s.platform_id = ${tenant.platformId} AND s.mode = ${tenant.mode}::"Mode"`;
