import type { Prisma } from "../../db/client.js";
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
