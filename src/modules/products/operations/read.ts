import type { Tenant } from "../../../db/tenant.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { NotFoundError } from "../../../lib/errors.js";
import { pageMeta, parseSort, type Page } from "../../../lib/pagination.js";
import { findActiveUser } from "../../users/index.js";
import { listProducts } from "../products.list.js";
import type { ProductView } from "../products.repo.js";
import type { ListProductsQuery } from "../products.schemas.js";
import type { ProductsContext } from "./shared.js";

/**
 * A page of the listings the caller may see (products.view.ts, `maySee`). `hideMembersOnlyFor`:
 * the caller may not read members-only products (but for their own, when a user).
 */
export async function list(ctx: ProductsContext, auth: AuthContext, query: ListProductsQuery, sellerId?: string, hideMembersOnlyFor?: string | null): Promise<Page<ProductView>> {
  const sort = parseSort<"price" | "created" | "name">(query.sort);
  const { total, data } = await listProducts(
    ctx.db,
    { platformId: auth.platformId, mode: auth.mode, viewer: auth, sellerId, hideMembersOnlyFor, now: ctx.clock.now() },
    query,
    sort,
  );
  return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
}

/** Only these products, in this order (a curated collection's), as the caller may see them in the list, with its paging. */
export async function listOnly(
  ctx: ProductsContext,
  auth: AuthContext,
  productIds: readonly string[],
  query: ListProductsQuery,
  hideMembersOnlyFor?: string | null,
): Promise<Page<ProductView>> {
  const sort = parseSort<"price" | "created" | "name">(query.sort);
  const { total, data } = await listProducts(
    ctx.db,
    { platformId: auth.platformId, mode: auth.mode, viewer: auth, productIds, hideMembersOnlyFor, now: ctx.clock.now() },
    query,
    sort,
  );
  return { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
}

export async function listForSeller(
  ctx: ProductsContext,
  auth: AuthContext,
  userId: string,
  query: ListProductsQuery,
  hideMembersOnlyFor?: string | null,
): Promise<Page<ProductView>> {
  const user = await findActiveUser(ctx.db, auth, userId);
  if (!user) throw new NotFoundError("user", userId, "user_id");
  return list(ctx, auth, query, userId, hideMembersOnlyFor);
}

/** Categories of the listed catalogue (top-level published products not archived), each with its subcategories and counts. */
export async function categories(ctx: ProductsContext, tenant: Tenant) {
  const groups = await ctx.db.product.groupBy({
    by: ["category", "subcategory"],
    where: { platformId: tenant.platformId, mode: tenant.mode, parentProductId: null, archived: null, adminStatus: "published", category: { not: null } },
    _count: { _all: true },
    orderBy: [{ category: "asc" }, { subcategory: "asc" }],
  });
  const categories = new Map<string, { category: string; count: number; subcategories: { subcategory: string; count: number }[] }>();
  for (const g of groups) {
    const name = g.category!;
    const entry = categories.get(name) ?? { category: name, count: 0, subcategories: [] };
    entry.count += g._count._all;
    if (g.subcategory !== null) entry.subcategories.push({ subcategory: g.subcategory, count: g._count._all });
    categories.set(name, entry);
  }
  return { data: [...categories.values()] };
}
