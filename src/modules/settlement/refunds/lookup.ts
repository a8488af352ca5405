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

/**
 * Whether a buyer's charge for the contract is disputed now. A release of funds held until later
 * (a transfer not made yet) must wait while it is: under `disputeFunds: hold` what was not
 * transferred stays with the platform until the dispute closes.
 */
export async function hasDisputedCharge(client: Db | Tx, tenant: Tenant, contractId: string): Promise<boolean> {
  const found = await client.transaction.findFirst({
    where: { platformId: tenant.platformId, mode: tenant.mode, contractId, type: "incoming", status: "disputed" },
    select: { id: true },
  });
  return found !== null;
}

/**
 * Whether every charge of the contract was given back whole by refunds that succeeded (none still
 * waiting for Stripe): the order is refunded in full. False for a contract nobody paid.
 */
export async function refundedInFull(client: Db | Tx, tenant: Tenant, contractId: string): Promise<boolean> {
  const scope = { platformId: tenant.platformId, mode: tenant.mode, contractId };
  const charges = await client.transaction.findMany({ where: { ...scope, type: "incoming" }, select: { id: true, amount: true } });
  if (charges.length === 0) return false;
  const refunded = await client.transaction.groupBy({
    by: ["refundOfId"],
    where: { ...scope, type: "incoming_refund", status: "succeeded", refundOfId: { in: charges.map((c) => c.id) } },
    _sum: { amount: true },
  });
  const byCharge = new Map(refunded.map((r) => [r.refundOfId, r._sum.amount ?? 0]));
  return charges.every((c) => (byCharge.get(c.id) ?? 0) >= c.amount);
}
