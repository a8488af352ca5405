import type { Db } from "../../../db/client.js";
import type { Tenant, Tx } from "../../../db/tenant.js";
import type { Transaction } from "../../../generated/prisma/client.js";

/** Reads other modules make of the ledger's refunds (the refund requests module). */

/** A buyer's charge (`incoming`) for a contract, as the settlement recorded it; the latest if there were several. */
export function buyerCharge(client: Db | Tx, tenant: Tenant, contractId: string, buyerUserId: string): Promise<Transaction | null> {
  return client.transaction.findFirst({
    where: { platformId: tenant.platformId, mode: tenant.mode, contractId, buyerUserId, type: "incoming" },
    orderBy: { created: "desc" },
  });
}

/** How refunds (their `incoming:refund` rows, by id) stand: `processing`, `succeeded` or `failed`. */
export async function refundStatuses(client: Db | Tx, tenant: Tenant, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await client.transaction.findMany({
    where: { platformId: tenant.platformId, mode: tenant.mode, id: { in: [...ids] } },
    select: { id: true, status: true },
  });
  return new Map(rows.map((r) => [r.id, r.status]));
}
