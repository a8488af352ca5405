import { ConflictError, PermissionError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { ContractResponse } from "../contracts.schemas.js";
import { assertReadable, isUnlocked } from "../contracts.state.js";
import { lockContract } from "../contracts.repo.js";
import { gateBuyer, rebalanceVoiding, recorded, tenantOf, view, type ContractsContext } from "./shared.js";

/**
 * `POST /contracts/:id/accept` (the buyer, signed in): their consent to be charged what they owe
 * now, in the contract's currency — settling charges a buyer only with it, unless they settle
 * themself or the platform (key, owner, admin) does. Any change to the contract's money voids it.
 * Accepting what one already accepted changes nothing and records no event.
 */
export async function accept(ctx: ContractsContext, auth: AuthContext & { user: { id: string } }, id: string): Promise<ContractResponse> {
  const tenant = tenantOf(auth);
  return ctx.db.$transaction(async (tx) => {
    let c = await lockContract(tx, tenant, id);
    assertReadable(auth, c);
    if (!c.buyers.some((b) => b.userId === auth.user.id)) throw new PermissionError("not_contract_buyer", `Only a buyer of ${c.id} can accept it.`);
    if (!isUnlocked(c)) {
      throw new ConflictError(
        "contract_not_acceptable",
        `${c.id} is ${c.status}${c.status === "open" ? " with something paid" : ""}: only a draft or open contract with nothing paid is accepted.`,
        "id",
      );
    }
    // Accepting is consent to pay for its lines: the subscription gate.
    await gateBuyer(ctx, tx, auth, c);
    // They accept the figures as they are now, at the current rates.
    c = await rebalanceVoiding(ctx, tx, c);
    const buyer = c.buyers.find((b) => b.userId === auth.user.id)!;
    if (buyer.accepted !== null && buyer.acceptedAmount === buyer.amountDue && buyer.acceptedCurrency === c.currency) return view(tx, tenant, id);
    await tx.contractBuyer.update({ where: { id: buyer.id }, data: { accepted: ctx.clock.now(), acceptedAmount: buyer.amountDue, acceptedCurrency: c.currency } });
    return recorded(tx, auth, "contract.accepted", await view(tx, tenant, id));
  });
}
