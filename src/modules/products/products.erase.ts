import type { Tenant, Tx } from "../../db/tenant.js";
import { recordEvents } from "../events/index.js";
import { readProduct } from "./products.list.js";
import type { ProductView } from "./products.repo.js";
import { productEvent } from "./products.service.js";

/**
 * Erasure's part here: what the user sold is withdrawn (kept for the contracts that name it), each
 * with its `product.archived` event.
 */
export async function withdrawUserProducts(tx: Tx, user: Tenant & { id: string }, now: Date): Promise<void> {
  const withdrawn = await tx.$queryRaw<{ id: string }[]>`
    UPDATE products SET is_enabled = false, archived = ${now}, updated = ${now} WHERE user_id = ${user.id} AND archived IS NULL RETURNING id`;
  const source = { platformId: user.platformId, mode: user.mode };
  const archived: ProductView[] = [];
  for (const { id } of withdrawn.sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const product = await readProduct(tx, source, id);
    if (product) archived.push(product);
  }
  await recordEvents(
    tx,
    archived.map((p) => productEvent(source, "product.archived", p, now)),
  );
}
