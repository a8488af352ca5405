import { Prisma, type Db } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { Cycle, ItemType, ProductAdminStatus } from "../../generated/prisma/enums.js";
import { NotFoundError } from "../../lib/errors.js";
import type { Product, SeasonalPrice } from "../../generated/prisma/client.js";
import type { MetafieldResponse } from "../metafields/index.js";

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
/** A listing's add-on as the API answers it (products.addons.ts). */
export interface AddOnView {
  id: string;
  product_id: string;
  title: string;
  description: string | null;
  price: number;
  created: string;
  updated: string;
}
/** A top-level product (and one read on its own, a variant too) carries its metafields and add-ons; a variant nested in its parent does not. */
export type ProductView = ProductCoreView & { variants: ProductCoreView[]; metafields: MetafieldResponse[]; addOns: AddOnView[] };

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
    include: { seasonalPrices: { orderBy: seasonOrder }, parent: { select: { isEnabled: true, archived: true, userId: true, adminStatus: true, publishAt: true } } },
  });
}

/** Whether the product has variants that are not archived (then one of them is bought, not it). */
export async function hasLiveVariants(tx: Tx, productId: string): Promise<boolean> {
  return (await tx.product.count({ where: { parentProductId: productId, archived: null } })) > 0;
}

/** Locks a product's row until the transaction ends (every change to its stock or a hold on it does); its name and stock, null when it is gone. */
export async function lockProductRow(tx: Tx, productId: string): Promise<{ name: string; quantity: number | null } | null> {
  const [row] = await tx.$queryRaw<{ name: string; quantity: number | null }[]>`SELECT name, quantity FROM products WHERE id = ${productId} FOR UPDATE`;
  return row ?? null;
}

/** Those of these products that still exist. */
export async function existingProductIds(tx: Tx, productIds: readonly string[]): Promise<Set<string>> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM products WHERE id = ANY(${[...productIds]}::text[])`;
  return new Set(rows.map((p) => p.id));
}

/**
 * The statement that gives `units` (an SQL expression) back to a product's stock, for the contracts
 * module to end the statement that frees its holds with (one statement: holds and stock move together).
 * A product made unlimited, or nothing to give back, changes nothing.
 */
export const giveBackStockSql = (productId: string, units: Prisma.Sql) =>
  Prisma.sql`UPDATE products SET quantity = quantity + ${units}, updated = now() WHERE id = ${productId} AND quantity IS NOT NULL AND ${units} > 0`;

/** Takes units of a product's stock (the caller checked there are enough, under the product's lock). */
export async function takeStock(tx: Tx, productId: string, units: number): Promise<void> {
  await tx.$executeRaw`UPDATE products SET quantity = quantity - ${units}, updated = now() WHERE id = ${productId}`;
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

/** A product's name (a subscription's calendar events are titled with it). */
export async function productName(tx: Tx, productId: string): Promise<string | null> {
  return (await tx.product.findUnique({ where: { id: productId }, select: { name: true } }))?.name ?? null;
}

/*
 * What the carts module reads of a product. Adding to a cart and answering the cart are hot (every
 * change answers the cart), so the cart's one statement embeds the product as these subqueries
 * (on the product id column it names) rather than asking for it in a second round trip.
 */

/** The product of a cart line as JSON: its row's fields, its seasons and its parent's state. */
export const productJsonOf = (productId: Prisma.Sql) => Prisma.sql`(
  SELECT json_build_object(
    'id', p.id, 'userId', p.user_id, 'parentProductId', p.parent_product_id, 'name', p.name, 'image', p.image,
    'currency', p.currency, 'isEnabled', p.is_enabled, 'archived', p.archived, 'quantity', p.quantity, 'price', p.price,
    'adminStatus', p.admin_status, 'weight', p.weight,
    'useSeasonalPrices', p.use_seasonal_prices,
    'seasonalPrices', coalesce((
      SELECT json_agg(json_build_object('seasonStart', s.season_start, 'seasonEnd', s.season_end, 'price', s.price) ORDER BY s.season_start, s.id)
      FROM seasonal_prices s WHERE s.product_id = p.id), '[]'),
    'parent', (SELECT json_build_object('isEnabled', pp.is_enabled, 'archived', pp.archived, 'adminStatus', pp.admin_status) FROM products pp WHERE pp.id = p.parent_product_id))
  FROM products p WHERE p.id = ${productId})`;

/** The currency of the product whose id is in that column. */
export const productCurrencyOf = (productId: Prisma.Sql) => Prisma.sql`(SELECT p.currency FROM products p WHERE p.id = ${productId})`;

/** The seller (user id) of the product whose id is in that column. */
export const productSellerOf = (productId: Prisma.Sql) => Prisma.sql`(SELECT p.user_id FROM products p WHERE p.id = ${productId})`;

/** What adding to a cart needs of a product, read under a share lock. */
export interface ProductForCart {
  id: string;
  userId: string;
  parentProductId: string | null;
  name: string;
  type: ItemType;
  currency: string;
  isEnabled: boolean;
  archived: Date | null;
  quantity: number | null;
  adminStatus: ProductAdminStatus;
  publishAt: Date | null;
  minQuantity: number;
  hasVariants: boolean;
}

/**
 * A product of the tenant (a variant of `variantOf` when given), share-locked against changes and
 * deletion until the caller commits; null when there is none.
 */
export async function shareLockProduct(tx: Tx, tenant: Tenant, id: string, variantOf?: string): Promise<ProductForCart | null> {
  const where = variantOf === undefined ? Prisma.sql`id = ${id}` : Prisma.sql`id = ${id} AND parent_product_id = ${variantOf}`;
  const rows = await tx.$queryRaw<ProductForCart[]>`
    SELECT id, user_id AS "userId", parent_product_id AS "parentProductId", name, type::text AS type, currency,
           is_enabled AS "isEnabled", archived, quantity, admin_status AS "adminStatus", publish_at AS "publishAt", min_quantity AS "minQuantity",
           EXISTS (SELECT 1 FROM products v WHERE v.parent_product_id = products.id AND v.archived IS NULL) AS "hasVariants"
    FROM products WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND ${where} FOR SHARE`;
  return rows[0] ?? null;
}

/** Of these products, the members-only ones (an item or its parent flagged) that `exceptSeller` does not sell. */
export async function membersOnlyProducts(client: Db | Tx, productIds: readonly string[], exceptSeller: string | null): Promise<{ id: string; name: string }[]> {
  if (productIds.length === 0) return [];
  return client.$queryRaw<{ id: string; name: string }[]>`
    SELECT p.id, p.name FROM products p LEFT JOIN products parent ON parent.id = p.parent_product_id
    WHERE p.id = ANY(${[...productIds]}::text[]) AND (p.members_only OR coalesce(parent.members_only, false))
      AND p.user_id IS DISTINCT FROM ${exceptSeller}`;
}
