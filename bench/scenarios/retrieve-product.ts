import { as, COLUMNS, EXTRAS, SEASONS, type ProductWithExtras, toTopProduct } from "./list-products.js";
import type { RequestSpec, Scenario } from "./scenario.js";

/**
 * `GET /v1/products/:id` with the platform key, cycling through up to 1 000 products of the
 * catalogue (the ones shoppers add to carts): the product with its seasonal prices and variants.
 * The same request the peer comparison (`--peer medusa`) makes of Medusa's `GET /store/products/:id`.
 *
 * The baseline reads the same row, its seasons and variants with one query, and answers the same JSON.
 */
const get = (id: string, apiKey: string): RequestSpec => ({ method: "GET", path: `/v1/products/${id}`, headers: { authorization: `Bearer ${apiKey}` } });

const PRODUCT_SQL = `
  SELECT ${as(COLUMNS, "p")}, ${as(SEASONS, "p")} AS seasons,
         (SELECT json_agg(v ORDER BY v.created, v.id) FROM (
            SELECT ${as(COLUMNS, "c")}, ${as(SEASONS, "c")} AS seasons FROM products c WHERE c.parent_product_id = p.id AND c.archived IS NULL
         ) v) AS variants, ${as(EXTRAS, "p")}
  FROM products p WHERE p.id = $1 AND p.platform_id = $2 AND p.mode = 'test'`;

export const retrieveProduct: Scenario = {
  name: "retrieve-product",
  description: "GET /v1/products/:id (1 000 products in turn)",
  kind: "read",
  minRatio: 0.4,
  request: (data) => get(data.shopProducts[0]!, data.apiKey),
  pool: (data) => data.shopProducts.map((id) => get(id, data.apiKey)),
  baseline(app, pool, data) {
    app.get("/v1/products/:id", async (request, reply) => {
      const { id } = request.params as { id: string };
      const { rows } = await pool.query<ProductWithExtras>(PRODUCT_SQL, [id, data.platformId]);
      const row = rows[0];
      if (!row) return reply.code(404).send({ error: "not found" });
      return toTopProduct(row, Date.now());
    });
  },
};
