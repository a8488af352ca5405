import type { Tx } from "../../../db/tenant.js";
import { ConflictError, NotFoundError, PermissionError, UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { MAX_PARTIES, type BuyerInput, type SellerInput } from "../contracts.schemas.js";
import { isEditor } from "../contracts.state.js";
import { type ContractState } from "../contracts.repo.js";
import { change, resolveUser, type ContractsContext } from "./shared.js";

/** A contract's buyers and sellers: added, pinned, unpinned, removed. */

export async function insertBuyer(tx: Tx, c: ContractState, input: BuyerInput, param: string): Promise<void> {
  const user = await resolveUser(tx, c, input.user_id, param);
  if (c.buyers.some((b) => b.userId === user.id)) throw new ConflictError("buyer_exists", `${user.id} is already a buyer of ${c.id}.`, param);
  if (c.sellers.some((s) => s.userId === user.id)) {
    throw new UnprocessableError("buyer_is_seller", `${user.id} is a seller of ${c.id}: nobody buys from themself.`, param);
  }
  if (c.buyers.length >= MAX_PARTIES) throw new UnprocessableError("too_many_buyers", `A contract has at most ${MAX_PARTIES} buyers.`, param);
  const pinned = input.dueAmount !== undefined && input.dueAmount !== null;
  const row = await tx.contractBuyer.create({
    data: {
      id: newId("buyer"),
      platformId: c.platformId,
      mode: c.mode,
      contractId: c.id,
      userId: user.id,
      email: user.email,
      name: user.name,
      position: (c.buyers.at(-1)?.position ?? -1) + 1,
      pinned,
      amountDue: pinned ? input.dueAmount! : 0,
    },
  });
  c.buyers.push(row);
}

/** Pinning what a seller is paid takes money from them: that seller's own hand, an editor's or the key's. */
export function assertMayPinSeller(auth: AuthContext, sellerUserId: string): void {
  if (isEditor(auth) || auth.user?.id === sellerUserId) return;
  throw new PermissionError("seller_pin_forbidden", `Only ${sellerUserId} themself, an editor or the platform key can set what they are owed.`);
}

export async function insertSeller(tx: Tx, auth: AuthContext, c: ContractState, input: SellerInput, param: string): Promise<void> {
  const user = await resolveUser(tx, c, input.user_id, param);
  if (c.sellers.some((s) => s.userId === user.id)) throw new ConflictError("seller_exists", `${user.id} is already a seller of ${c.id}.`, param);
  if (c.buyers.some((b) => b.userId === user.id)) {
    throw new UnprocessableError("buyer_is_seller", `${user.id} is a buyer of ${c.id}: nobody sells to themself.`, param);
  }
  if (c.sellers.length >= MAX_PARTIES) throw new UnprocessableError("too_many_sellers", `A contract has at most ${MAX_PARTIES} sellers.`, param);
  const pinned = input.owedAmount !== undefined && input.owedAmount !== null;
  if (pinned) assertMayPinSeller(auth, user.id);
  const row = await tx.contractSeller.create({
    data: {
      id: newId("seller"),
      platformId: c.platformId,
      mode: c.mode,
      contractId: c.id,
      userId: user.id,
      email: user.email,
      name: user.name,
      position: (c.sellers.at(-1)?.position ?? -1) + 1,
      pinned,
      amountOwed: pinned ? input.owedAmount! : 0,
    },
  });
  c.sellers.push(row);
}

const buyerOf = (c: ContractState, userId: string) => {
  const buyer = c.buyers.find((b) => b.userId === userId);
  if (!buyer) throw new NotFoundError("buyer of this contract", userId, "buyer_id");
  return buyer;
};
const sellerOf = (c: ContractState, userId: string) => {
  const seller = c.sellers.find((s) => s.userId === userId);
  if (!seller) throw new NotFoundError("seller of this contract", userId, "seller_id");
  return seller;
};

export const addBuyer = (ctx: ContractsContext, auth: AuthContext, id: string, input: BuyerInput) => change(ctx, auth, id, (tx, c) => insertBuyer(tx, c, input, "user_id"));

export const setDue = (ctx: ContractsContext, auth: AuthContext, id: string, buyerUserId: string, dueAmount: number | null) =>
  change(ctx, auth, id, async (tx, c) => {
    const buyer = buyerOf(c, buyerUserId);
    await tx.contractBuyer.update({ where: { id: buyer.id }, data: dueAmount === null ? { pinned: false } : { pinned: true, amountDue: dueAmount } });
  });

export const removeBuyer = (ctx: ContractsContext, auth: AuthContext, id: string, buyerUserId: string) =>
  change(ctx, auth, id, async (tx, c) => {
    await tx.contractBuyer.delete({ where: { id: buyerOf(c, buyerUserId).id } });
  });

export const addSeller = (ctx: ContractsContext, auth: AuthContext, id: string, input: SellerInput) =>
  change(ctx, auth, id, (tx, c) => insertSeller(tx, auth, c, input, "user_id"));

export const setOwed = (ctx: ContractsContext, auth: AuthContext, id: string, sellerUserId: string, owedAmount: number | null) =>
  change(ctx, auth, id, async (tx, c) => {
    const seller = sellerOf(c, sellerUserId);
    assertMayPinSeller(auth, seller.userId);
    await tx.contractSeller.update({ where: { id: seller.id }, data: owedAmount === null ? { pinned: false } : { pinned: true, amountOwed: owedAmount } });
  });

export const removeSeller = (ctx: ContractsContext, auth: AuthContext, id: string, sellerUserId: string) =>
  change(ctx, auth, id, async (tx, c) => {
    const seller = sellerOf(c, sellerUserId);
    const items = c.items.filter((item) => item.userId === seller.userId).length;
    if (items > 0) {
      throw new ConflictError("seller_has_items", `${seller.userId} sells ${items} item(s) of ${c.id}: remove those first.`, "seller_id");
    }
    // Their shipping line goes with them (its items are gone already).
    await tx.contractShipping.deleteMany({ where: { contractId: c.id, userId: seller.userId } });
    c.shipping = c.shipping.filter((line) => line.userId !== seller.userId);
    await tx.contractSeller.delete({ where: { id: seller.id } });
  });
