import { lineTotal } from "../../src/domain/fees/index.js";
import { uuidv7Hex } from "../../src/lib/ids.js";
import { groupBySeller, quoteShipping, type Rate } from "../../src/modules/shipping/index.js";
import type { BenchData } from "../seed.js";
import type { RequestSpec, Scenario, Target } from "./scenario.js";

/**
 * `POST /v1/carts/auth/product/:product_id {"quantity":1}` as 200 signed-in shoppers (user tokens),
 * each adding in turn one of five products of unlimited stock: carts fill up to five lines, then
 * lines grow. Each shopper's request runs under a lock on their cart, checks the product (for sale,
 * variants, own product, stock, currency) and answers the whole cart.
 *
 * The baseline does the same in one pg transaction (create the cart if needed, lock it, read the
 * product with a share lock, check it, add or merge the line, read the cart and record it as a
 * `cart.updated` event — the insert, and the look-up of subscribed webhook endpoints, of which the
 * bench has none) and answers the same cart JSON, with the lines' add-ons and the shipping its
 * sellers' and the platform's rates price (the bench has none); the
 * shopper comes in an `x-user-id` header (no auth). Its shoppers are others, adding the same
 * products in the same order, so both servers do the same work.
 */
const PRODUCTS_PER_SHOPPER = 5;

function pool(data: BenchData, target: Target): RequestSpec[] {
  const shoppers = data.shoppers[target];
  const specs: RequestSpec[] = [];
  for (let k = 0; k < shoppers.length * PRODUCTS_PER_SHOPPER; k += 1) {
    const i = k % shoppers.length;
    const product = data.shopProducts[(i * PRODUCTS_PER_SHOPPER + Math.floor(k / shoppers.length)) % data.shopProducts.length]!;
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (target === "api") headers.authorization = `Bearer ${data.tokens![shoppers[i]!]}`;
    else headers["x-user-id"] = shoppers[i]!;
    specs.push({ method: "POST", path: `/v1/carts/auth/product/${product}`, headers, body: JSON.stringify({ quantity: 1 }) });
  }
  return specs;
}

const apiDate = (value: string | Date | null): string | null => (value === null ? null : `${new Date(value).toISOString().slice(0, 19)}Z`);

interface Season {
  seasonStart: string;
  seasonEnd: string;
  price: number;
}

interface LineRow {
  id: string;
  cart_id: string;
  type: string;
  quantity: number;
  start_date: string | null;
  end_date: string | null;
  created: string;
  updated: string;
  add_ons: { id: string; title: string; price: number }[];
  product: {
    id: string;
    parent_product_id: string | null;
    name: string;
    image: string | null;
    user_id: string;
    currency: string;
    price: number;
    quantity: number | null;
    is_enabled: boolean;
    archived: string | null;
    use_seasonal_prices: boolean;
    weight: number | null;
    seasons: Season[] | null;
    parent: { is_enabled: boolean; archived: string | null } | null;
  };
}

const CART_SQL = `
  SELECT c.id, c.platform_id, c.mode, c.user_id, c.created, c.updated, coalesce((
    SELECT json_agg(json_build_object('id', ci.id, 'cart_id', ci.cart_id, 'type', ci.type, 'quantity', ci.quantity, 'start_date', ci.start_date,
      'end_date', ci.end_date, 'created', ci.created, 'updated', ci.updated,
      'add_ons', coalesce((SELECT json_agg(json_build_object('id', a.id, 'title', a.title, 'price', a.price) ORDER BY a.created, a.id) FROM product_add_ons a
                           WHERE a.id = ANY(coalesce(ci.add_on_ids, ARRAY[]::text[])) AND (a.product_id = p.id OR a.product_id = p.parent_product_id)), '[]'),
      'product', json_build_object(
        'id', p.id, 'parent_product_id', p.parent_product_id, 'name', p.name, 'image', p.image, 'user_id', p.user_id, 'currency', p.currency,
        'price', p.price, 'quantity', p.quantity, 'weight', p.weight, 'is_enabled', p.is_enabled, 'archived', p.archived, 'use_seasonal_prices', p.use_seasonal_prices,
        'seasons', (SELECT json_agg(json_build_object('seasonStart', s.season_start, 'seasonEnd', s.season_end, 'price', s.price) ORDER BY s.season_start, s.id)
                    FROM seasonal_prices s WHERE s.product_id = p.id),
        'parent', (SELECT json_build_object('is_enabled', pp.is_enabled, 'archived', pp.archived) FROM products pp WHERE pp.id = p.parent_product_id)))
      ORDER BY ci.created, ci.id)
    FROM cart_items ci JOIN products p ON p.id = ci.product_id WHERE ci.cart_id = c.id), '[]') AS items,
    coalesce((SELECT json_agg(json_build_object('id', r.id, 'userId', r.user_id, 'title', r.title, 'kind', r.kind, 'price', r.price, 'stepPrice', r.step_price,
                                                'bands', r.bands) ORDER BY r.created, r.id)
              FROM shipping_rates r WHERE r.platform_id = c.platform_id AND r.mode = c.mode AND r.currency = $2
                AND (r.user_id IS NULL OR r.user_id IN (SELECT p.user_id FROM cart_items ci JOIN products p ON p.id = ci.product_id WHERE ci.cart_id = c.id))), '[]') AS rates
  FROM carts c WHERE c.id = $1`;

function toCart(row: { id: string; platform_id: string; mode: string; user_id: string; created: Date; updated: Date; items: LineRow[]; rates: Rate[] }, currency: string) {
  const now = Date.now();
  const sellers = new Map<string, number>();
  const items = row.items.map((line) => {
    const p = line.product;
    const at = line.start_date ? Date.parse(line.start_date) : now;
    const season = p.use_seasonal_prices ? (p.seasons ?? []).find((s) => Date.parse(s.seasonStart) <= at && at < Date.parse(s.seasonEnd)) : undefined;
    const price = season?.price ?? p.price;
    const priced = lineTotal(price, line.quantity, line.add_ons);
    const total = priced.total;
    sellers.set(p.user_id, (sellers.get(p.user_id) ?? 0) + total);
    const forSale = p.is_enabled && p.archived === null && (p.quantity === null || p.quantity > 0) && (p.parent === null || (p.parent.is_enabled && p.parent.archived === null));
    return {
      id: line.id,
      cart_id: line.cart_id,
      type: line.type === "service" ? "service" : "product",
      quantity: line.quantity,
      startDate: apiDate(line.start_date),
      endDate: apiDate(line.end_date),
      price,
      total,
      add_ons: priced.addOns.map((a, i) => ({ id: a.id, title: line.add_ons[i]!.title, price: a.price, quantity: a.quantity, total: a.total })),
      currency: p.currency,
      product_id: p.id,
      parent_product_id: p.parent_product_id,
      name: p.name,
      image: p.image,
      user_id: p.user_id,
      isAvailable: forSale && (p.quantity === null || line.quantity <= p.quantity),
      created: apiDate(line.created),
      updated: apiDate(line.updated),
    };
  });
  const groups = groupBySeller(items.map((i, k) => ({ sellerUserId: i.user_id, quantity: i.quantity, total: i.total, weight: row.items[k]!.product.weight })));
  const shipping = row.rates.length === 0 ? [] : quoteShipping(groups, row.rates);
  const shippingTotal = shipping.reduce((sum, line) => sum + line.amount, 0);
  return {
    id: row.id,
    platform_id: row.platform_id,
    mode: row.mode,
    user_id: row.user_id,
    items,
    sellers: [...sellers].map(([user_id, subTotal]) => ({ user_id, subTotal })),
    shipping: shipping.map((l) => ({ shipping_rate_id: l.shippingRateId, user_id: l.userId, payee: l.payee, title: l.title, amount: l.amount })),
    shippingTotal,
    total: items.reduce((sum, i) => sum + i.total, 0) + shippingTotal,
    currency: items[0]?.currency ?? currency,
    created: apiDate(row.created),
    updated: apiDate(row.updated),
  };
}

/** Answers compared without what differs between two shoppers: ids, owners, timestamps. */
export function withoutIdentity(value: unknown, top = true): unknown {
  if (Array.isArray(value)) return value.map((v) => withoutIdentity(v, false));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !["id", "cart_id", "contract_id", "created", "updated"].includes(k) && !(top && k === "user_id"))
        .map(([k, v]) => [k, withoutIdentity(v, false)]),
    );
  }
  return value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  return value;
}
export const sameWithoutIdentity = (api: unknown, baseline: unknown) => deepEqual(withoutIdentity(api), withoutIdentity(baseline));

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

export const addToCart: Scenario = {
  name: "add-to-cart",
  description: "POST /v1/carts/auth/product/:id (200 shoppers, user tokens)",
  kind: "write",
  minRatio: 0,
  needs: { shoppers: true },
  request: (data, target) => pool(data, target)[0]!,
  pool,
  sameAnswer: sameWithoutIdentity,
  baseline(app, db, data) {
    app.post("/v1/carts/auth/product/:product_id", async (request, reply) => {
      const userId = String(request.headers["x-user-id"]);
      const productId = (request.params as { product_id: string }).product_id;
      const quantity = (request.body as { quantity: number }).quantity;
      const client = await db.connect();
      let cart: ReturnType<typeof toCart>;
      try {
        await client.query("BEGIN");
        await client.query(`INSERT INTO carts (id, platform_id, mode, user_id, updated) VALUES ($1, $2, 'test', $3, now()) ON CONFLICT (user_id) DO NOTHING`, [
          `cart_${uuidv7Hex()}`,
          data.platformId,
          userId,
        ]);
        const cartId = (await client.query<{ id: string }>(`SELECT id FROM carts WHERE user_id = $1 AND platform_id = $2 FOR UPDATE`, [userId, data.platformId])).rows[0]!.id;
        const product = (
          await client.query<{
            id: string;
            user_id: string;
            currency: string;
            quantity: number | null;
            is_enabled: boolean;
            archived: Date | null;
            type: string;
            variants: number;
          }>(
            `SELECT p.id, p.user_id, p.currency, p.quantity, p.is_enabled, p.archived, p.type,
                    (SELECT count(*)::int FROM products v WHERE v.parent_product_id = p.id AND v.archived IS NULL) AS variants
             FROM products p WHERE p.id = $1 AND p.platform_id = $2 AND p.mode = 'test' FOR SHARE`,
            [productId, data.platformId],
          )
        ).rows[0];
        if (!product) throw new HttpError(404, "resource_missing");
        if (product.variants > 0) throw new HttpError(422, "variant_required");
        if (product.user_id === userId) throw new HttpError(422, "own_product");
        if (product.archived !== null) throw new HttpError(409, "product_archived");
        if (!product.is_enabled) throw new HttpError(409, "product_disabled");
        if (product.quantity === 0) throw new HttpError(409, "product_out_of_stock");
        const lines = (
          await client.query<{ id: string; product_id: string; quantity: number; start_date: Date | null; end_date: Date | null; currency: string }>(
            `SELECT ci.id, ci.product_id, ci.quantity, ci.start_date, ci.end_date, p.currency FROM cart_items ci JOIN products p ON p.id = ci.product_id WHERE ci.cart_id = $1`,
            [cartId],
          )
        ).rows;
        if (lines.some((l) => l.currency !== product.currency)) throw new HttpError(422, "currency_mismatch");
        const held = lines.filter((l) => l.product_id === product.id).reduce((sum, l) => sum + l.quantity, 0);
        if (product.quantity !== null && held + quantity > product.quantity) throw new HttpError(409, "insufficient_stock");
        const same = lines.find((l) => l.product_id === product.id && l.start_date === null && l.end_date === null);
        if (same) {
          await client.query(`UPDATE cart_items SET quantity = quantity + $2, updated = now() WHERE id = $1`, [same.id, quantity]);
        } else {
          await client.query(
            `INSERT INTO cart_items (id, platform_id, mode, cart_id, product_id, type, quantity, updated) VALUES ($1, $2, 'test', $3, $4, $5::"ItemType", $6, now())`,
            [`citem_${uuidv7Hex()}`, data.platformId, cartId, product.id, product.type, quantity],
          );
        }
        await client.query(`UPDATE carts SET updated = now() WHERE id = $1`, [cartId]);
        cart = toCart((await client.query(CART_SQL, [cartId, product.currency])).rows[0], "usd");
        await client.query(`INSERT INTO events (id, platform_id, mode, type, object_id, object_type, data) VALUES ($1, $2, 'test', 'cart.updated', $3, 'cart', $4::json)`, [
          `evt_${uuidv7Hex()}`,
          data.platformId,
          cartId,
          JSON.stringify(cart),
        ]);
        await client.query(
          `SELECT id FROM webhook_endpoints WHERE platform_id = $1 AND mode = 'test' AND is_enabled AND events && ARRAY['cart.updated', '*']::text[] ORDER BY id FOR UPDATE`,
          [data.platformId],
        );
        await client.query("COMMIT");
      } catch (err) {
        await client.query("ROLLBACK");
        if (err instanceof HttpError) return reply.code(err.status).send({ error: { code: err.code } });
        throw err;
      } finally {
        client.release();
      }
      return cart;
    });
  },
};
