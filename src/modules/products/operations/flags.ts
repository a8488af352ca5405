import type { Prisma } from "../../../db/client.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { EventType } from "../../events/index.js";
import type { ProductView } from "../products.repo.js";
import { changed, findProduct, lockManageable, type ProductsContext } from "./shared.js";

/**
 * Sets a flag when `onlyIf` says it is not set yet, and records `type` then; setting it again
 * changes nothing and records nothing.
 */
async function setFlag(
  ctx: ProductsContext,
  auth: AuthContext,
  id: string,
  data: Prisma.ProductUpdateManyMutationInput,
  onlyIf: Prisma.ProductWhereInput,
  type: EventType,
): Promise<ProductView> {
  return ctx.db.$transaction(async (tx) => {
    await lockManageable(tx, auth, id);
    const { count } = await tx.product.updateMany({ where: { id, platformId: auth.platformId, ...onlyIf }, data });
    return count === 1 ? changed(ctx, tx, auth, id, type) : findProduct(tx, auth, id);
  });
}

export const setEnabled = (ctx: ProductsContext, auth: AuthContext, id: string, isEnabled: boolean) =>
  setFlag(ctx, auth, id, { isEnabled }, { isEnabled: !isEnabled }, isEnabled ? "product.enabled" : "product.disabled");

/** Archiving keeps the first archive date; unarchiving clears it. */
export const setArchived = (ctx: ProductsContext, auth: AuthContext, id: string, archived: boolean) =>
  archived
    ? setFlag(ctx, auth, id, { archived: ctx.clock.now() }, { archived: null }, "product.archived")
    : setFlag(ctx, auth, id, { archived: null }, { archived: { not: null } }, "product.unarchived");

export const setSeasonalPriceUsage = (ctx: ProductsContext, auth: AuthContext, id: string, useSeasonalPrices: boolean) =>
  setFlag(ctx, auth, id, { useSeasonalPrices }, { useSeasonalPrices: !useSeasonalPrices }, "product.updated");
