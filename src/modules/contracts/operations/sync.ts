import type { AuthContext } from "../../../plugins/auth.js";
import type { ContractResponse } from "../contracts.schemas.js";
import { assertReadable, isUnlocked } from "../contracts.state.js";
import { lockContract } from "../contracts.repo.js";
import { rebalanceVoiding, recorded, tenantOf, view, type ContractsContext } from "./shared.js";

/**
 * `GET` / `PUT /contracts/:id/sync`: rebalances with the current rates and answers the contract.
 * Anyone who may read the contract may ask; a contract with something paid keeps its figures.
 */
export async function sync(ctx: ContractsContext, auth: AuthContext, id: string): Promise<ContractResponse> {
  const tenant = tenantOf(auth);
  return ctx.db.$transaction(async (tx) => {
    const c = await lockContract(tx, tenant, id);
    assertReadable(auth, c);
    if (!isUnlocked(c)) return view(tx, tenant, id);
    const before = await view(tx, tenant, id);
    await rebalanceVoiding(ctx, tx, c);
    const after = await view(tx, tenant, id);
    // Only when the figures moved (the rates changed since): a sync that changes nothing is no event.
    return JSON.stringify(after) === JSON.stringify(before) ? after : recorded(tx, auth, "contract.updated", after);
  });
}
