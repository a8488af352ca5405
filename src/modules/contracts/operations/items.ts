import { cancelBookings } from "../../calendars/index.js";
import type { Tx } from "../../../db/tenant.js";
import type { ContractItem, Product } from "../../../generated/prisma/client.js";
import type { ItemType } from "../../../generated/prisma/enums.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { addOnsOffered, assertMinimumQuantity, assertPublished, effectivePrice, giveBackStock, hasLiveVariants, lockProductForSale, takeStock } from "../../products/index.js";
import { priceLine } from "../../settlement/index.js";
import { MAX_ITEMS, type ItemInput } from "../contracts.schemas.js";
import { isEditor } from "../contracts.state.js";
import { type ContractState } from "../contracts.repo.js";
import { assertWithinHoldCap, holdUntil, refreshHold, releaseExpiredHolds } from "../stock-holds.js";
import { insertSeller } from "./parties.js";
import { change, resolveUser, type ContractsContext } from "./shared.js";

/** A contract's items: a catalogue product (its stock held) or a custom line; and the stock given back. */

export function assertForSale(p: Pick<Product, "id" | "name" | "isEnabled" | "archived"> & { parent: { isEnabled: boolean; archived: Date | null } | null }): void {
  const name = `${p.name} (${p.id})`;
  if (p.archived !== null || p.parent?.archived) throw new ConflictError("product_archived", `${name} is archived and cannot be bought.`, "product_id");
  if (!p.isEnabled || (p.parent && !p.parent.isEnabled)) throw new ConflictError("product_disabled", `${name} is disabled and cannot be bought.`, "product_id");
}

export function stockError(p: Pick<Product, "id" | "name">, available: number, wanted: number): ConflictError {
  const name = `${p.name} (${p.id})`;
  return available <= 0
    ? new ConflictError("product_out_of_stock", `${name} is out of stock.`, "product_id")
    : new ConflictError("insufficient_stock", `Only ${available} of ${name} left in stock, ${wanted} wanted.`, "product_id");
}

export async function insertItem(ctx: ContractsContext, tx: Tx, auth: AuthContext, c: ContractState, input: ItemInput): Promise<void> {
  const { clock, holds } = ctx;
  let seller: string;
  let price: number;
  let type: ItemType;
  let description: string | null;
  let productId: string | null = null;
  let reserved = 0;
  let addOns: { id: string; title: string; price: number }[] = [];
  const param = input.product_id !== undefined ? "product_id" : "user_id";
  if (input.product_id !== undefined) {
    // Expired holds on it go back first: what is left to sell is then exact.
    await releaseExpiredHolds(tx, input.product_id, clock.now());
    const product = await lockProductForSale(tx, c, input.product_id);
    // A listing not published is not for sale: 404 to those who may not see it, 409 to the others.
    assertPublished(auth, product, "product_id", clock.now());
    assertMinimumQuantity(product, input.quantity);
    if (product.parentProductId === null && (await hasLiveVariants(tx, product.id))) {
      throw new UnprocessableError("variant_required", `${product.id} comes in variants: add one of them by its id.`, "product_id");
    }
    assertForSale(product);
    if (product.currency !== c.currency) {
      throw new UnprocessableError("currency_mismatch", `${product.name} (${product.id}) is priced in ${product.currency}, and this contract is in ${c.currency}.`, "product_id");
    }
    if (product.quantity !== null) {
      if (product.quantity < input.quantity) throw stockError(product, product.quantity, input.quantity);
      if (!isEditor(auth) && auth.user) await assertWithinHoldCap(tx, holds, product, auth.user.id, input.quantity);
      await takeStock(tx, product.id, input.quantity);
      await refreshHold(tx, c.id, holdUntil(holds, clock.now()));
      reserved = input.quantity;
    }
    seller = product.userId;
    price = effectivePrice(product, product.seasonalPrices, input.startDate ?? clock.now());
    type = input.type ?? product.type;
    description = input.description ?? product.name;
    productId = product.id;
    addOns = await addOnsOffered(tx, product, input.add_ons ?? [], "add_ons");
  } else {
    seller = (await resolveUser(tx, c, input.user_id!, "user_id")).id;
    price = input.price!;
    type = input.type ?? "product";
    description = input.description ?? null;
  }
  if (c.buyers.some((b) => b.userId === seller)) {
    throw new UnprocessableError("buyer_is_seller", `${seller} sells this item and is a buyer of ${c.id}: nobody buys from themself.`, param);
  }
  if (c.items.length >= MAX_ITEMS) throw new UnprocessableError("too_many_items", `A contract has at most ${MAX_ITEMS} items.`, param);
  const line = priceLine(price, input.quantity, addOns);
  const total = line.total;
  // The fee module wants every item's seller among the sellers: the item brings its seller along.
  if (!c.sellers.some((s) => s.userId === seller)) await insertSeller(tx, auth, c, { user_id: seller }, param);
  const row = await tx.contractItem.create({
    data: {
      id: newId("contractItem"),
      platformId: c.platformId,
      mode: c.mode,
      contractId: c.id,
      userId: seller,
      type,
      productId,
      startDate: input.startDate ?? null,
      endDate: input.endDate ?? null,
      quantity: input.quantity,
      price,
      total,
      description,
      reserved,
      addOns: line.addOns.map((a, i) => ({ add_on_id: a.id, title: addOns[i]!.title, price: a.price, quantity: a.quantity, total: a.total })),
    },
  });
  c.items.push(row);
}

/** Gives the stock the items hold back to their products (in product order, so concurrent releases do not deadlock). */
export async function releaseStock(tx: Tx, items: readonly Pick<ContractItem, "productId" | "reserved">[]): Promise<void> {
  const byProduct = new Map<string, number>();
  for (const item of items) if (item.productId && item.reserved > 0) byProduct.set(item.productId, (byProduct.get(item.productId) ?? 0) + item.reserved);
  for (const [productId, units] of [...byProduct].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await giveBackStock(tx, productId, units);
  }
}

export const addItem = (ctx: ContractsContext, auth: AuthContext, id: string, input: ItemInput) => change(ctx, auth, id, (tx, c) => insertItem(ctx, tx, auth, c, input));

export const removeItem = (ctx: ContractsContext, auth: AuthContext, id: string, itemId: string) =>
  change(ctx, auth, id, async (tx, c) => {
    const item = c.items.find((i) => i.id === itemId);
    if (!item) throw new NotFoundError("item on this contract", itemId, "item_id");
    await releaseStock(tx, [item]);
    // A booked item's time goes back to its seller, and its calendar events are cancelled.
    await cancelBookings(tx, { platformId: c.platformId, mode: c.mode }, c.id, [item.id]);
    await tx.contractItem.delete({ where: { id: item.id } });
  });
