import type { Tenant, Tx } from "../../db/tenant.js";
import { recordEvents } from "../events/index.js";
import { productInclude } from "./products.repo.js";
import { productEvent } from "./products.service.js";

/**
 * Erasure's part here: what the user sold is withdrawn (kept for the contracts that name it), each
 * with its `product.archived` event.
 */
export async function withdrawUserProducts(tx: Tx, user: Tenant & { id: string }, now: Date): Promise<void> {
  const withdrawn = await tx.$queryRaw<{ id: string }[]>`
    UPDATE products SET is_enabled = false, archived = ${now}, updated = ${now} WHERE user_id = ${user.id} AND archived IS NULL RETURNING id`;
  const archived = await tx.product.findMany({ where: { id: { in: withdrawn.map((p) => p.id) } }, include: productInclude, orderBy: [{ created: "asc" }, { id: "asc" }] });
  const source = { platformId: user.platformId, mode: user.mode };
  await recordEvents(
    tx,
    archived.map((p) => productEvent(source, "product.archived", p, now)),
  );
}
