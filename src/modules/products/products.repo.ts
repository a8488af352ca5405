import type { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { Cycle } from "../../generated/prisma/enums.js";
import { NotFoundError } from "../../lib/errors.js";
import type { Product, SeasonalPrice } from "../../generated/prisma/client.js";

/**
 * The products module's tables (`products`, `seasonal_prices`): how a product is read. Only this
 * module reads or writes them; other modules ask it (see index.ts).
 */

export const seasonOrder = [{ seasonStart: "asc" }, { id: "asc" }] satisfies Prisma.SeasonalPriceOrderByWithRelationInput[];

export const productInclude = {
  seasonalPrices: { orderBy: seasonOrder },
  variants: { where: { archived: null }, orderBy: [{ created: "asc" }, { id: "asc" }], include: { seasonalPrices: { orderBy: seasonOrder } } },
} satisfies Prisma.ProductInclude;

/** What the product object is made from: the row, its seasons and (on a parent) its variants. */
export type SeasonView = Pick<SeasonalPrice, "id" | "seasonStart" | "seasonEnd" | "price">;
export type ProductCoreView = Product & { seasonalPrices: SeasonView[] };
export type ProductView = ProductCoreView & { variants: ProductCoreView[] };

/*
 * Stock and what contracts and subscriptions read of a product: the contracts module holds stock
 * for its items through these.
 */

/** A catalogue product of the tenant, locked (its stock is about to be taken), with its seasons and its parent's state; 404 when none. */
export async function lockProductForSale(tx: Tx, tenant: Tenant, id: string) {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM products WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError("product", id, "product_id");
  return tx.product.findUniqueOrThrow({
    where: { id },
    include: { seasonalPrices: { orderBy: seasonOrder }, parent: { select: { isEnabled: true, archived: true } } },
  });
}

/** Whether the product has variants that are not archived (then one of them is bought, not it). */
export async function hasLiveVariants(tx: Tx, productId: string): Promise<boolean> {
  return (await tx.product.count({ where: { parentProductId: productId, archived: null } })) > 0;
}

/** Takes units of a product's stock (the caller checked there are enough, under the product's lock). */
export async function takeStock(tx: Tx, productId: string, units: number): Promise<void> {
  await tx.product.update({ where: { id: productId }, data: { quantity: { decrement: units } } });
}

/** Gives units back to a product's stock; a product made unlimited meanwhile stays unlimited. */
export async function giveBackStock(tx: Tx, productId: string, units: number): Promise<void> {
  await tx.product.updateMany({ where: { id: productId, quantity: { not: null } }, data: { quantity: { increment: units } } });
}

/** One of these products priced in another currency than `currency`, if any. */
export async function productInOtherCurrency(tx: Tx, productIds: readonly string[], currency: string): Promise<{ id: string; currency: string } | null> {
  return tx.product.findFirst({ where: { id: { in: [...productIds] }, currency: { not: currency } }, select: { id: true, currency: true } });
}

/** The billing cycle a service product suggests; null when there is no such product or it has none. */
export async function productCycle(tx: Tx, productId: string): Promise<Cycle | null> {
  return (await tx.product.findUnique({ where: { id: productId }, select: { cycle: true } }))?.cycle ?? null;
}
