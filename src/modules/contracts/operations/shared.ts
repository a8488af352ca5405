import type { Db } from "../../../db/client.js";
import type { Tenant, Tx } from "../../../db/tenant.js";
import { NotFoundError } from "../../../lib/errors.js";
import type { Clock } from "../../../lib/time.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { recordEvent } from "../../events/index.js";
import type { EventType } from "../../events/index.js";
import type { BaseRates } from "../../settlement/index.js";
import { findActiveUser } from "../../users/index.js";
import type { ContractResponse, CreateContractInput, FeeInclusionInput, FromCartInput, ModifyContractInput } from "../contracts.schemas.js";
import { assertInDeal, assertManageable, assertUnlocked } from "../contracts.state.js";
import { loadState, lockContract, rebalanceAndStore, voidAcceptances, type ContractState } from "../contracts.repo.js";
import { contractView } from "../contracts.repo.js";
import type { HoldRules } from "../stock-holds.js";

/** What every contract operation works with, and the pipeline every change goes through. */
export interface ContractsContext {
  db: Db;
  clock: Clock;
  rates: BaseRates;
  holds: HoldRules;
  /** Whether the contract has subscriptions, live or ended (the subscriptions module answers). */
  hasSubscriptions(tx: Tx, contractId: string): Promise<boolean>;
  /** The subscription gate on buying (the subscriptions module answers): 402 when the caller may not buy these products. */
  purchaseGate: PurchaseGate;
}

/** 402 `subscription_required` when the platform sells these products (null: a custom line) to the caller only with a live subscription to its plan. */
export type PurchaseGate = (tx: Tx, auth: AuthContext, productIds: readonly (string | null)[]) => Promise<void>;

/** The caller is about to buy as a buyer of this contract: the subscription gate on its lines. */
export async function gateBuyer(ctx: Pick<ContractsContext, "purchaseGate">, tx: Tx, auth: AuthContext, c: Pick<ContractState, "id" | "buyers" | "items">): Promise<void> {
  // The plan itself is always open: it is what the gate asks members to subscribe to.
  if (!auth.user || c.id === auth.platform.subscriptionPlan || !c.buyers.some((b) => b.userId === auth.user!.id)) return;
  await ctx.purchaseGate(
    tx,
    auth,
    c.items.map((i) => i.productId),
  );
}

export const tenantOf = (auth: AuthContext): Tenant => ({ platformId: auth.platformId, mode: auth.mode });

export async function view(client: Db | Tx, tenant: Tenant, id: string): Promise<ContractResponse> {
  const contract = await contractView(client, tenant, id);
  if (!contract) throw new NotFoundError("contract", id, "id");
  return contract;
}

/** Records the change's event (last in its transaction) and answers the contract it holds. */
export async function recorded(tx: Tx, auth: AuthContext, type: EventType, contract: ContractResponse): Promise<ContractResponse> {
  await recordEvent(tx, { platformId: auth.platformId, mode: auth.mode, requestId: auth.requestId, type, object: contract });
  return contract;
}

/**
 * Rebalances with the current rates; a buyer whose amount moved (the rates changed since) no
 * longer holds the acceptance of what they owed before. Answers the state after.
 */
export async function rebalanceVoiding(ctx: ContractsContext, tx: Tx, c: ContractState): Promise<ContractState> {
  await rebalanceAndStore(tx, c, ctx.rates);
  const after = await loadState(tx, c.id);
  const moved = after.buyers.filter((b) => b.accepted !== null && b.amountDue !== c.buyers.find((x) => x.id === b.id)?.amountDue);
  if (moved.length === 0) return after;
  await tx.contractBuyer.updateMany({ where: { id: { in: moved.map((b) => b.id) } }, data: { accepted: null, acceptedAmount: null, acceptedCurrency: null } });
  return loadState(tx, c.id);
}

/**
 * One change to a contract: lock it, check the caller may change it and that nothing is paid,
 * apply the change, rebalance, and answer the contract — all in one transaction.
 */
export function change(ctx: ContractsContext, auth: AuthContext, id: string, apply: (tx: Tx, c: ContractState) => Promise<void>): Promise<ContractResponse> {
  return ctx.db.$transaction(async (tx) => {
    const c = await lockContract(tx, tenantOf(auth), id);
    assertManageable(auth, c);
    assertUnlocked(c);
    await apply(tx, c);
    const after = await loadState(tx, id);
    assertInDeal(auth, after);
    // The buyers accepted the contract as it was: whatever this changed, they accept it again.
    await voidAcceptances(tx, c.id);
    await rebalanceAndStore(tx, after, ctx.rates);
    return recorded(tx, auth, "contract.updated", await view(tx, tenantOf(auth), id));
  });
}

export async function resolveUser(tx: Tx, tenant: Tenant, userId: string, param: string) {
  const user = await findActiveUser(tx, tenant, userId);
  if (!user) throw new NotFoundError("user", userId, param);
  return { id: user.id, email: user.email, name: user.name };
}

export function inclusion(input: FeeInclusionInput | ModifyContractInput | FromCartInput | CreateContractInput, current?: ContractState) {
  const all = "feeInclusion" in input ? input.feeInclusion : undefined;
  return {
    includeStripeFees: input.includeStripeFees ?? all ?? current?.includeStripeFees ?? false,
    includeCandleFees: input.includeCandleFees ?? all ?? current?.includeCandleFees ?? false,
    includePlatformFees: input.includePlatformFees ?? all ?? current?.includePlatformFees ?? false,
  };
}
