import type { Tenant, Tx } from "../../db/tenant.js";

/** Contracts that were sent (or are being settled) and are not paid: a product they name is not deleted. */
const SENT_CONTRACT_STATUSES = ["open", "processing"] as const;

/** How many items of sent, unpaid contracts name one of these products (the products module asks before deleting). */
export async function countSentContractItems(tx: Tx, tenant: Tenant, productIds: readonly string[]): Promise<number> {
  return tx.contractItem.count({
    where: { productId: { in: [...productIds] }, platformId: tenant.platformId, contract: { status: { in: [...SENT_CONTRACT_STATUSES] } } },
  });
}
