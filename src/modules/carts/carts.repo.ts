import type { Tenant, Tx } from "../../db/tenant.js";
import { scrubEventsOfUserObjects } from "../events/index.js";

/** Erasure's part here: the user's cart goes, and its events keep an empty one (not what they were about to buy). */
export async function eraseUserCart(tx: Tx, user: Tenant & { id: string }): Promise<void> {
  await tx.cart.deleteMany({ where: { userId: user.id } });
  await scrubEventsOfUserObjects(tx, user, user.id, "cart", { items: [], sellers: [], total: 0 });
}

/** Deleted products leave every cart (the products module calls this when it deletes them). */
export async function removeProductsFromCarts(tx: Tx, tenant: Tenant, productIds: readonly string[]): Promise<void> {
  await tx.cartItem.deleteMany({ where: { productId: { in: [...productIds] }, platformId: tenant.platformId } });
}
