import { cancelBookings } from "../../calendars/index.js";
import { ConflictError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { ContractResponse } from "../contracts.schemas.js";
import { assertManageable, assertUnlocked } from "../contracts.state.js";
import { lockContract } from "../contracts.repo.js";
import { releaseStock } from "./items.js";
import { recorded, tenantOf, view, type ContractsContext } from "./shared.js";

/**
 * Like Stripe's invoices: a draft (never sent) is deleted; an open contract that was sent is
 * voided and kept. Either way its stock goes back. Only while nothing is paid.
 */
export async function remove(ctx: ContractsContext, auth: AuthContext, id: string): Promise<ContractResponse> {
  const tenant = tenantOf(auth);
  return ctx.db.$transaction(async (tx) => {
    const c = await lockContract(tx, tenant, id);
    assertManageable(auth, c);
    if (c.status === "void" || c.status === "uncollectible") throw new ConflictError("contract_void", `${c.id} is already ${c.status}.`, "id");
    assertUnlocked(c);
    // Subscriptions keep their contract (their terms and history point at it).
    if (await ctx.hasSubscriptions(tx, c.id)) {
      throw new ConflictError("contract_has_subscriptions", `${c.id} has subscriptions: it is kept for them, and cannot be deleted or voided.`, "id");
    }
    await releaseStock(tx, c.items);
    // Its bookings end: the sellers' time is free again, both parties' events cancelled.
    await cancelBookings(tx, tenant, c.id);
    if (c.status === "draft") {
      const before = await view(tx, tenant, id);
      await tx.contract.delete({ where: { id: c.id } });
      return recorded(tx, auth, "contract.deleted", before);
    }
    await tx.contractItem.updateMany({ where: { contractId: c.id }, data: { reserved: 0 } });
    await tx.contract.update({ where: { id: c.id }, data: { status: "void" } });
    return recorded(tx, auth, "contract.voided", await view(tx, tenant, id));
  });
}
