import { cancelBookings } from "../../calendars/index.js";
import type { Tenant, Tx } from "../../../db/tenant.js";
import type { Prisma } from "../../../generated/prisma/client.js";
import type { ContractState } from "../contracts.repo.js";
import { releaseStock } from "../operations/items.js";
import { queueOrderJob } from "./plan.js";

/**
 * The end of an order without a sale (declined, expired, canceled, a capture refused, written off):
 * its state, its stock back and its bookings cancelled (unless the sale stands: a write-off keeps
 * both), and the `unwind-order` job queued in the same transaction — it releases what is still
 * authorised and refunds or pays out what was captured (settle/unwind.ts).
 */
export async function endOrder(tx: Tx, tenant: Tenant, c: ContractState, data: Prisma.ContractUpdateInput, stockBack: boolean): Promise<void> {
  if (stockBack) {
    await releaseStock(tx, c.items);
    await tx.contractItem.updateMany({ where: { contractId: c.id }, data: { reserved: 0 } });
    await cancelBookings(tx, tenant, c.id);
  }
  await tx.contract.update({ where: { id: c.id }, data: { ...data, acceptBy: null, releaseAt: null } });
  await queueOrderJob(tx, tenant, "unwind-order", c.id, undefined);
}
