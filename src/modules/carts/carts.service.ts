import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Product } from "../../generated/prisma/client.js";
import type { ItemType, Mode, ProductAdminStatus } from "../../generated/prisma/enums.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, parseSort, type Page } from "../../lib/pagination.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { type EventType, recordEvent } from "../events/index.js";
import { lineTotal } from "../../domain/fees/index.js";
import { quoteLines, quoteLinesWith, type Rate, ratesJsonSql, type ShippingQuote } from "../shipping/index.js";
import {
  addOnsOffered,
  assertMinimumQuantity,
  chosenAddOnsJsonSql,
  type AddOnView,
  assertPublished,
  effectivePrice,
  isAvailableInStock,
  productCurrencyOf,
  productJsonOf,
  productSellerOf,
  shareLockProduct,
  type ProductForCart,
  type Season,
} from "../products/index.js";
import { MAX_CART_LINES, MAX_LINE_QUANTITY, type AddToCartInput, type ListAbandonedCartsQuery } from "./carts.schemas.js";

/**
 * Carts: one per user, created on first use. A cart does not reserve stock (that is the contract's
 * job), but what one cart holds of a product never exceeds its stock: adds lock the cart row, so
 * parallel adds of one buyer are checked one after the other.
 *
 * Every change locks the cart row and records its event (`cart.updated`, `cart.cleared`) with the
 * cart as `GET /v1/carts/auth` renders it after the change, in the change's transaction. Creating
 * the cart on first use — a read may do it — records nothing.
 */
type Buyer = AuthContext & { user: { id: string } };

/** A cart line with what its rendering needs of the product (and of its parent, for a variant). */
export interface CartLineView {
  id: string;
  cartId: string;
  type: ItemType;
  quantity: number;
  startDate: Date | null;
  endDate: Date | null;
  created: Date;
  updated: Date;
  addOns: AddOnView[];
  product: {
    id: string;
    userId: string;
    parentProductId: string | null;
    name: string;
    image: string | null;
    currency: string;
    isEnabled: boolean;
    archived: Date | null;
    quantity: number | null;
    price: number;
    useSeasonalPrices: boolean;
    adminStatus: ProductAdminStatus;
    /** Grams; null when unknown. */
    weight: number | null;
    seasonalPrices: Season[];
    parent: { isEnabled: boolean; archived: Date | null; adminStatus: ProductAdminStatus } | null;
  };
}

export interface CartView {
  id: string;
  platformId: string;
  mode: Mode;
  userId: string;
  created: Date;
  updated: Date;
  items: CartLineView[];
  currency: string;
  /** Each seller's shipping line, priced at the rates in force now (none without an applicable rate). */
  shipping: ShippingQuote[];
  /** The shipping rates that may price the lines, read with them (`priceShipping` uses them). */
  rates?: Rate[];
}

/**
 * The cart with its lines, their products, seasons and parents, as one JSON text built by
 * PostgreSQL: every change answers (and records) the cart, and Prisma's nested `include` was five
 * queries compiled in Wasm on each call (bench/RESULTS.md, add-to-cart). The product of each line
 * is the products module's subquery; the shipping rates that may price the lines (those of the
 * cart's currency, of its sellers and of the platform) are the shipping module's.
 */
const CART_CURRENCY = Prisma.sql`(SELECT ${productCurrencyOf(Prisma.raw("i.product_id"))} FROM cart_items i WHERE i.cart_id = c.id ORDER BY i.created, i.id LIMIT 1)`;
const CART_SELLERS = Prisma.sql`ARRAY(SELECT ${productSellerOf(Prisma.raw("i.product_id"))} FROM cart_items i WHERE i.cart_id = c.id)`;
const CART_JSON = Prisma.sql`json_build_object(
  'id', c.id, 'platformId', c.platform_id, 'mode', c.mode, 'userId', c.user_id, 'created', c.created, 'updated', c.updated,
  'rates', ${ratesJsonSql(Prisma.raw("c.platform_id"), Prisma.raw("c.mode"), CART_CURRENCY, CART_SELLERS)},
  'items', coalesce((
    SELECT json_agg(json_build_object(
      'id', i.id, 'cartId', i.cart_id, 'type', i.type, 'quantity', i.quantity, 'startDate', i.start_date, 'endDate', i.end_date,
      'created', i.created, 'updated', i.updated, 'addOns', ${chosenAddOnsJsonSql(Prisma.raw("i.add_on_ids"), Prisma.raw("i.product_id"))},
      'product', ${productJsonOf(Prisma.raw("i.product_id"))}
    ) ORDER BY i.created, i.id)
    FROM cart_items i WHERE i.cart_id = c.id), '[]')
)`;

const toDate = (v: string | null): Date | null => (v === null ? null : new Date(v));

/** Dates arrive from the JSON text as strings: back to the instants they were. */
function parseCart(text: string, fallbackCurrency: string): CartView {
  // biome-ignore lint/suspicious/noExplicitAny: JSON text our own query shaped (above); the dates are revived here
  const raw: { items: any[]; rates?: Rate[]; [field: string]: any } = JSON.parse(text);
  const items: CartLineView[] = raw.items.map((i) => ({
    ...i,
    startDate: toDate(i.startDate),
    endDate: toDate(i.endDate),
    created: new Date(i.created),
    updated: new Date(i.updated),
    product: {
      ...i.product,
      archived: toDate(i.product.archived),
      seasonalPrices: i.product.seasonalPrices.map((s: { price: number; seasonStart: string; seasonEnd: string }) => ({
        price: s.price,
        seasonStart: new Date(s.seasonStart),
        seasonEnd: new Date(s.seasonEnd),
      })),
      parent: i.product.parent && { isEnabled: i.product.parent.isEnabled, archived: toDate(i.product.parent.archived), adminStatus: i.product.parent.adminStatus },
    },
  }));
  return {
    id: raw.id,
    platformId: raw.platformId,
    mode: raw.mode,
    userId: raw.userId,
    created: new Date(raw.created),
    updated: new Date(raw.updated),
    items,
    currency: items[0]?.product.currency ?? fallbackCurrency,
    shipping: [],
    ...(raw.rates ? { rates: raw.rates } : {}),
  };
}

/**
 * The cart's shipping, priced now: each seller's items at the cheapest applicable rate of theirs,
 * else of the platform's (the shipping module decides). Lines not for sale count as the cart shows them.
 */
export async function priceShipping(client: Db | Prisma.TransactionClient, cart: CartView, now: Date): Promise<CartView> {
  const { rates, ...rest } = cart;
  if (cart.items.length === 0) return rest;
  const lines = cart.items.map((item) => ({
    sellerUserId: item.product.userId,
    quantity: item.quantity,
    // With its add-ons, as the line's total and the contract it becomes count it.
    total: lineTotal(effectivePrice(item.product, item.product.seasonalPrices, item.startDate ?? now), item.quantity, item.addOns).total,
    weight: item.product.weight ?? null,
  }));
  const shipping = rates ? quoteLinesWith(rates, lines) : await quoteLines(client, { platformId: cart.platformId, mode: cart.mode }, cart.currency, lines);
  return { ...rest, shipping };
}

const sameInstant = (a: Date | null, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** For sale: the item itself and, for a variant, its parent (a listing sent back to review since it was added is not). */
function forSale(p: Pick<Product, "isEnabled" | "archived" | "quantity" | "adminStatus">, parent: Pick<Product, "isEnabled" | "archived" | "adminStatus"> | null): boolean {
  return isAvailableInStock(p) && p.adminStatus === "published" && (parent === null || (parent.isEnabled && parent.archived === null && parent.adminStatus === "published"));
}

export function toCartResponse(cart: CartView, now: Date) {
  const sellers = new Map<string, number>();
  const items = cart.items.map((item) => {
    const p = item.product;
    const price = effectivePrice(p, p.seasonalPrices, item.startDate ?? now);
    const line = lineTotal(price, item.quantity, item.addOns);
    const total = line.total;
    sellers.set(p.userId, (sellers.get(p.userId) ?? 0) + total);
    return {
      id: item.id,
      cart_id: item.cartId,
      type: item.type === "service" ? ("service" as const) : ("product" as const),
      quantity: item.quantity,
      startDate: toApiDate(item.startDate),
      endDate: toApiDate(item.endDate),
      price,
      total,
      add_ons: line.addOns.map((a, i) => ({ id: a.id, title: item.addOns[i]!.title, price: a.price, quantity: a.quantity, total: a.total })),
      currency: p.currency,
      product_id: p.id,
      parent_product_id: p.parentProductId,
      name: p.name,
      image: p.image,
      user_id: p.userId,
      isAvailable: forSale(p, p.parent) && (p.quantity === null || item.quantity <= p.quantity),
      created: toApiDate(item.created),
      updated: toApiDate(item.updated),
    };
  });
  const shipping = (cart.shipping ?? []).map((line) => ({
    shipping_rate_id: line.shippingRateId,
    user_id: line.userId,
    payee: line.payee,
    title: line.title,
    amount: line.amount,
  }));
  const shippingTotal = shipping.reduce((sum, line) => sum + line.amount, 0);
  return {
    id: cart.id,
    platform_id: cart.platformId,
    mode: cart.mode,
    user_id: cart.userId,
    items,
    sellers: [...sellers].map(([user_id, subTotal]) => ({ user_id, subTotal })),
    shipping,
    shippingTotal,
    total: items.reduce((sum, i) => sum + i.total, 0) + shippingTotal,
    currency: cart.currency,
    created: toApiDate(cart.created),
    updated: toApiDate(cart.updated),
  };
}

/**
 * Gives back to a product the units unpaid contracts' expired stock holds took (the contracts module
 * does it); `known`: the caller learned there are some with `ExpiredHoldsSql`.
 */
export type ReleaseExpiredHolds = (tx: Prisma.TransactionClient, productId: string, now: Date, exceptContractId?: string | null, known?: boolean) => Promise<number>;
/** Whether the product (an SQL expression) has expired stock holds, as a condition of a statement sent anyway (the contracts module's). */
export type ExpiredHoldsSql = (productId: Prisma.Sql, now: Date) => Prisma.Sql;

/**
 * The subscription gate on buying (docs/api/subscriptions.md, Access): 402 `subscription_required` when
 * the platform sells these products to the caller only with a live subscription to its plan. Given
 * here by the composition root (the subscriptions module owns it).
 */
export type PurchaseGate = (tx: Prisma.TransactionClient, auth: AuthContext, productIds: readonly (string | null)[]) => Promise<void>;

export function createCartsService(deps: { db: Db; clock: Clock; releaseExpiredHolds: ReleaseExpiredHolds; expiredHoldsSql?: ExpiredHoldsSql; purchaseGate?: PurchaseGate }) {
  const { db, clock, releaseExpiredHolds, expiredHoldsSql } = deps;
  const purchaseGate: PurchaseGate = deps.purchaseGate ?? (async () => {});

  async function ensureCart(client: Db | Prisma.TransactionClient, buyer: Buyer): Promise<void> {
    await client.$executeRaw`
      INSERT INTO carts (id, platform_id, mode, user_id, created, updated)
      VALUES (${newId("cart")}, ${buyer.platformId}, ${buyer.mode}::"Mode", ${buyer.user.id}, now(), now())
      ON CONFLICT (user_id) DO NOTHING`;
  }

  /** The buyer's cart; `ensured`: the caller has already made sure it exists (in this transaction). */
  async function view(buyer: Buyer, client: Db | Prisma.TransactionClient = db, ensured = false): Promise<CartView> {
    if (!ensured) await ensureCart(client, buyer);
    const [row] = await client.$queryRaw<{ cart: string }[]>`
      SELECT ${CART_JSON}::text AS cart FROM carts c
      WHERE c.user_id = ${buyer.user.id} AND c.platform_id = ${buyer.platformId} AND c.mode = ${buyer.mode}::"Mode"`;
    if (!row) throw new Error(`cart of ${buyer.user.id} vanished inside its transaction`);
    return priceShipping(client, parseCart(row.cart, buyer.platform.currency), clock.now());
  }

  /** The cart as it is now in `tx`, recorded as the event of the change just made (last in the transaction). */
  async function changed(tx: Prisma.TransactionClient, buyer: Buyer, type: EventType): Promise<CartView> {
    const cart = await view(buyer, tx, true);
    await recordEvent(tx, { platformId: buyer.platformId, mode: buyer.mode, requestId: buyer.requestId, type, object: toCartResponse(cart, clock.now()) });
    return cart;
  }

  /** Locks the buyer's cart row for the rest of the transaction; null when they have no cart yet. */
  async function lockCart(tx: Prisma.TransactionClient, buyer: Buyer): Promise<string | null> {
    const [cart] = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM carts WHERE user_id = ${buyer.user.id} AND platform_id = ${buyer.platformId} FOR UPDATE`;
    return cart?.id ?? null;
  }

  /**
   * The buyer's cart — created if they have none — locked for the rest of the transaction and
   * marked updated now: one statement where an add used to take three (ensure, lock, touch). The
   * update of a conflicting row locks it as `FOR UPDATE` does; a change that fails rolls it back.
   * The same statement says which of `productIds` have expired stock holds to give back.
   */
  async function lockCartForChange(tx: Prisma.TransactionClient, buyer: Buyer, productIds: readonly string[]): Promise<{ id: string; expired: string[] | null }> {
    const now = clock.now();
    const expired = expiredHoldsSql
      ? Prisma.sql`ARRAY(SELECT x.id FROM unnest(${[...productIds]}::text[]) AS x(id) WHERE ${expiredHoldsSql(Prisma.raw("x.id"), now)})`
      : Prisma.sql`NULL::text[]`;
    const [cart] = await tx.$queryRaw<{ id: string; expired: string[] | null }[]>`
      WITH cart AS (
        INSERT INTO carts (id, platform_id, mode, user_id, created, updated)
        VALUES (${newId("cart")}, ${buyer.platformId}, ${buyer.mode}::"Mode", ${buyer.user.id}, ${now}, ${now})
        ON CONFLICT (user_id) DO UPDATE SET updated = EXCLUDED.updated
        RETURNING id
      )
      SELECT cart.id, ${expired} AS expired FROM cart`;
    return cart!;
  }

  async function touchCart(tx: Prisma.TransactionClient, cartId: string): Promise<void> {
    await tx.$executeRaw`UPDATE carts SET updated = ${clock.now()} WHERE id = ${cartId}`;
  }

  /** A product of the buyer's platform, locked against changes (and deletion) until the add commits. */
  async function productForShare(tx: Prisma.TransactionClient, buyer: Buyer, param: string, id: string, variantOf?: string): Promise<ProductForCart> {
    const product = await shareLockProduct(tx, buyer, id, variantOf);
    if (!product) throw new NotFoundError(param === "variant" ? "variant of this product" : "product", id, param);
    return product;
  }

  return {
    retrieve: (buyer: Buyer) => view(buyer),

    /**
     * Abandoned carts (owners, admins, the key): carts holding items that nobody changed for
     * `filter[idle_minutes]`. Checking out empties a cart, so a cart with items is one not checked out.
     */
    async listAbandoned(auth: AuthContext, query: ListAbandonedCartsQuery): Promise<Page<CartView>> {
      const cutoff = new Date(clock.now().getTime() - query["filter[idle_minutes]"] * 60_000);
      const users = query["filter[user_id]"];
      const where = Prisma.sql`c.platform_id = ${auth.platformId} AND c.mode = ${auth.mode}::"Mode" AND c.updated <= ${cutoff}
        AND EXISTS (SELECT 1 FROM cart_items i WHERE i.cart_id = c.id)
        ${users ? Prisma.sql`AND c.user_id = ANY(${users}::text[])` : Prisma.empty}`;
      const sort = parseSort<"updated" | "created">(query.sort);
      const order = Prisma.raw(`c.${sort.field} ${sort.direction === "desc" ? "DESC" : "ASC"}, c.id ${sort.direction === "desc" ? "DESC" : "ASC"}`);
      const [result] = await db.$queryRaw<{ total: number; page: string }[]>`
        SELECT (SELECT count(*)::int FROM carts c WHERE ${where}) AS total,
               (SELECT coalesce(json_agg(${CART_JSON} ORDER BY ${order}), '[]')::text FROM (
                  SELECT c.* FROM carts c WHERE ${where} ORDER BY ${order} LIMIT ${query.per_page} OFFSET ${(query.page - 1) * query.per_page}
               ) c) AS page`;
      const now = clock.now();
      const carts = (JSON.parse(result?.page ?? "[]") as unknown[]).map((cart) => parseCart(JSON.stringify(cart), auth.platform.currency));
      const data = await Promise.all(carts.map((cart) => priceShipping(db, cart, now)));
      return { data, meta: pageMeta(result?.total ?? 0, query.page, query.per_page, data.length) };
    },

    /** Any cart of the platform, by id (owners, admins, the key); 404 for another platform's. */
    async retrieveById(auth: AuthContext, cartId: string): Promise<CartView> {
      const [row] = await db.$queryRaw<{ cart: string }[]>`
        SELECT ${CART_JSON}::text AS cart FROM carts c WHERE c.id = ${cartId} AND c.platform_id = ${auth.platformId} AND c.mode = ${auth.mode}::"Mode"`;
      if (!row) throw new NotFoundError("cart", cartId, "cart_id");
      return priceShipping(db, parseCart(row.cart, auth.platform.currency), clock.now());
    },

    now: () => clock.now(),

    async add(buyer: Buyer, productId: string, input: AddToCartInput): Promise<CartView> {
      return db.$transaction(async (tx) => {
        const wanted = input.variant === undefined ? [productId] : [productId, input.variant];
        const { id: cartId, expired } = await lockCartForChange(tx, buyer, wanted);
        // Contracts' expired stock holds go back first (before the share lock: releasing writes the product).
        for (const id of wanted) if (expired === null || expired.includes(id)) await releaseExpiredHolds(tx, id, clock.now(), null, expired !== null);

        // A listing not published is not for sale: 404 to those who may not see it, 409 to the others.
        const product = await productForShare(tx, buyer, "product_id", productId);
        const now = clock.now();
        assertPublished(buyer, product, "product_id", now);
        let item = product;
        let parent: ProductForCart | null = null;
        if (input.variant !== undefined) {
          item = await productForShare(tx, buyer, "variant", input.variant, product.id);
          assertPublished(buyer, item, "variant", now);
          parent = product;
        } else if (product.parentProductId !== null) {
          parent = await productForShare(tx, buyer, "product_id", product.parentProductId);
          assertPublished(buyer, { ...product, parent }, "product_id", now);
        } else if (product.hasVariants) {
          throw new UnprocessableError("variant_required", `${product.id} comes in variants: say which one with \`variant\`.`, "variant");
        }

        const name = `${item.name} (${item.id})`;
        if (item.userId === buyer.user.id) throw new UnprocessableError("own_product", `${name} is sold by you: sellers cannot buy their own products.`, "product_id");
        if (item.archived !== null || parent?.archived) throw new ConflictError("product_archived", `${name} is archived and cannot be bought.`, "product_id");
        if (!item.isEnabled || (parent && !parent.isEnabled)) throw new ConflictError("product_disabled", `${name} is disabled and cannot be bought.`, "product_id");
        if (item.quantity === 0) throw new ConflictError("product_out_of_stock", `${name} is out of stock.`, "product_id");
        await purchaseGate(tx, buyer, [item.id]);
        // Kept sorted: a line is the product, its dates and this set of add-ons.
        const addOnIds = (await addOnsOffered(tx, item, input.add_ons ?? [], "add_ons")).map((a) => a.id).sort();

        const lines = await tx.$queryRaw<
          { id: string; productId: string; quantity: number; startDate: Date | null; endDate: Date | null; currency: string; addOnIds: string[] | null }[]
        >`
          SELECT i.id, i.product_id AS "productId", i.quantity, i.start_date AS "startDate", i.end_date AS "endDate", ${productCurrencyOf(Prisma.raw("i.product_id"))} AS currency,
                 i.add_on_ids AS "addOnIds"
          FROM cart_items i
          WHERE i.cart_id = ${cartId} AND i.platform_id = ${buyer.platformId}
          ORDER BY i.created, i.id`;
        if (lines.some((l) => l.currency !== item.currency)) {
          throw new UnprocessableError(
            "currency_mismatch",
            `${name} is priced in ${item.currency}, and this cart holds items in ${lines[0]!.currency}: a cart has one currency.`,
            "product_id",
          );
        }
        const held = lines.filter((l) => l.productId === item.id).reduce((sum, l) => sum + l.quantity, 0);
        if (item.quantity !== null && held + input.quantity > item.quantity) {
          throw new ConflictError("insufficient_stock", `Only ${item.quantity} of ${name} in stock${held > 0 ? `, and your cart already holds ${held}` : ""}.`, "quantity");
        }
        const same = lines.find(
          (l) =>
            l.productId === item.id &&
            sameInstant(l.startDate, input.startDate) &&
            sameInstant(l.endDate, input.endDate) &&
            [...(l.addOnIds ?? [])].sort().join(",") === addOnIds.join(","),
        );
        assertMinimumQuantity(item, (same?.quantity ?? 0) + input.quantity);
        if (same) {
          if (same.quantity + input.quantity > MAX_LINE_QUANTITY) {
            throw new UnprocessableError("quantity_too_large", `A cart line holds at most ${MAX_LINE_QUANTITY} units.`, "quantity");
          }
          await tx.$executeRaw`UPDATE cart_items SET quantity = ${same.quantity + input.quantity}, updated = now() WHERE id = ${same.id} AND cart_id = ${cartId}`;
        } else {
          if (lines.length >= MAX_CART_LINES) throw new UnprocessableError("cart_full", `A cart holds at most ${MAX_CART_LINES} lines.`, "product_id");
          await tx.$executeRaw`
            INSERT INTO cart_items (id, platform_id, mode, cart_id, product_id, type, quantity, start_date, end_date, add_on_ids, created, updated)
            VALUES (${newId("cartItem")}, ${buyer.platformId}, ${buyer.mode}::"Mode", ${cartId}, ${item.id}, ${item.type}::"ItemType",
                    ${input.quantity}, ${input.startDate ?? null}::timestamptz, ${input.endDate ?? null}::timestamptz, ${addOnIds}::text[], now(), now())`;
        }
        return changed(tx, buyer, "cart.updated");
      });
    },

    /**
     * `PUT /carts/auth/item/:cart_item_id`: a line's quantity set (0 removes it). Lowering is always
     * allowed; raising is checked as an add is — for sale, in stock with what the cart's other lines
     * hold of the product, the subscription gate — under the same locks, in the same order (the cart
     * row, expired holds given back, the product share-locked), so parallel raises and adds of one
     * buyer are checked one after the other and never hold more than the stock.
     */
    async setQuantity(buyer: Buyer, itemId: string, quantity: number): Promise<CartView> {
      return db.$transaction(async (tx) => {
        const cartId = await lockCart(tx, buyer);
        const [line] = cartId
          ? await tx.$queryRaw<{ id: string; productId: string; quantity: number }[]>`
              SELECT id, product_id AS "productId", quantity FROM cart_items WHERE id = ${itemId} AND cart_id = ${cartId} AND platform_id = ${buyer.platformId}`
          : [];
        if (!line) throw new NotFoundError("item in your cart", itemId, "cart_item_id");
        if (quantity === line.quantity) return view(buyer, tx, true);
        if (quantity === 0) {
          await tx.$executeRaw`DELETE FROM cart_items WHERE id = ${line.id} AND cart_id = ${cartId}`;
        } else {
          if (quantity < line.quantity) assertMinimumQuantity(await productForShare(tx, buyer, "cart_item_id", line.productId), quantity);
          if (quantity > line.quantity) {
            await releaseExpiredHolds(tx, line.productId, clock.now());
            const item = await productForShare(tx, buyer, "cart_item_id", line.productId);
            const parent = item.parentProductId === null ? null : await productForShare(tx, buyer, "cart_item_id", item.parentProductId);
            const name = `${item.name} (${item.id})`;
            assertMinimumQuantity(item, quantity);
            if (item.archived !== null || parent?.archived) throw new ConflictError("product_archived", `${name} is archived and cannot be bought.`, "quantity");
            if (!item.isEnabled || (parent && !parent.isEnabled)) throw new ConflictError("product_disabled", `${name} is disabled and cannot be bought.`, "quantity");
            if (item.quantity === 0) throw new ConflictError("product_out_of_stock", `${name} is out of stock.`, "quantity");
            await purchaseGate(tx, buyer, [item.id]);
            const [others] = await tx.$queryRaw<{ held: number }[]>`
              SELECT coalesce(sum(quantity), 0)::int AS held FROM cart_items WHERE cart_id = ${cartId} AND product_id = ${item.id} AND id <> ${line.id}`;
            const held = others?.held ?? 0;
            if (item.quantity !== null && held + quantity > item.quantity) {
              throw new ConflictError(
                "insufficient_stock",
                `Only ${item.quantity} of ${name} in stock${held > 0 ? `, and your cart's other lines hold ${held}` : ""}.`,
                "quantity",
              );
            }
          }
          await tx.$executeRaw`UPDATE cart_items SET quantity = ${quantity}, updated = now() WHERE id = ${line.id} AND cart_id = ${cartId}`;
        }
        await touchCart(tx, cartId!);
        return changed(tx, buyer, "cart.updated");
      });
    },

    async removeItem(buyer: Buyer, itemId: string): Promise<CartView> {
      return db.$transaction(async (tx) => {
        const cartId = await lockCart(tx, buyer);
        const count = cartId ? await tx.$executeRaw`DELETE FROM cart_items WHERE id = ${itemId} AND cart_id = ${cartId} AND platform_id = ${buyer.platformId}` : 0;
        if (count === 0) throw new NotFoundError("item in your cart", itemId, "cart_item_id");
        await touchCart(tx, cartId!);
        return changed(tx, buyer, "cart.updated");
      });
    },

    /** Empties the cart; `cart.cleared` only when there was something to remove. */
    async clear(buyer: Buyer): Promise<CartView> {
      return db.$transaction(async (tx) => {
        const cartId = await lockCart(tx, buyer);
        const count = cartId ? await tx.$executeRaw`DELETE FROM cart_items WHERE cart_id = ${cartId} AND platform_id = ${buyer.platformId}` : 0;
        if (count === 0) return view(buyer, tx);
        await touchCart(tx, cartId!);
        return changed(tx, buyer, "cart.cleared");
      });
    },
  };
}

export type CartsService = ReturnType<typeof createCartsService>;
