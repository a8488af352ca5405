import type { Db } from "../../../db/client.js";
import type { Tx } from "../../../db/tenant.js";
import { ConflictError, PermissionError, UnprocessableError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { BaseRates } from "../../settlement/index.js";
import { assertReadable, isUnlocked } from "../contracts.state.js";
import { loadState, lockContract, rebalanceAndStore, type ContractState } from "../contracts.repo.js";
import { holdUntil, retakeHolds, type HoldRules } from "../stock-holds.js";

/**
 * What the subscriptions module asks of a contract when one of its buyers subscribes: the contract
 * locked and checked (the caller is its buyer; nothing is paid), then held and priced as it is now
 * — the figures the subscription fixes as its terms.
 */

/** Locks the contract a signed-in buyer subscribes to; 404 when they may not see it, 403 when not its buyer, 409 when locked. */
export async function lockForSubscription(tx: Tx, auth: AuthContext & { user: { id: string } }, contractId: string): Promise<ContractState> {
  const c = await lockContract(tx, { platformId: auth.platformId, mode: auth.mode }, contractId);
  assertReadable(auth, c);
  if (!c.buyers.some((b) => b.userId === auth.user.id)) {
    throw new PermissionError("not_contract_buyer", `Only a buyer of ${c.id} can subscribe to it.`);
  }
  if (!isUnlocked(c)) {
    throw new ConflictError(
      "contract_not_subscribable",
      `${c.id} is ${c.status}${c.status === "open" ? " with something paid" : ""}: only a draft or open contract with nothing paid is subscribed to.`,
      "contract_id",
    );
  }
  return c;
}

/**
 * Holds again what it sells if its hold expired (409 when gone; a live subscription keeps it held)
 * and prices it at the current rates; 422 when it has no seller or nothing to pay.
 */
export async function priceForSubscription(tx: Tx, c: ContractState, deps: { rates: BaseRates; holds: HoldRules; now: Date }): Promise<ContractState> {
  await retakeHolds(tx, c.id, deps.now, holdUntil(deps.holds, deps.now));
  await rebalanceAndStore(tx, c, deps.rates);
  const priced = await loadState(tx, c.id);
  if (priced.sellers.length === 0 || priced.total <= 0) {
    throw new UnprocessableError(
      "contract_incomplete",
      `${priced.id} has ${priced.sellers.length === 0 ? "no seller" : "nothing to pay"}: a subscription needs a seller and a positive total.`,
      priced.sellers.length === 0 ? "sellers" : "items",
    );
  }
  return priced;
}

/** Is the user one of the contract's sellers (who may read its subscriptions)? */
export async function isSellerOf(client: Db | Tx, contractId: string, userId: string): Promise<boolean> {
  return (await client.contractSeller.count({ where: { contractId, userId } })) > 0;
}
