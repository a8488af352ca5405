import type { Tx } from "../../../db/tenant.js";
import { NotFoundError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { deleteAddOn, findAddOn, insertAddOn, updateAddOn } from "../products.addons.js";
import type { AddOnView, ProductView } from "../products.repo.js";
import type { CreateAddOnInput, UpdateAddOnInput } from "../products.schemas.js";
import { changed, findProduct, lockManageable, type ProductsContext } from "./shared.js";

/**
 * A listing's add-ons (docs/api/add-ons.md): changed by whoever may change the listing, each change
 * recorded as `product.updated` with the product (its `add_ons` after the change).
 */

/** One change to a listing's add-ons, under the listing's lock; answers the listing after it. */
export function changeListing(ctx: ProductsContext, auth: AuthContext, productId: string, apply: (tx: Tx) => Promise<boolean>): Promise<ProductView> {
  return ctx.db.$transaction(async (tx) => {
    await lockManageable(tx, auth, productId);
    const didChange = await apply(tx);
    return didChange ? changed(ctx, tx, auth, productId, "product.updated") : findProduct(tx, auth, productId);
  });
}

export async function createAddOn(ctx: ProductsContext, auth: AuthContext, productId: string, input: CreateAddOnInput): Promise<AddOnView> {
  const id = newId("addOn");
  const product = await changeListing(ctx, auth, productId, async (tx) => {
    await insertAddOn(tx, auth, { id, productId, title: input.title, description: input.description ?? null, price: input.price });
    return true;
  });
  return product.addOns.find((a) => a.id === id)!;
}

/** The add-on's listing, for the caller who may change it (404 for an add-on of another platform). */
async function listingOf(ctx: ProductsContext, auth: AuthContext, id: string): Promise<string> {
  const addOn = await findAddOn(ctx.db, auth, id);
  if (!addOn) throw new NotFoundError("add-on", id, "id");
  return addOn.product_id;
}

export async function modifyAddOn(ctx: ProductsContext, auth: AuthContext, id: string, input: UpdateAddOnInput): Promise<AddOnView> {
  const productId = await listingOf(ctx, auth, id);
  const product = await changeListing(ctx, auth, productId, async (tx) => {
    // Deleted meanwhile (under the listing's lock now): 404 as if it never was.
    if (!(await findAddOn(tx, auth, id))) throw new NotFoundError("add-on", id, "id");
    const fields = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
    if (Object.keys(fields).length === 0) return false;
    await updateAddOn(tx, id, fields);
    return true;
  });
  return product.addOns.find((a) => a.id === id)!;
}

export async function removeAddOn(ctx: ProductsContext, auth: AuthContext, productId: string, id: string): Promise<AddOnView> {
  let removed: AddOnView | null = null;
  await changeListing(ctx, auth, productId, async (tx) => {
    removed = await findAddOn(tx, auth, id);
    await deleteAddOn(tx, productId, id);
    return true;
  });
  return removed!;
}
