import type { Tx } from "../../../db/tenant.js";
import { NotFoundError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { listMetafields, type MetafieldResponse } from "../../metafields/index.js";
import { assertManageable, assertReadable } from "../contracts.state.js";
import { lockContract } from "../contracts.repo.js";
import { recorded, tenantOf, view, type ContractsContext } from "./shared.js";

/**
 * A contract's metafields: read by whoever may read the contract, changed by whoever may change it
 * (assertManageable) in any status — they are the platform's notes on the deal, not its money, so
 * they neither rebalance it nor void an acceptance. A change records `contract.updated`.
 */

export async function metafields(ctx: ContractsContext, auth: AuthContext, id: string): Promise<MetafieldResponse[]> {
  const c = await ctx.db.contract.findFirst({
    where: { id, platformId: auth.platformId, mode: auth.mode },
    select: { id: true, userId: true, buyers: { select: { userId: true } }, sellers: { select: { userId: true } } },
  });
  if (!c) throw new NotFoundError("contract", id, "id");
  assertReadable(auth, c);
  return listMetafields(ctx.db, "contract", id);
}

export function changeMetafields(ctx: ContractsContext, auth: AuthContext, id: string, apply: (tx: Tx) => Promise<boolean>): Promise<MetafieldResponse[]> {
  return ctx.db.$transaction(async (tx) => {
    const c = await lockContract(tx, tenantOf(auth), id);
    assertManageable(auth, c);
    if (!(await apply(tx))) return listMetafields(tx, "contract", id);
    await tx.contract.update({ where: { id }, data: { updated: ctx.clock.now() } });
    return (await recorded(tx, auth, "contract.updated", await view(tx, tenantOf(auth), id))).metafields;
  });
}
