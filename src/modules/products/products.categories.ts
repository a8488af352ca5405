import type { Tenant, Tx } from "../../db/tenant.js";
import { categoryForProduct } from "../categories/index.js";

/**
 * How a product relates to the platform's category tree. `category_id` links a category and sets
 * the free-text `category` to its name, so clients that only know `category` keep reading the right
 * thing; `category` sent alone with another text unlinks the product (it is in that free-text
 * category now); `category_id: null` unlinks it and keeps the text.
 */
export async function categoryFields(
  tx: Tx,
  tenant: Tenant,
  input: { category_id?: string | null; category?: string | null },
  current: { categoryId: string | null; category: string | null } | null,
): Promise<{ categoryId?: string | null; category?: string | null }> {
  if (input.category_id) {
    const category = await categoryForProduct(tx, tenant, input.category_id);
    return { categoryId: category.id, category: category.name };
  }
  if (input.category_id === null) return { categoryId: null };
  if (input.category !== undefined && current?.categoryId && input.category !== current.category) return { categoryId: null };
  return {};
}

/** Products (variants too) linked to a category: they stop its deletion. */
export async function countProductsInCategory(tx: Tx, tenant: Tenant, categoryId: string): Promise<number> {
  return tx.product.count({ where: { platformId: tenant.platformId, mode: tenant.mode, categoryId } });
}

/** A renamed category's products show old clients its new name as their `category`. */
export async function renameCategoryOnProducts(tx: Tx, tenant: Tenant, categoryId: string, name: string): Promise<void> {
  await tx.product.updateMany({ where: { platformId: tenant.platformId, mode: tenant.mode, categoryId }, data: { category: name } });
}
