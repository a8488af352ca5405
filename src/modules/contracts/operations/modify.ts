import { UnprocessableError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { productInOtherCurrency } from "../../products/index.js";
import type { ContractResponse, ModifyContractInput } from "../contracts.schemas.js";
import { assertInDeal, assertManageable, assertUnlocked, isEditor, isUnlocked } from "../contracts.state.js";
import { loadState, lockContract, voidAcceptances } from "../contracts.repo.js";
import { inclusion, rebalanceVoiding, recorded, tenantOf, view, type ContractsContext } from "./shared.js";

/** Notes and due date; currency and fee inclusion too while nothing is paid. */
export async function modify(ctx: ContractsContext, auth: AuthContext, id: string, input: ModifyContractInput): Promise<ContractResponse> {
  const tenant = tenantOf(auth);
  return ctx.db.$transaction(async (tx) => {
    const c = await lockContract(tx, tenant, id);
    assertManageable(auth, c);
    const flags = inclusion(input, c);
    const moneyChanges =
      (input.currency !== undefined && input.currency !== c.currency) ||
      flags.includeStripeFees !== c.includeStripeFees ||
      flags.includeCandleFees !== c.includeCandleFees ||
      flags.includePlatformFees !== c.includePlatformFees;
    // A member manages their contract while nothing is paid; an editor may still annotate it.
    if (moneyChanges || !isEditor(auth)) assertUnlocked(c);
    if (moneyChanges) assertInDeal(auth, c);
    if (input.currency !== undefined && input.currency !== c.currency) {
      const products = c.items.flatMap((item) => (item.productId ? [item.productId] : []));
      const other = await productInOtherCurrency(tx, products, input.currency);
      if (other) {
        throw new UnprocessableError("currency_mismatch", `Item ${other.id} is priced in ${other.currency}: a contract has one currency.`, "currency");
      }
    }
    if (moneyChanges) await voidAcceptances(tx, c.id);
    await tx.contract.update({
      where: { id: c.id },
      data: {
        ...(input.notes !== undefined ? { notes: input.notes } : {}),
        ...(input.due !== undefined ? { due: input.due } : {}),
        ...(input.currency !== undefined ? { currency: input.currency } : {}),
        ...flags,
      },
    });
    if (isUnlocked(c)) await rebalanceVoiding(ctx, tx, await loadState(tx, id));
    return recorded(tx, auth, "contract.updated", await view(tx, tenant, id));
  });
}
