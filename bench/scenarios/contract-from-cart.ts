import { rebalanceContract, type FeeType } from "../../src/domain/fees/index.js";
import { uuidv7Hex } from "../../src/lib/ids.js";
import { BENCH_PLATFORM_FEE_BPS } from "../seed.js";
import { sameWithoutIdentity } from "./add-to-cart.js";
import { CONTRACT_JSON_SQL } from "./retrieve-contract.js";
import type { RequestSpec, Scenario } from "./scenario.js";

/**
 * `POST /v1/contracts/cart/:cart_id` with the platform key: every request turns a fresh, seeded cart
 * (1–3 lines of products with limited or unlimited stock, each cart its own shopper's) into a
 * contract — the real path: lock the cart, check each product, take the stock with a conditional
 * update per product, price the contract with the fee module, write the contract, its items, buyer,
 * sellers and fees, empty the cart, answer the contract. A cart is never used twice (the pool is
 * consumable; run.ts seeds enough for ~800 contracts/s per server, `--carts` to change it).
 *
 * The baseline does the same in one pg transaction, with the same fee module, on its own carts — cart
 * i of the API and of the baseline hold the same lines, so their answers match once ids, owners and
 * timestamps are set aside.
 */
const fromCart = (cartId: string, apiKey: string): RequestSpec => ({ method: "POST", path: `/v1/contracts/cart/${cartId}`, headers: { authorization: `Bearer ${apiKey}` } });

interface Line {
  product_id: string;
  quantity: number;
  start_date: Date | null;
  end_date: Date | null;
  seller: string;
  type: string;
  name: string;
  price: number;
  currency: string;
  stock: number | null;
  is_enabled: boolean;
  archived: Date | null;
  use_seasonal_prices: boolean;
  seasons: { seasonStart: string; seasonEnd: string; price: number }[] | null;
  parent_ok: boolean;
  shipped: boolean;
}

const DB_FEE: Record<FeeType, string> = { "stripe:cc": "stripe:cc", "candle:base": "candle:base", "platform:base": "platform:base", shipping: "shipping", custom: "custom" };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code);
  }
}

export const contractFromCart: Scenario = {
  name: "contract-from-cart",
  description: "POST /v1/contracts/cart/:cart_id (a fresh filled cart each time)",
  kind: "write",
  minRatio: 0,
  needs: { carts: true },
  consumable: true,
  request: (data, target) => fromCart(data.carts[target][0]!, data.apiKey),
  pool: (data, target) => data.carts[target].map((id) => fromCart(id, data.apiKey)),
  sameAnswer: (api, baseline) => {
    // The order number counts the platform's contracts: the two servers' alternate.
    const strip = ({ number: _number, ...c }: Record<string, unknown>) => ({
      ...c,
      buyers: (c.buyers as Record<string, unknown>[]).map(({ user_id: _u, email: _e, name: _n, ...b }) => b),
    });
    return sameWithoutIdentity(strip(api as Record<string, unknown>), strip(baseline as Record<string, unknown>));
  },
  baseline(app, db, data) {
    app.post("/v1/contracts/cart/:cart_id", async (request, reply) => {
      const cartId = (request.params as { cart_id: string }).cart_id;
      const client = await db.connect();
      try {
        await client.query("BEGIN");
        const cart = (
          await client.query<{ id: string; user_id: string }>(`SELECT id, user_id FROM carts WHERE id = $1 AND platform_id = $2 AND mode = 'test' FOR UPDATE`, [
            cartId,
            data.platformId,
          ])
        ).rows[0];
        if (!cart) throw new HttpError(404, "resource_missing");
        const lines = (
          await client.query<Line>(
            `SELECT ci.product_id, ci.quantity, ci.start_date, ci.end_date, p.user_id AS seller, p.type, p.name, p.price, p.currency, p.quantity AS stock,
                    p.is_enabled, p.archived, p.use_seasonal_prices,
                    (SELECT json_agg(json_build_object('seasonStart', s.season_start, 'seasonEnd', s.season_end, 'price', s.price)) FROM seasonal_prices s WHERE s.product_id = p.id) AS seasons,
                    coalesce((SELECT pp.is_enabled AND pp.archived IS NULL FROM products pp WHERE pp.id = p.parent_product_id), true) AS parent_ok,
                    -- The shipping rates that would price the sellers' items (the API quotes them; the bench seeds none).
                    EXISTS (SELECT 1 FROM shipping_rates r WHERE r.platform_id = ci.platform_id AND r.mode = ci.mode AND r.currency = p.currency
                              AND (r.user_id IS NULL OR r.user_id = p.user_id)) AS shipped
             FROM cart_items ci JOIN products p ON p.id = ci.product_id WHERE ci.cart_id = $1 ORDER BY ci.created, ci.id`,
            [cart.id],
          )
        ).rows;
        if (lines.length === 0) throw new HttpError(422, "cart_empty");
        if (lines.some((l) => l.shipped)) throw new Error("the baseline does not price shipping: the bench seeds no shipping rates");
        for (const l of lines) {
          if (l.archived !== null || !l.parent_ok) throw new HttpError(409, "product_archived");
          if (!l.is_enabled) throw new HttpError(409, "product_disabled");
          if (l.seller === cart.user_id) throw new HttpError(422, "own_product");
        }
        const wanted = new Map<string, { units: number; limited: boolean }>();
        for (const l of lines) {
          const w = wanted.get(l.product_id) ?? { units: 0, limited: l.stock !== null };
          w.units += l.quantity;
          wanted.set(l.product_id, w);
        }
        const reserved = new Set<string>();
        for (const [productId, w] of [...wanted].sort(([a], [b]) => (a < b ? -1 : 1))) {
          if (!w.limited) {
            const row = (await client.query<{ quantity: number | null }>(`SELECT quantity FROM products WHERE id = $1 FOR SHARE`, [productId])).rows[0];
            if (row?.quantity === null) continue;
          }
          const taken = await client.query(`UPDATE products SET quantity = quantity - $2, updated = now() WHERE id = $1 AND quantity IS NOT NULL AND quantity >= $2`, [
            productId,
            w.units,
          ]);
          if (taken.rowCount === 0) throw new HttpError(409, "product_out_of_stock");
          reserved.add(productId);
        }

        const now = Date.now();
        const items = lines.map((l) => {
          const at = l.start_date ? l.start_date.getTime() : now;
          const season = l.use_seasonal_prices ? (l.seasons ?? []).find((s) => Date.parse(s.seasonStart) <= at && at < Date.parse(s.seasonEnd)) : undefined;
          const price = season?.price ?? l.price;
          return { ...l, id: `item_${uuidv7Hex()}`, unit: price, total: price * l.quantity, reserved: reserved.has(l.product_id) ? l.quantity : 0 };
        });
        const sellers = [...new Set(items.map((i) => i.seller))];
        const figures = rebalanceContract({
          items: items.map((i) => ({ sellerUserId: i.seller, total: i.total })),
          customFees: [],
          buyers: [{ userId: cart.user_id }],
          sellers: sellers.map((userId) => ({ userId })),
          rates: { platformBps: BENCH_PLATFORM_FEE_BPS },
          include: { stripe: false, candle: false, platform: false },
        });
        const people = new Map(
          (
            await client.query<{ id: string; email: string | null; name: string | null }>(`SELECT id, email, name FROM users WHERE id = ANY($1::text[])`, [
              [cart.user_id, ...sellers],
            ])
          ).rows.map((u) => [u.id, u]),
        );
        const id = `inv_${uuidv7Hex()}`;
        const currency = items[0]!.currency;
        await client.query(
          // Stock taken by an unpaid contract is held for a while (the API's STOCK_HOLD_MINUTES, 30 by default).
          `INSERT INTO contracts (id, platform_id, mode, user_id, cart_id, currency, sub_total, total, hold_expires, updated)
           VALUES ($1, $2, 'test', $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() + interval '30 minutes' END, now())`,
          [id, data.platformId, cart.user_id, cart.id, currency, figures.subTotal, figures.total, items.some((i) => i.reserved > 0)],
        );
        await client.query(
          `INSERT INTO contract_items (id, platform_id, mode, contract_id, user_id, type, product_id, start_date, end_date, quantity, price, total, description, reserved, updated)
           SELECT t.id, $1, 'test', $2, t.user_id, t.type::"ItemType", t.product_id, t.start_date, t.end_date, t.quantity, t.price, t.total, t.description, t.reserved, now()
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::timestamptz[], $9::int[], $10::int[], $11::int[], $12::text[], $13::int[])
             AS t(id, user_id, type, product_id, start_date, end_date, quantity, price, total, description, reserved)`,
          [
            data.platformId,
            id,
            items.map((i) => i.id),
            items.map((i) => i.seller),
            items.map((i) => i.type),
            items.map((i) => i.product_id),
            items.map((i) => i.start_date),
            items.map((i) => i.end_date),
            items.map((i) => i.quantity),
            items.map((i) => i.unit),
            items.map((i) => i.total),
            items.map((i) => i.name),
            items.map((i) => i.reserved),
          ],
        );
        const buyer = people.get(cart.user_id);
        await client.query(
          `INSERT INTO contract_buyers (id, platform_id, mode, contract_id, user_id, email, name, base_amount_due, amount_due, position, updated) VALUES ($1, $2, 'test', $3, $4, $5, $6, $7, $8, 0, now())`,
          [`buyer_${uuidv7Hex()}`, data.platformId, id, cart.user_id, buyer?.email ?? null, buyer?.name ?? null, figures.buyers[0]!.baseAmountDue, figures.buyers[0]!.amountDue],
        );
        await client.query(
          `INSERT INTO contract_sellers (id, platform_id, mode, contract_id, user_id, email, name, base_amount_owed, amount_owed, position, updated)
           SELECT t.id, $1, 'test', $2, t.user_id, t.email, t.name, t.base, t.owed, t.position, now()
           FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::int[]) AS t(id, user_id, email, name, base, owed, position)`,
          [
            data.platformId,
            id,
            figures.sellers.map(() => `seller_${uuidv7Hex()}`),
            figures.sellers.map((s) => s.userId),
            figures.sellers.map((s) => people.get(s.userId)?.email ?? null),
            figures.sellers.map((s) => people.get(s.userId)?.name ?? null),
            figures.sellers.map((s) => s.baseAmountOwed),
            figures.sellers.map((s) => s.amountOwed),
            figures.sellers.map((_, i) => i),
          ],
        );
        await client.query(
          `INSERT INTO contract_fees (id, platform_id, mode, contract_id, type, amount, payer, updated)
           SELECT t.id, $1, 'test', $2, t.type::"FeeType", t.amount, 'sellers', now() FROM unnest($3::text[], $4::text[], $5::int[]) AS t(id, type, amount)`,
          [data.platformId, id, figures.fees.map(() => `fee_${uuidv7Hex()}`), figures.fees.map((f) => DB_FEE[f.type]), figures.fees.map((f) => f.amount)],
        );
        await client.query(`DELETE FROM cart_items WHERE cart_id = $1`, [cart.id]);
        // The order number (a per-platform counter the contracts trigger takes) is in the answer.
        await client.query("SET CONSTRAINTS contracts_number IMMEDIATE");
        const { rows } = await client.query<{ contract: string }>(`SELECT ${CONTRACT_JSON_SQL}::text AS contract FROM contracts c WHERE c.id = $1`, [id]);
        await client.query("COMMIT");
        return reply.code(201).type("application/json").send(rows[0]!.contract);
      } catch (err) {
        await client.query("ROLLBACK");
        if (err instanceof HttpError) return reply.code(err.status).send({ error: { code: err.code } });
        throw err;
      } finally {
        client.release();
      }
    });
  },
};
