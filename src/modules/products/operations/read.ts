import type { Tenant } from "../../../db/tenant.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { NotFoundError } from "../../../lib/errors.js";
import { pageMeta, parseSort, type Page, type PageMeta } from "../../../lib/pagination.js";
import { categoryFacet, type CategoryFacet } from "../../categories/index.js";
import { findActiveUser } from "../../users/index.js";
import { type ListFilter, type ListResult, type ListSort, listProducts } from "../products.list.js";
import type { ProductView } from "../products.repo.js";
import { DEFAULT_PRICE_BANDS, DEFAULT_WEIGHT_BANDS, type ListProductsQuery } from "../products.schemas.js";
import type { ProductsContext } from "./shared.js";

/** Counts of the matching listings by category, tags, type, price band, attribute and metafield (docs/api/search.md). */
export type ProductFacets = {
  category?: { id: string | null; name: string; parent_id: string | null; count: number }[];
  price?: Band[];
  weight?: Band[];
} & { [valueFacet: string]: { value: unknown; count: number }[] | Band[] | undefined };
type Band = { from: number | null; to: number | null; count: number };

/** Every band of `bounds` with its count (empty ones too): width_bucket's 0 is below the first bound, i between bounds i and i+1, n above the last. */
function bands(bounds: readonly number[], buckets: readonly { bucket: number; count: number }[]): Band[] {
  const counts = new Map(buckets.map((b) => [b.bucket, b.count]));
  return Array.from({ length: bounds.length + 1 }, (_, i) => ({ from: i === 0 ? null : bounds[i - 1]!, to: bounds[i] ?? null, count: counts.get(i) ?? 0 }));
}

export type ProductPage = Page<ProductView> & { meta: PageMeta & { total_is_lower_bound?: true; facets?: ProductFacets } };

/** The list's order: as asked; else by relevance for a search, newest first otherwise. */
function sortOf(query: ListProductsQuery): ListSort {
  const sort = query.sort ?? (query.search !== undefined ? "relevance" : "-created");
  return parseSort<ListSort["field"]>(sort);
}

/** A list page as the API answers it: the page, and the facets asked for with the tree's names and the price bands' bounds. */
async function answer(ctx: ProductsContext, filter: ListFilter, query: ListProductsQuery): Promise<ProductPage> {
  const result: ListResult = await listProducts(ctx.db, filter, query, sortOf(query));
  const meta: ProductPage["meta"] = pageMeta(result.total, query.page, query.per_page, result.data.length);
  if (result.totalIsLowerBound) meta.total_is_lower_bound = true;
  if (result.facets) {
    const facets: ProductFacets = {};
    for (const [name, rows] of Object.entries(result.facets)) {
      if (name === "category") {
        const category = rows as { id: string | null; name: string; count: number }[];
        const direct = new Map<string, number>();
        for (const c of category) if (c.id !== null) direct.set(c.id, (direct.get(c.id) ?? 0) + c.count);
        const tree: NonNullable<ProductFacets["category"]> = (await categoryFacet(ctx.db, filter, direct)) satisfies CategoryFacet[];
        const freeText = category.filter((c) => c.id === null).map((c) => ({ id: null, name: c.name, parent_id: null, count: c.count }));
        facets.category = [...tree, ...freeText];
      } else if (name === "price") facets.price = bands(query.price_bands ?? DEFAULT_PRICE_BANDS, rows as { bucket: number; count: number }[]);
      else if (name === "weight") facets.weight = bands(query.weight_bands ?? DEFAULT_WEIGHT_BANDS, rows as { bucket: number; count: number }[]);
      else facets[name] = rows as { value: unknown; count: number }[];
    }
    meta.facets = facets;
  }
  return { data: result.data, meta };
}

/**
 * A page of the listings the caller may see (products.view.ts, `maySee`). `hideMembersOnlyFor`:
 * the caller may not read members-only products (but for their own, when a user).
 */
export async function list(ctx: ProductsContext, auth: AuthContext, query: ListProductsQuery, sellerId?: string, hideMembersOnlyFor?: string | null): Promise<ProductPage> {
  return answer(ctx, { platformId: auth.platformId, mode: auth.mode, viewer: auth, sellerId, hideMembersOnlyFor, now: ctx.clock.now() }, query);
}

/** Only these products, in this order (a curated collection's), as the caller may see them in the list, with its paging. */
export async function listOnly(
  ctx: ProductsContext,
  auth: AuthContext,
  productIds: readonly string[],
  query: ListProductsQuery,
  hideMembersOnlyFor?: string | null,
): Promise<ProductPage> {
  return answer(ctx, { platformId: auth.platformId, mode: auth.mode, viewer: auth, productIds, hideMembersOnlyFor, now: ctx.clock.now() }, query);
}

export async function listForSeller(ctx: ProductsContext, auth: AuthContext, userId: string, query: ListProductsQuery, hideMembersOnlyFor?: string | null): Promise<ProductPage> {
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
