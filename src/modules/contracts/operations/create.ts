import { PermissionError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { ContractResponse, CreateContractInput } from "../contracts.schemas.js";
import { assertInDeal, isEditor } from "../contracts.state.js";
import { loadState, numberNow, rebalanceAndStore } from "../contracts.repo.js";
import { insertFee } from "./fees.js";
import { insertItem } from "./items.js";
import { insertBuyer, insertSeller } from "./parties.js";
import { gateBuyer, inclusion, recorded, resolveUser, tenantOf, view, type ContractsContext } from "./shared.js";

/** `POST /contracts`: a contract with its parties, items and fees, priced, in one transaction. */
export async function create(ctx: ContractsContext, auth: AuthContext, input: CreateContractInput): Promise<ContractResponse> {
  const tenant = tenantOf(auth);
  const creator = input.user_id ?? auth.user?.id ?? null;
  if (input.user_id !== undefined && !isEditor(auth) && input.user_id !== auth.user?.id) {
    throw new PermissionError("insufficient_role", "A member creates contracts as themself.");
  }
  return ctx.db.$transaction(async (tx) => {
    if (creator !== null) await resolveUser(tx, tenant, creator, "user_id");
    const id = newId("contract");
    await tx.contract.create({
      data: {
        id,
        ...tenant,
        userId: creator,
        notes: input.notes ?? null,
        due: input.due ?? null,
        currency: input.currency ?? auth.platform.currency,
        ...inclusion(input),
      },
    });
    const c = await loadState(tx, id);
    for (const [i, buyer] of (input.buyers ?? []).entries()) await insertBuyer(tx, c, buyer, `buyers.${i}.user_id`);
    for (const [i, seller] of (input.sellers ?? []).entries()) await insertSeller(tx, auth, c, seller, `sellers.${i}.user_id`);
    for (const item of input.items ?? []) await insertItem(ctx, tx, auth, c, item);
    for (const fee of input.fees ?? []) await insertFee(tx, auth, c, fee);
    const after = await loadState(tx, id);
    // An empty draft moves no money; one with parties, items or fees is a deal the member is in.
    if (after.items.length + after.buyers.length + after.sellers.length + after.fees.length > 0) assertInDeal(auth, after);
    // Creating a contract one buys in is buying: the subscription gate.
    await gateBuyer(ctx, tx, auth, after);
    await rebalanceAndStore(tx, after, ctx.rates);
    await numberNow(tx);
    return recorded(tx, auth, "contract.created", await view(tx, tenant, id));
  });
}
