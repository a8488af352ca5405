import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Cycle, ItemType, Mode, ProductAdminStatus, ProductVisibility } from "../../generated/prisma/enums.js";
import { categorySubtreeSql } from "../categories/index.js";
import { metafieldFilterSql, metafieldsJsonSql, metafieldValueCountsSql, parseMetafieldFilters, type MetafieldResponse } from "../metafields/index.js";
import { addOnsJsonSql } from "./products.addons.js";
import { DEFAULT_PRICE_BANDS, DEFAULT_WEIGHT_BANDS, FACET_VALUES, METAFIELD_FACET, type ListProductsQuery, type NamedFacet } from "./products.schemas.js";
import { DEFAULT_RADIUS_KM, distanceKm, textSearch, withinRadius, type TextSearch } from "./products.search.js";
import { SEARCH_WINDOW } from "./search-words.js";
import type { AddOnView, ProductCoreView, ProductView } from "./products.repo.js";
import { isCatalogueEditor, isReviewer, type Viewer } from "./products.view.js";

/**
 * The product lists (`GET /products`, `GET /products/user/:user_id`) in plain SQL.
 *
 * Why not Prisma's query builder here: this is the catalogue's hot path, and with the `client`
 * engine Prisma compiles every query in Wasm on every call (and each call costs ~0.4 ms of CPU
 * besides). Under load, `findMany` + `count` with the seasonal-price and variant includes spent
 * ~30 % of the API's CPU compiling: `npm run bench` measured list-products at 0.13× the bare
 * Fastify + pg baseline, 5.1 ms of server CPU per request. This single statement (with the raw key
 * lookup in credentials.service.ts) brought it to 1.1–1.2 ms and 0.5× (bench/RESULTS.md).
 * It returns the total and the page, each product with its seasonal prices and variants nested,
 * as one JSON text. Every filter is a bound parameter; sort columns come from a fixed list.
 */

const SORT_COLUMNS = { price: Prisma.raw("p.price"), created: Prisma.raw("p.created"), name: Prisma.raw("p.name") } as const;

/** The listing attributes' columns (issue 18), in the page's and one product's select. */
const ATTRIBUTES = Prisma.raw("p.slug, p.external_id, p.sku, p.gallery, p.weight, p.min_quantity, p.visibility, p.publish_at, p.on_homepage");

const SEASONS = (alias: string) =>
  Prisma.raw(`(
  SELECT json_agg(json_build_object('id', s.id, 'productId', s.product_id, 'seasonStart', s.season_start, 'seasonEnd', s.season_end, 'price', s.price) ORDER BY s.season_start, s.id)
  FROM seasonal_prices s WHERE s.product_id = ${alias}.id)`);

/**
 * The listings (alias `alias`) a viewer may see: all of them for a reviewer (and for `null`, the
 * answer of a write or an event), else the published ones and the viewer's own (products.view.ts, `maySee`).
 */
function visibleTo(viewer: Viewer | null, alias: string): Prisma.Sql {
  if (viewer === null || isReviewer(viewer)) return Prisma.sql`TRUE`;
  const status = Prisma.raw(`${alias}.admin_status`);
  const seller = Prisma.raw(`${alias}.user_id`);
  return viewer.user ? Prisma.sql`(${status} = 'published' OR ${seller} = ${viewer.user.id})` : Prisma.sql`${status} = 'published'`;
}

/**
 * The listings (alias `alias`) whose `publishAt` has come, for a viewer who is not an editor: and
 * their own before it (products.view.ts, `maySee`).
 */
function publishedBy(viewer: Viewer | null, alias: string, now: Date): Prisma.Sql {
  if (viewer === null || isCatalogueEditor(viewer)) return Prisma.sql`TRUE`;
  const publishAt = Prisma.raw(`${alias}.publish_at`);
  const open = Prisma.sql`(${publishAt} IS NULL OR ${publishAt} <= ${now})`;
  return viewer.user ? Prisma.sql`(${open} OR ${Prisma.raw(`${alias}.user_id`)} = ${viewer.user.id})` : open;
}

/** A parent's variants that are not archived and that the viewer may see. */
const VARIANTS = (viewer: Viewer | null, now: Date) => Prisma.sql`(
  SELECT json_agg(json_build_object(
    'id', v.id, 'platform_id', v.platform_id, 'mode', v.mode, 'user_id', v.user_id, 'parent_product_id', v.parent_product_id,
    'type', v.type, 'name', v.name, 'description', v.description, 'image', v.image, 'quantity', v.quantity,
    'is_enabled', v.is_enabled, 'archived', v.archived, 'category', v.category, 'subcategory', v.subcategory, 'category_id', v.category_id, 'tags', v.tags,
    'price', v.price, 'currency', v.currency, 'cycle', v.cycle, 'use_seasonal_prices', v.use_seasonal_prices, 'members_only', v.members_only,
    'language', v.language, 'latitude', v.latitude, 'longitude', v.longitude,
    'admin_status', v.admin_status, 'rejection_reason', v.rejection_reason,
    'slug', v.slug, 'external_id', v.external_id, 'sku', v.sku, 'gallery', v.gallery, 'weight', v.weight, 'min_quantity', v.min_quantity,
    'visibility', v.visibility, 'publish_at', v.publish_at, 'on_homepage', v.on_homepage,
    'created', v.created, 'updated', v.updated, 'seasons', ${SEASONS("v")}
  ) ORDER BY v.created, v.id)
  FROM products v WHERE v.parent_product_id = p.id AND v.archived IS NULL AND ${visibleTo(viewer, "v")} AND ${publishedBy(viewer, "v", now)})`;

interface SeasonJson {
  id: string;
  seasonStart: string;
  seasonEnd: string;
  price: number;
}

interface ProductRow {
  id: string;
  platform_id: string;
  mode: Mode;
  user_id: string;
  parent_product_id: string | null;
  type: ItemType;
  name: string;
  description: string | null;
  image: string | null;
  quantity: number | null;
  is_enabled: boolean;
  archived: Date | string | null;
  category: string | null;
  subcategory: string | null;
  category_id: string | null;
  tags: string[];
  price: number;
  currency: string;
  cycle: Cycle | null;
  use_seasonal_prices: boolean;
  admin_status: ProductAdminStatus;
  rejection_reason: string | null;
  members_only: boolean;
  language: string;
  latitude: number | null;
  longitude: number | null;
  slug: string;
  external_id: string | null;
  sku: string | null;
  gallery: unknown;
  weight: number | null;
  min_quantity: number;
  visibility: ProductVisibility;
  publish_at: Date | string | null;
  on_homepage: boolean;
  created: Date | string;
  updated: Date | string;
  seasons: SeasonJson[] | null;
  variants?: ProductRow[] | null;
  metafields?: MetafieldResponse[];
  add_ons?: AddOnView[];
}

const date = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function toCore(row: ProductRow): ProductCoreView {
  return {
    id: row.id,
    platformId: row.platform_id,
    mode: row.mode,
    userId: row.user_id,
    parentProductId: row.parent_product_id,
    type: row.type,
    name: row.name,
    description: row.description,
    image: row.image,
    quantity: row.quantity,
    isEnabled: row.is_enabled,
    archived: row.archived === null ? null : date(row.archived),
    category: row.category,
    subcategory: row.subcategory,
    categoryId: row.category_id,
    tags: row.tags,
    price: row.price,
    currency: row.currency,
    cycle: row.cycle,
    useSeasonalPrices: row.use_seasonal_prices,
    adminStatus: row.admin_status,
    rejectionReason: row.rejection_reason,
    membersOnly: row.members_only,
    language: row.language,
    latitude: row.latitude,
    longitude: row.longitude,
    slug: row.slug,
    externalId: row.external_id,
    sku: row.sku,
    gallery: (row.gallery ?? []) as Prisma.JsonValue,
    weight: row.weight,
    minQuantity: row.min_quantity,
    visibility: row.visibility,
    publishAt: row.publish_at === null ? null : date(row.publish_at),
    onHomepage: row.on_homepage,
    created: date(row.created),
    updated: date(row.updated),
    seasonalPrices: (row.seasons ?? []).map((s) => ({ id: s.id, seasonStart: date(s.seasonStart), seasonEnd: date(s.seasonEnd), price: s.price })),
  };
}

const toView = (row: ProductRow): ProductView => ({ ...toCore(row), variants: (row.variants ?? []).map(toCore), metafields: row.metafields ?? [], addOns: row.add_ons ?? [] });

export interface ListFilter {
  platformId: string;
  mode: Mode;
  viewer: Viewer;
  sellerId?: string;
  /** Members-only products are left out, but for this seller's own (null: no user). The caller has no live subscription to the plan. */
  hideMembersOnlyFor?: string | null;
  /** Only these products (variants too), in this order: a curated collection's. */
  productIds?: readonly string[];
  /** The instant listings' `publishAt` is compared with. */
  now: Date;
}

/** The WHERE clause of a list: tenant, listing state and every filter of the query (`search`: the query's, already corrected). */
function conditions(filter: ListFilter, query: ListProductsQuery, search: TextSearch | null): Prisma.Sql {
  const parts: Prisma.Sql[] = [Prisma.sql`p.platform_id = ${filter.platformId}`, Prisma.sql`p.mode = ${filter.mode}::"Mode"`];
  const parent = query["filter[parent_product_id]"];
  if (filter.productIds) parts.push(Prisma.sql`p.id = ANY(${[...filter.productIds]}::text[])`);
  else parts.push(parent === undefined ? Prisma.sql`p.parent_product_id IS NULL` : Prisma.sql`p.parent_product_id = ${parent}`);
  const archived = query["filter[archived]"];
  if (archived !== "all") parts.push(archived === "true" ? Prisma.sql`p.archived IS NOT NULL` : Prisma.sql`p.archived IS NULL`);
  const statuses = query["filter[adminStatus]"];
  if (statuses === undefined) {
    // By default the catalogue as members see it: what is published, and the caller's own listings.
    const own = filter.viewer.user?.id;
    parts.push(own ? Prisma.sql`(p.admin_status = 'published' OR p.user_id = ${own})` : Prisma.sql`p.admin_status = 'published'`);
  } else {
    parts.push(Prisma.sql`p.admin_status::text = ANY(${statuses}::text[])`, visibleTo(filter.viewer, "p"));
  }
  if (filter.sellerId) parts.push(Prisma.sql`p.user_id = ${filter.sellerId}`);
  parts.push(publishedBy(filter.viewer, "p", filter.now));
  if (!isCatalogueEditor(filter.viewer)) {
    // Where members find a listing: lists with `search` are search results, the others the catalogue (a curated collection's too).
    const places = query.search ? Prisma.sql`p.visibility IN ('both', 'search')` : Prisma.sql`p.visibility IN ('both', 'catalog')`;
    const own = filter.viewer.user?.id;
    parts.push(own ? Prisma.sql`(${places} OR p.user_id = ${own})` : places);
  }
  if (filter.hideMembersOnlyFor !== undefined) {
    // A variant listed on its own (`filter[parent_product_id]`) hides with a members-only parent too.
    const hidden = Prisma.sql`(p.members_only OR EXISTS (SELECT 1 FROM products mp WHERE mp.id = p.parent_product_id AND mp.members_only))`;
    parts.push(filter.hideMembersOnlyFor === null ? Prisma.sql`NOT ${hidden}` : Prisma.sql`(NOT ${hidden} OR p.user_id = ${filter.hideMembersOnlyFor})`);
  }
  const list = (column: string, values: string[] | undefined) => {
    if (!values) return;
    parts.push(values.length === 1 ? Prisma.sql`${Prisma.raw(column)} = ${values[0]}` : Prisma.sql`${Prisma.raw(column)} = ANY(${values}::text[])`);
  };
  list("p.user_id", query["filter[user_id]"]);
  list("p.category", query["filter[category]"]);
  list("p.subcategory", query["filter[subcategory]"]);
  list("p.slug", query["filter[slug]"]);
  list("p.external_id", query["filter[external_id]"]);
  list("p.sku", query["filter[sku]"]);
  if (query["filter[on_homepage]"]) parts.push(Prisma.sql`p.on_homepage = ${query["filter[on_homepage]"] === "true"}`);
  if (query["filter[category_id]"]) parts.push(Prisma.sql`p.category_id IN (${categorySubtreeSql(filter, query["filter[category_id]"])})`);
  if (query["filter[type]"]) parts.push(Prisma.sql`p.type::text = ANY(${query["filter[type]"]}::text[])`);
  if (query["filter[tags]"]) parts.push(Prisma.sql`p.tags && ${query["filter[tags]"]}::text[]`);
  if (query["filter[isEnabled]"]) parts.push(Prisma.sql`p.is_enabled = ${query["filter[isEnabled]"] === "true"}`);
  if (query["filter[price][gte]"] !== undefined) parts.push(Prisma.sql`p.price >= ${query["filter[price][gte]"]}`);
  if (query["filter[price][lte]"] !== undefined) parts.push(Prisma.sql`p.price <= ${query["filter[price][lte]"]}`);
  parts.push(...metafieldFilterSql("product", Prisma.raw("p.id"), parseMetafieldFilters(query as Record<string, unknown>)));
  // A search with no word in it (only punctuation) matches nothing; one with words reads its rows from
  // `search_listings` (listProducts), which matched them.
  if (query.search !== undefined && !search) parts.push(Prisma.sql`FALSE`);
  const near = query["filter[near]"];
  if (near) parts.push(withinRadius(near, query["filter[radius_km]"] ?? DEFAULT_RADIUS_KM));
  return Prisma.join(parts, " AND ");
}

/**
 * One product as the API shows it (`GET /products/:id`, and every write's answer and event: with
 * all its variants when `viewer` is null, else those the viewer may see), with the list's
 * statement: one query and one JSON text instead of Prisma's four compiled ones.
 */
export async function readProduct(
  client: Db | Prisma.TransactionClient,
  tenant: { platformId: string; mode: Mode },
  id: string | { kind: "id" | "slug"; value: string },
  viewer: Viewer | null = null,
  now: Date = new Date(),
): Promise<ProductView | null> {
  const by = typeof id === "string" ? { kind: "id" as const, value: id } : id;
  const [result] = await client.$queryRaw<{ row: string | null }[]>`
    SELECT (SELECT row_to_json(t)::text FROM (
              SELECT p.id, p.platform_id, p.mode, p.user_id, p.parent_product_id, p.type, p.name, p.description, p.image, p.quantity,
                     p.is_enabled, p.archived, p.category, p.subcategory, p.category_id, p.tags, p.price, p.currency, p.cycle, p.use_seasonal_prices,
                     p.members_only, p.language, p.latitude, p.longitude, p.admin_status, p.rejection_reason, ${ATTRIBUTES}, p.created, p.updated, ${SEASONS("p")} AS seasons, ${VARIANTS(viewer, now)} AS variants,
                     ${metafieldsJsonSql("product", Prisma.raw("p.id"))} AS metafields, ${addOnsJsonSql(Prisma.raw("p.id"))} AS add_ons
              FROM products p
              WHERE ${by.kind === "id" ? Prisma.sql`p.id = ${by.value}` : Prisma.sql`p.slug = ${by.value}`} AND p.platform_id = ${tenant.platformId} AND p.mode = ${tenant.mode}::"Mode"
           ) t) AS row`;
  return result?.row ? toView(JSON.parse(result.row) as ProductRow) : null;
}

export type ListSort = { field: "price" | "created" | "name" | "relevance" | "distance"; direction: "asc" | "desc" };

/** Counts of the matching listings (docs/api/search.md), as the statement returns them, by facet name. */
interface FacetRows {
  category?: { id: string | null; name: string; count: number }[] | null;
  type?: { value: "product" | "service"; count: number }[] | null;
  /** `price` and `weight`: width_bucket's bucket of each band holding listings. */
  price?: { bucket: number; count: number }[] | null;
  weight?: { bucket: number; count: number }[] | null;
  /** tags, the attributes' and `metafields.<namespace>.<key>`: the most frequent values. */
  [valueFacet: string]: { value: unknown; count: number }[] | { bucket: number; count: number }[] | { id: string | null; name: string; count: number }[] | null | undefined;
}

export interface ListResult {
  total: number;
  /** A search matched more listings than its window (SEARCH_WINDOW): `total` and the facets count the window's. */
  totalIsLowerBound?: boolean;
  data: ProductView[];
  facets?: FacetRows;
}

/** The attributes' facets: each counts the values of one column of the matches (`m`). */
const VALUE_FACET_COLUMNS: Partial<Record<NamedFacet, string>> = {
  user_id: "user_id",
  currency: "currency",
  language: "language",
  membersOnly: "members_only",
  adminStatus: "admin_status",
  visibility: "visibility",
  onHomepage: "on_homepage",
  minQuantity: "min_quantity",
};

/** The columns of `m` every list reads, and those only some facets need. */
const MATCH_COLUMNS = ["id", "category_id", "category", "tags", "type", "price", "created", "name"];
function matchColumns(facets: readonly string[]): string[] {
  const extra = facets.flatMap((f) => (f === "weight" ? ["weight"] : VALUE_FACET_COLUMNS[f as NamedFacet] ? [VALUE_FACET_COLUMNS[f as NamedFacet]!] : []));
  return [...MATCH_COLUMNS, ...extra];
}

/** The statement's column answering a facet: metafield facets are numbered, their names are the caller's. */
const facetAlias = (facets: readonly string[], facet: string) => (METAFIELD_FACET.test(facet) ? `facet_mf_${facets.indexOf(facet)}` : `facet_${facet}`);

/** The facets' subqueries over the matching rows (`m`), each one JSON column. */
function facetColumns(facets: readonly string[], priceBands: readonly number[], weightBands: readonly number[]): Prisma.Sql[] {
  const columns: Prisma.Sql[] = [];
  const valueFacet = (counts: Prisma.Sql, alias: string) =>
    Prisma.sql`(SELECT json_agg(json_build_object('value', f.value, 'count', f.n) ORDER BY f.n DESC, f.value)
      FROM (${counts} ORDER BY n DESC, 1 LIMIT ${FACET_VALUES}::int) f) AS ${Prisma.raw(`"${alias}"`)}`;
  for (const facet of facets) {
    const alias = facetAlias(facets, facet);
    const metafield = METAFIELD_FACET.exec(facet);
    if (metafield) {
      // One probe of the metafields' index per match, under the caller's row-level security like the matches.
      const [, namespace, key] = metafield as unknown as [string, string, string];
      columns.push(valueFacet(metafieldValueCountsSql("product", Prisma.raw("m"), namespace, key), alias));
    } else if (facet === "category") {
      columns.push(Prisma.sql`(SELECT json_agg(json_build_object('id', f.category_id, 'name', f.category, 'count', f.n) ORDER BY f.category)
      FROM (SELECT m.category_id, m.category, count(*)::int AS n FROM m WHERE m.category IS NOT NULL OR m.category_id IS NOT NULL GROUP BY 1, 2) f) AS facet_category`);
    } else if (facet === "tags") {
      columns.push(valueFacet(Prisma.sql`SELECT t.tag AS value, count(*)::int AS n FROM m, unnest(m.tags) AS t(tag) GROUP BY t.tag`, alias));
    } else if (facet === "type") {
      columns.push(
        Prisma.sql`(SELECT json_agg(json_build_object('value', f.type, 'count', f.n) ORDER BY f.type) FROM (SELECT m.type, count(*)::int AS n FROM m GROUP BY 1) f) AS facet_type`,
      );
    } else if (facet === "price" || facet === "weight") {
      const bands = facet === "price" ? priceBands : weightBands;
      const column = Prisma.raw(`m.${facet}`);
      columns.push(Prisma.sql`(SELECT json_agg(json_build_object('bucket', f.b, 'count', f.n))
      FROM (SELECT width_bucket(${column}, ${[...bands]}::int[]) AS b, count(*)::int AS n FROM m WHERE ${column} IS NOT NULL GROUP BY 1) f) AS ${Prisma.raw(`"${alias}"`)}`);
    } else {
      const column = VALUE_FACET_COLUMNS[facet as NamedFacet];
      if (column) columns.push(valueFacet(Prisma.sql`SELECT ${Prisma.raw(`m.${column}`)} AS value, count(*)::int AS n FROM m GROUP BY 1`, alias));
    }
  }
  return columns;
}

export async function listProducts(db: Db, filter: ListFilter, query: ListProductsQuery, sort: ListSort): Promise<ListResult> {
  const search = query.search === undefined ? null : await textSearch(db, filter, query.search);
  const where = conditions(filter, query, search);
  const direction = Prisma.raw(sort.direction === "desc" ? "DESC" : "ASC");
  const offset = (query.page - 1) * query.per_page;
  const facets = query.facets ?? [];
  if (!search && !query["filter[near]"] && facets.length === 0 && (sort.field === "price" || sort.field === "created" || sort.field === "name")) {
    return listPlain(db, filter, query, where, Prisma.sql`${SORT_COLUMNS[sort.field]} ${direction}, p.id ${direction}`, offset);
  }
  // A search, a radius or facets: the matching rows once (`m`), then their count, their page and their facets.
  const near = query["filter[near]"];
  const distance = near ? distanceKm(near) : Prisma.sql`NULL::float8`;
  const matched = matchColumns(facets);
  const columns = Prisma.raw(matched.map((c) => `p.${c}`).join(", "));
  let source: Prisma.Sql;
  if (search && !near) {
    // A search's window comes from `search_listings`, with its rank: under row-level security the
    // query's own `@@` could not use the GIN index (the search migrations say why). Each row is
    // re-read from `products` under the normal policies, where every condition (visibility,
    // publishAt, filters) applies. The function leaves out only what this caller could never see.
    const viewer = filter.viewer;
    const anyStatus = query["filter[adminStatus]"] !== undefined && isReviewer(viewer);
    source = Prisma.sql`
      s AS MATERIALIZED (
        SELECT * FROM search_listings(${filter.platformId}, ${filter.mode}::"Mode", ${search.matches}, ${search.exact}, ${SEARCH_WINDOW}::int,
                                      ${viewer.user?.id ?? null}::text, ${anyStatus}, ${isCatalogueEditor(viewer)}, ${filter.now}::timestamptz)
      ),
      m AS MATERIALIZED (SELECT ${columns}, s.rank, NULL::float8 AS distance FROM s JOIN products p ON p.id = s.id WHERE ${where}),
      more AS (SELECT coalesce(bool_or(s.more), false) AS more FROM s)`;
  } else if (search) {
    // Within a radius, the position's index finds fewer rows: they are matched one by one, the newest window of them.
    source = Prisma.sql`
      w AS MATERIALIZED (
        SELECT ${columns}, p.search_vector, ${distance} AS distance FROM products p WHERE ${where} AND p.search_vector @@ ${search.matches}
        ORDER BY p.created DESC, p.id DESC LIMIT ${SEARCH_WINDOW + 1}::int
      ),
      m AS MATERIALIZED (
        SELECT ${Prisma.raw(matched.map((c) => `w.${c}`).join(", "))},
               (ts_rank(w.search_vector, ${search.matches}) + ts_rank(w.search_vector, ${search.exact})) AS rank, w.distance
        FROM w ORDER BY w.created DESC, w.id DESC LIMIT ${SEARCH_WINDOW}::int
      ),
      more AS (SELECT count(*) > ${SEARCH_WINDOW}::int AS more FROM w)`;
  } else {
    source = Prisma.sql`
      m AS MATERIALIZED (SELECT ${columns}, 0::real AS rank, ${distance} AS distance FROM products p WHERE ${where}),
      more AS (SELECT false AS more)`;
  }
  const order = (alias: "m" | "pg") => {
    const a = (column: string) => Prisma.raw(`${alias}.${column}`);
    if (filter.productIds) return Prisma.sql`array_position(${[...filter.productIds]}::text[], ${a("id")})`;
    if (sort.field === "relevance") return Prisma.sql`${a("rank")} DESC, ${a("created")} DESC, ${a("id")} DESC`;
    if (sort.field === "distance") return Prisma.sql`${a("distance")} ASC, ${a("id")} ASC`;
    return Prisma.sql`${a(sort.field)} ${direction}, ${a("id")} ${direction}`;
  };
  const extra = facetColumns(facets, query.price_bands ?? DEFAULT_PRICE_BANDS, query.weight_bands ?? DEFAULT_WEIGHT_BANDS);
  // The page is chosen among `m` first, then only its rows are read in full.
  const [result] = await db.$queryRaw<({ total: number; more: boolean; page: string } & Record<string, unknown>)[]>`
    WITH ${source}
    SELECT (SELECT count(*)::int FROM m) AS total, (SELECT more FROM more) AS more,
           (SELECT coalesce(json_agg(t), '[]')::text FROM (
              SELECT p.id, p.platform_id, p.mode, p.user_id, p.parent_product_id, p.type, p.name, p.description, p.image, p.quantity,
                     p.is_enabled, p.archived, p.category, p.subcategory, p.category_id, p.tags, p.price, p.currency, p.cycle, p.use_seasonal_prices,
                     p.members_only, p.language, p.latitude, p.longitude, p.admin_status, p.rejection_reason, ${ATTRIBUTES}, p.created, p.updated, ${SEASONS("p")} AS seasons, ${VARIANTS(filter.viewer, filter.now)} AS variants,
                     ${metafieldsJsonSql("product", Prisma.raw("p.id"))} AS metafields, ${addOnsJsonSql(Prisma.raw("p.id"))} AS add_ons
              FROM (SELECT m.* FROM m ORDER BY ${order("m")} LIMIT ${query.per_page} OFFSET ${offset}) pg
              JOIN products p ON p.id = pg.id
              ORDER BY ${order("pg")}
           ) t) AS page
           ${extra.length ? Prisma.sql`, ${Prisma.join(extra, ", ")}` : Prisma.empty}`;
  const row = result ?? { total: 0, more: false, page: "[]" };
  const out: ListResult = { total: row.total, data: (JSON.parse(row.page) as ProductRow[]).map(toView) };
  if (row.more) out.totalIsLowerBound = true;
  if (facets.length > 0) {
    out.facets = {};
    for (const facet of facets) out.facets[facet] = (row[facetAlias(facets, facet)] as FacetRows[string]) ?? [];
  }
  return out;
}

/** A list without search, radius or facets: the catalogue's hot path, one ordered index scan (bench/RESULTS.md). */
async function listPlain(db: Db, filter: ListFilter, query: ListProductsQuery, where: Prisma.Sql, sortBy: Prisma.Sql, offset: number): Promise<ListResult> {
  // One statement, one round trip, one value: a single JSON text is the cheapest thing for Prisma to
  // hand back (count and page as two $queryRaw calls cost ~0.5 ms more CPU per request).
  const [result] = await db.$queryRaw<{ total: number; page: string }[]>`
    SELECT (SELECT count(*)::int FROM products p WHERE ${where}) AS total,
           (SELECT coalesce(json_agg(t), '[]')::text FROM (
              SELECT p.id, p.platform_id, p.mode, p.user_id, p.parent_product_id, p.type, p.name, p.description, p.image, p.quantity,
                     p.is_enabled, p.archived, p.category, p.subcategory, p.category_id, p.tags, p.price, p.currency, p.cycle, p.use_seasonal_prices,
                     p.members_only, p.language, p.latitude, p.longitude, p.admin_status, p.rejection_reason, ${ATTRIBUTES}, p.created, p.updated, ${SEASONS("p")} AS seasons, ${VARIANTS(filter.viewer, filter.now)} AS variants,
                     ${metafieldsJsonSql("product", Prisma.raw("p.id"))} AS metafields, ${addOnsJsonSql(Prisma.raw("p.id"))} AS add_ons
              FROM products p
              WHERE ${where}
              ORDER BY ${filter.productIds ? Prisma.sql`array_position(${[...filter.productIds]}::text[], p.id)` : sortBy}
              LIMIT ${query.per_page} OFFSET ${offset}
           ) t) AS page`;
  return { total: result?.total ?? 0, data: (JSON.parse(result?.page ?? "[]") as ProductRow[]).map(toView) };
}
