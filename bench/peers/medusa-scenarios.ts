/**
 * The peer's side of each scenario: the same client work as ours, asked of Medusa's store API with
 * its publishable key. Scenarios without a Medusa counterpart (the analytics) are not run on it.
 *
 * | ours | Medusa |
 * |---|---|
 * | `GET /v1/products?per_page=20&filter[category]=…&sort=-price` | `GET /store/products?limit=20&category_id[]=…&region_id=…&order=-created_at` (its store API cannot sort by price) |
 * | `GET /v1/products/:id` | `GET /store/products/:id?region_id=…` (the same 1 000 products) |
 * | `POST /v1/carts/auth/product/:id` (200 signed-in shoppers) | `POST /store/carts/:id/line-items` (50 guest carts, adding what our first 50 shoppers add, in the same order) |
 * | `POST /v1/contracts/cart/:id` (a filled cart each time) | `POST /store/carts/:id/complete` (a cart with the same lines, email, addresses, shipping method and a system payment session: an order with its payment authorised) |
 * | `GET /v1/contracts/:id` | `GET /store/orders/:id` (orders completed while preparing) |
 */
import pg from "pg";
import type { BenchData } from "../seed.js";
import type { RequestSpec } from "../scenarios/scenario.js";
import type { MedusaData } from "./medusa.js";

export interface PeerWork {
  requests: RequestSpec[];
  consumable: boolean;
}

/** What `prepare` made through the store API before measuring. */
export interface MedusaPrepared {
  /** One empty cart per shopper, for add-to-cart. */
  shopperCarts: string[];
  /** Carts ready to complete (lines, email, addresses, shipping, payment session). */
  readyCarts: string[];
  /** Orders, for retrieve-contract's counterpart. */
  orders: string[];
}

const ADDRESS = { first_name: "Bench", last_name: "Buyer", address_1: "1 Main St", city: "New York", country_code: "us", postal_code: "10001" };
const PRODUCTS_PER_SHOPPER = 5;

export class MedusaClient {
  constructor(
    readonly base: string,
    readonly m: MedusaData,
  ) {}

  headers(json = false): Record<string, string> {
    return { "x-publishable-api-key": this.m.publishableKey, ...(json ? { "content-type": "application/json" } : {}) };
  }

  async call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: this.headers(body !== undefined || method === "POST"),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Medusa ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return JSON.parse(text) as T;
  }

  /** A cart with these lines, ready to complete: email, addresses, the shipping option, a system payment session. */
  async readyCart(lines: { variant_id: string; quantity: number }[], email: string): Promise<string> {
    const { cart } = await this.call<{ cart: { id: string } }>("POST", "/store/carts", {
      region_id: this.m.regionId,
      email,
      items: lines,
      shipping_address: ADDRESS,
      billing_address: ADDRESS,
    });
    await this.call("POST", `/store/carts/${cart.id}/shipping-methods`, { option_id: this.m.shippingOptionId });
    const { payment_collection } = await this.call<{ payment_collection: { id: string } }>("POST", "/store/payment-collections", { cart_id: cart.id });
    await this.call("POST", `/store/payment-collections/${payment_collection.id}/payment-sessions`, { provider_id: "pp_system_default" });
    return cart.id;
  }
}

/** Runs `task` over `items` with `concurrency` at a time, keeping the order of results. */
async function mapLimit<T, R>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await task(items[i]!, i);
      }
    }),
  );
  return results;
}

/**
 * The carts Medusa's scenarios use, made through its store API: shoppers' empty carts, and carts
 * holding the same lines as our first `ready` carts (plus `orders` more, completed here so the
 * retrieve scenario has orders to read).
 */
export async function prepare(
  client: MedusaClient,
  ourUrl: string,
  data: BenchData,
  options: { shoppers: number; ready: number; orders: number; log: (m: string) => void },
): Promise<MedusaPrepared> {
  const started = Date.now();
  const shopperCarts = await mapLimit(
    Array.from({ length: options.shoppers }),
    8,
    async () => (await client.call<{ cart: { id: string } }>("POST", "/store/carts", { region_id: client.m.regionId })).cart.id,
  );
  const db = new pg.Client({ connectionString: ourUrl });
  await db.connect();
  const ourCarts = data.carts.api.slice(0, options.ready + options.orders);
  const { rows } = await db.query<{ cart_id: string; product_id: string; quantity: number }>(
    `SELECT cart_id, product_id, quantity FROM cart_items WHERE cart_id = ANY($1::text[]) ORDER BY created, id`,
    [ourCarts],
  );
  await db.end();
  const lines = new Map<string, { variant_id: string; quantity: number }[]>();
  for (const r of rows) {
    const variant = client.m.variantIds[r.product_id];
    if (!variant) throw new Error(`product ${r.product_id} of cart ${r.cart_id} was not seeded in Medusa`);
    lines.set(r.cart_id, [...(lines.get(r.cart_id) ?? []), { variant_id: variant, quantity: r.quantity }]);
  }
  const carts = await mapLimit(ourCarts, 8, (id, i) => client.readyCart(lines.get(id) ?? [], `buyer${i}@bench.test`));
  const orders = await mapLimit(carts.slice(0, options.orders), 4, async (id) => {
    const answer = await client.call<{ type: string; order?: { id: string } }>("POST", `/store/carts/${id}/complete`);
    if (answer.type !== "order" || !answer.order) throw new Error(`Medusa did not complete cart ${id}: ${JSON.stringify(answer).slice(0, 300)}`);
    return answer.order.id;
  });
  options.log(
    `Medusa: ${shopperCarts.length} shoppers' carts, ${carts.length - orders.length} carts ready to complete and ${orders.length} orders in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return { shopperCarts, readyCarts: carts.slice(options.orders), orders };
}

/** Medusa's requests for one of our scenarios, or undefined when it has no counterpart. */
export function medusaWork(scenario: string, client: MedusaClient, data: BenchData, prepared: MedusaPrepared): PeerWork | undefined {
  const { m } = client;
  const get = (path: string): RequestSpec => ({ method: "GET", path, headers: client.headers() });
  switch (scenario) {
    case "list-products":
      return { requests: [get(`/store/products?limit=20&category_id[]=${m.categoryId}&region_id=${m.regionId}&order=-created_at`)], consumable: false };
    case "retrieve-product":
      return { requests: data.shopProducts.map((id) => get(`/store/products/${m.productIds[id]}?region_id=${m.regionId}`)), consumable: false };
    case "retrieve-contract":
      return { requests: prepared.orders.map((id) => get(`/store/orders/${id}`)), consumable: false };
    case "add-to-cart": {
      // As ours: shopper i adds, in turn, the same five products as our shopper i.
      const carts = prepared.shopperCarts;
      const requests: RequestSpec[] = [];
      for (let k = 0; k < carts.length * PRODUCTS_PER_SHOPPER; k += 1) {
        const i = k % carts.length;
        const product = data.shopProducts[(i * PRODUCTS_PER_SHOPPER + Math.floor(k / carts.length)) % data.shopProducts.length]!;
        requests.push({
          method: "POST",
          path: `/store/carts/${carts[i]}/line-items`,
          headers: client.headers(true),
          body: JSON.stringify({ variant_id: m.variantIds[product], quantity: 1 }),
        });
      }
      return { requests, consumable: false };
    }
    case "contract-from-cart":
      return { requests: prepared.readyCarts.map((id) => ({ method: "POST", path: `/store/carts/${id}/complete`, headers: client.headers(true) })), consumable: true };
    default:
      return undefined;
  }
}
