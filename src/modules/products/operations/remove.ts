import { ConflictError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { recordEvents } from "../../events/index.js";
import type { ProductView } from "../products.repo.js";
import { productEvent } from "../products.view.js";
import { findProduct, lockManageable, variantsOf, type ProductsContext } from "./shared.js";

/**
 * Deletes a product (with its variants and seasonal prices), unless a contract that was sent or
 * is being settled still refers to it or one of its variants: then 409, and archiving is the
 * way to retire it. Buyers' carts and drafts (never sent) do not stand in the way — else any
 * member could pin a seller's catalogue: the product's cart lines go, and a draft's item of it
 * stays as a line that can no longer be sent or settled (409 until its creator removes it).
 */
export async function remove(ctx: ProductsContext, auth: AuthContext, id: string): Promise<ProductView> {
  const { clock, references } = ctx;
  return ctx.db.$transaction(async (tx) => {
    await lockManageable(tx, auth, id);
    const before = await findProduct(tx, auth, id);
    const variants = await variantsOf(tx, auth, id);
    const ids = [id, ...variants.map((v) => v.id)];
    const inContract = await references.countSentContractItems(tx, auth, ids);
    if (inContract > 0) {
      throw new ConflictError("product_in_open_contract", `${id} (or one of its variants) is on a sent contract not yet paid. Archive it instead.`, "id");
    }
    await references.removeProductsFromCarts(tx, auth, ids);
    await tx.product.delete({ where: { id, platformId: auth.platformId } });
    const now = clock.now();
    await recordEvents(
      tx,
      [before, ...variants].map((p) => productEvent(auth, "product.deleted", p, now)),
    );
    return before;
  });
}
