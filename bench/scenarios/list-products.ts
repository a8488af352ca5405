import { sameButLinks, type Scenario } from "./scenario.js";

/**
 * `GET /v1/products?per_page=20&filter[category]=…&sort=-price`: one page of a category's listed
 * products, most expensive first, each with its seasonal prices and variants, and the total.
 *
 * The baseline answers the same JSON from a bare pg pool: a count and one page query that nests
 * seasonal prices and variants with json_agg, run in parallel. No auth, no validation.
 */
const PER_PAGE = 20;

const apiDate = (value: string | Date | null): string | null => (value === null ? null : `${new Date(value).toISOString().slice(0, 19)}Z`);

interface SeasonJson {
  id: string;
  seasonStart: string;
  seasonEnd: string;
  price: number;
}

export interface ProductRow {
  id: string;
  platform_id: string;
  mode: string;
  user_id: string;
  parent_product_id: string | null;
  type: string;
  name: string;
  description: string | null;
  image: string | null;
  quantity: number | null;
  is_enabled: boolean;
  archived: string | Date | null;
  category: string | null;
  subcategory: string | null;
  category_id: string | null;
  tags: string[];
  price: number;
  currency: string;
  cycle: string | null;
  use_seasonal_prices: boolean;
  members_only: boolean;
  language: string;
  latitude: number | null;
  longitude: number | null;
  admin_status: string;
  rejection_reason: string | null;
  slug: string;
  external_id: string | null;
  sku: string | null;
  gallery: { id: string; url: string }[] | null;
  weight: number | null;
  min_quantity: number;
  visibility: string;
  publish_at: string | Date | null;
  on_homepage: boolean;
  created: string | Date;
  updated: string | Date;
  seasons: SeasonJson[] | null;
  variants?: ProductRow[] | null;
}

export function toProduct(row: ProductRow, now: number) {
  const seasons = (row.seasons ?? []).map((s) => ({ id: s.id, seasonStart: apiDate(s.seasonStart)!, seasonEnd: apiDate(s.seasonEnd)!, price: s.price }));
  const season = row.use_seasonal_prices ? seasons.find((s) => Date.parse(s.seasonStart) <= now && now < Date.parse(s.seasonEnd)) : undefined;
  return {
    id: row.id,
    platform_id: row.platform_id,
    mode: row.mode,
    user_id: row.user_id,
    parent_product_id: row.parent_product_id,
    type: row.type,
    name: row.name,
    description: row.description,
    image: row.image,
    quantity: row.quantity,
    isAvailableInStock: row.is_enabled && row.archived === null && (row.quantity === null || row.quantity > 0),
    isEnabled: row.is_enabled,
    archived: apiDate(row.archived),
    category: row.category,
    subcategory: row.subcategory,
    category_id: row.category_id,
    tags: row.tags,
    price: row.price,
    currency: row.currency,
    cycle: row.cycle,
    useSeasonalPrices: row.use_seasonal_prices,
    membersOnly: row.members_only,
    language: row.language,
    latitude: row.latitude,
    longitude: row.longitude,
    effectivePrice: season?.price ?? row.price,
    seasonalPrices: seasons,
    adminStatus: row.admin_status,
    rejectionReason: row.rejection_reason,
    slug: row.slug,
    external_id: row.external_id,
    sku: row.sku,
    gallery: (row.gallery ?? []).map((g) => ({ id: g.id, url: g.url })),
    weight: row.weight,
    minQuantity: row.min_quantity,
    visibility: row.visibility,
    publishAt: apiDate(row.publish_at),
    onHomepage: row.on_homepage,
    created: apiDate(row.created),
    updated: apiDate(row.updated),
  };
}

export const SEASONS = `(SELECT json_agg(json_build_object('id', s.id, 'seasonStart', s.season_start, 'seasonEnd', s.season_end, 'price', s.price) ORDER BY s.season_start, s.id)
                  FROM seasonal_prices s WHERE s.product_id = %.id)`;
export const COLUMNS = `%.id, %.platform_id, %.mode, %.user_id, %.parent_product_id, %.type, %.name, %.description, %.image, %.quantity, %.is_enabled,
                 %.archived, %.category, %.subcategory, %.category_id, %.tags, %.price, %.currency, %.cycle, %.use_seasonal_prices, %.members_only, %.language, %.latitude, %.longitude, %.admin_status, %.rejection_reason,
                 %.slug, %.external_id, %.sku, %.gallery, %.weight, %.min_quantity, %.visibility, %.publish_at, %.on_homepage, %.created, %.updated`;
export const as = (sql: string, alias: string) => sql.replaceAll("%", alias);
/**
 * As the API's product object: its metafields and add-ons (the bench's catalogue has none, but the
 * same index probes run). A nested variant carries neither.
 */
export const EXTRAS = `coalesce((SELECT json_agg(mf.key) FROM metafields mf WHERE mf.product_id = %.id), '[]') AS metafields,
                 coalesce((SELECT json_agg(a.id) FROM product_add_ons a WHERE a.product_id = %.id), '[]') AS add_ons`;
export type ProductWithExtras = ProductRow & { metafields: unknown[]; add_ons: unknown[] };
/** The JSON of a top-level product: its own fields, its variants, metafields and add-ons. */
export const toTopProduct = (row: ProductWithExtras, now: number) => ({
  ...toProduct(row, now),
  variants: (row.variants ?? []).map((v) => toProduct(v, now)),
  metafields: row.metafields,
  add_ons: row.add_ons,
});

const PAGE_SQL = `
  SELECT ${as(COLUMNS, "p")}, ${as(SEASONS, "p")} AS seasons,
         (SELECT json_agg(v ORDER BY v.created, v.id) FROM (
            SELECT ${as(COLUMNS, "c")}, ${as(SEASONS, "c")} AS seasons FROM products c WHERE c.parent_product_id = p.id AND c.archived IS NULL AND c.admin_status = 'published'
         ) v) AS variants, ${as(EXTRAS, "p")}
  FROM products p
  WHERE p.platform_id = $1 AND p.mode = 'test' AND p.category = ANY($2) AND p.parent_product_id IS NULL AND p.archived IS NULL AND p.admin_status = 'published'
  ORDER BY p.price DESC, p.id DESC
  LIMIT $3 OFFSET $4`;

const COUNT_SQL = `
  SELECT count(*)::int AS total FROM products p
  WHERE p.platform_id = $1 AND p.mode = 'test' AND p.category = ANY($2) AND p.parent_product_id IS NULL AND p.archived IS NULL AND p.admin_status = 'published'`;

export const listProducts: Scenario = {
  name: "list-products",
  description: "GET /v1/products?per_page=20&filter[category]=…&sort=-price",
  kind: "read",
  minRatio: 0.4,
  sameAnswer: sameButLinks,
  request(data) {
    const query = new URLSearchParams({ per_page: String(PER_PAGE), "filter[category]": data.category, sort: "-price" });
    return { method: "GET", path: `/v1/products?${query.toString()}`, headers: { authorization: `Bearer ${data.apiKey}` } };
  },
  baseline(app, pool, data) {
    app.get("/v1/products", async (request) => {
      const query = request.query as Record<string, string>;
      const perPage = Number(query.per_page ?? 15);
      const categories = String(query["filter[category]"]).split(",");
      const now = Date.now();
      const [count, page] = await Promise.all([
        pool.query<{ total: number }>(COUNT_SQL, [data.platformId, categories]),
        pool.query<ProductWithExtras>(PAGE_SQL, [data.platformId, categories, perPage, 0]),
      ]);
      const total = count.rows[0]!.total;
      const rows = page.rows;
      return {
        data: rows.map((row) => toTopProduct(row, now)),
        meta: { total, per_page: perPage, current_page: 1, last_page: Math.max(1, Math.ceil(total / perPage)), from: rows.length ? 1 : null, to: rows.length ? rows.length : null },
      };
    });
  },
};
