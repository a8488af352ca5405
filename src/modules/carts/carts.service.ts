import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Product } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { recordEvent } from "../events/events.service.js";
import type { EventType } from "../events/event-types.js";
import { effectivePrice } from "../products/pricing.js";
import { isAvailableInStock } from "../products/products.service.js";
import { MAX_CART_LINES, MAX_LINE_QUANTITY, type AddToCartInput } from "./carts.schemas.js";

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

const cartInclude = {
  items: {
    orderBy: [{ created: "asc" }, { id: "asc" }],
    include: {
      product: {
        include: {
          seasonalPrices: { orderBy: [{ seasonStart: "asc" }, { id: "asc" }] },
          parent: { select: { isEnabled: true, archived: true } },
        },
      },
    },
  },
} satisfies Prisma.CartInclude;

export type CartView = Prisma.CartGetPayload<{ include: typeof cartInclude }> & { currency: string };

const sameInstant = (a: Date | null, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** For sale: the item itself and, for a variant, its parent. */
function forSale(p: Pick<Product, "isEnabled" | "archived" | "quantity">, parent: Pick<Product, "isEnabled" | "archived"> | null): boolean {
  return isAvailableInStock(p) && (parent === null || (parent.isEnabled && parent.archived === null));
}

export function toCartResponse(cart: CartView, now: Date) {
  const sellers = new Map<string, number>();
  const items = cart.items.map((item) => {
    const p = item.product;
    const price = effectivePrice(p, p.seasonalPrices, item.startDate ?? now);
    const total = price * item.quantity;
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
  return {
    id: cart.id,
    platform_id: cart.platformId,
    mode: cart.mode,
    user_id: cart.userId,
    items,
    sellers: [...sellers].map(([user_id, subTotal]) => ({ user_id, subTotal })),
    total: items.reduce((sum, i) => sum + i.total, 0),
    currency: cart.currency,
    created: toApiDate(cart.created),
    updated: toApiDate(cart.updated),
  };
}

export function createCartsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  async function ensureCart(client: Db | Prisma.TransactionClient, buyer: Buyer): Promise<void> {
    await client.cart.createMany({
      data: [{ id: newId("cart"), platformId: buyer.platformId, mode: buyer.mode, userId: buyer.user.id }],
      skipDuplicates: true,
    });
  }

  /** The buyer's cart; `ensured`: the caller has already made sure it exists (in this transaction). */
  async function view(buyer: Buyer, client: Db | Prisma.TransactionClient = db, ensured = false): Promise<CartView> {
    if (!ensured) await ensureCart(client, buyer);
    const cart = await client.cart.findFirstOrThrow({ where: { userId: buyer.user.id, platformId: buyer.platformId, mode: buyer.mode }, include: cartInclude });
    return { ...cart, currency: cart.items[0]?.product.currency ?? buyer.platform.currency };
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

  /** A product of the buyer's platform, locked against changes (and deletion) until the add commits. */
  async function productForShare(tx: Prisma.TransactionClient, buyer: Buyer, where: Prisma.Sql, param: string, id: string): Promise<Product> {
    const rows = await tx.$queryRaw<{ id: string }[]>`
      SELECT id FROM products WHERE platform_id = ${buyer.platformId} AND mode = ${buyer.mode}::"Mode" AND ${where} FOR SHARE`;
    if (rows.length === 0) throw new NotFoundError(param === "variant" ? "variant of this product" : "product", id, param);
    return tx.product.findUniqueOrThrow({ where: { id: rows[0]!.id, platformId: buyer.platformId } });
  }

  return {
    retrieve: (buyer: Buyer) => view(buyer),

    now: () => clock.now(),

    async add(buyer: Buyer, productId: string, input: AddToCartInput): Promise<CartView> {
      return db.$transaction(async (tx) => {
        await ensureCart(tx, buyer);
        const cartId = (await lockCart(tx, buyer))!;

        const product = await productForShare(tx, buyer, Prisma.sql`id = ${productId}`, "product_id", productId);
        let item = product;
        let parent: Product | null = null;
        if (input.variant !== undefined) {
          item = await productForShare(tx, buyer, Prisma.sql`id = ${input.variant} AND parent_product_id = ${product.id}`, "variant", input.variant);
          parent = product;
        } else if (product.parentProductId !== null) {
          parent = await productForShare(tx, buyer, Prisma.sql`id = ${product.parentProductId}`, "product_id", product.parentProductId);
        } else if ((await tx.product.count({ where: { parentProductId: product.id, archived: null } })) > 0) {
          throw new UnprocessableError("variant_required", `${product.id} comes in variants: say which one with \`variant\`.`, "variant");
        }

        const name = `${item.name} (${item.id})`;
        if (item.userId === buyer.user.id) throw new UnprocessableError("own_product", `${name} is sold by you: sellers cannot buy their own products.`, "product_id");
        if (item.archived !== null || parent?.archived) throw new ConflictError("product_archived", `${name} is archived and cannot be bought.`, "product_id");
        if (!item.isEnabled || (parent && !parent.isEnabled)) throw new ConflictError("product_disabled", `${name} is disabled and cannot be bought.`, "product_id");
        if (item.quantity === 0) throw new ConflictError("product_out_of_stock", `${name} is out of stock.`, "product_id");

        const lines = await tx.cartItem.findMany({ where: { cartId, platformId: buyer.platformId }, include: { product: { select: { currency: true } } } });
        if (lines.some((l) => l.product.currency !== item.currency)) {
          throw new UnprocessableError("currency_mismatch", `${name} is priced in ${item.currency}, and this cart holds items in ${lines[0]!.product.currency}: a cart has one currency.`, "product_id");
        }
        const held = lines.filter((l) => l.productId === item.id).reduce((sum, l) => sum + l.quantity, 0);
        if (item.quantity !== null && held + input.quantity > item.quantity) {
          throw new ConflictError(
            "insufficient_stock",
            `Only ${item.quantity} of ${name} in stock${held > 0 ? `, and your cart already holds ${held}` : ""}.`,
            "quantity",
          );
        }
        const same = lines.find((l) => l.productId === item.id && sameInstant(l.startDate, input.startDate) && sameInstant(l.endDate, input.endDate));
        if (same) {
          if (same.quantity + input.quantity > MAX_LINE_QUANTITY) {
            throw new UnprocessableError("quantity_too_large", `A cart line holds at most ${MAX_LINE_QUANTITY} units.`, "quantity");
          }
          await tx.cartItem.update({ where: { id: same.id, cartId }, data: { quantity: same.quantity + input.quantity } });
        } else {
          if (lines.length >= MAX_CART_LINES) throw new UnprocessableError("cart_full", `A cart holds at most ${MAX_CART_LINES} lines.`, "product_id");
          await tx.cartItem.create({
            data: {
              id: newId("cartItem"),
              platformId: buyer.platformId,
              mode: buyer.mode,
              cartId,
              productId: item.id,
              type: item.type,
              quantity: input.quantity,
              startDate: input.startDate ?? null,
              endDate: input.endDate ?? null,
            },
          });
        }
        await tx.cart.update({ where: { id: cartId, platformId: buyer.platformId }, data: { updated: clock.now() } });
        return changed(tx, buyer, "cart.updated");
      });
    },

    async removeItem(buyer: Buyer, itemId: string): Promise<CartView> {
      return db.$transaction(async (tx) => {
        const cartId = await lockCart(tx, buyer);
        const { count } = cartId ? await tx.cartItem.deleteMany({ where: { id: itemId, cartId, platformId: buyer.platformId } }) : { count: 0 };
        if (count === 0) throw new NotFoundError("item in your cart", itemId, "cart_item_id");
        await tx.cart.update({ where: { id: cartId!, platformId: buyer.platformId }, data: { updated: clock.now() } });
        return changed(tx, buyer, "cart.updated");
      });
    },

    /** Empties the cart; `cart.cleared` only when there was something to remove. */
    async clear(buyer: Buyer): Promise<CartView> {
      return db.$transaction(async (tx) => {
        const cartId = await lockCart(tx, buyer);
        const { count } = cartId ? await tx.cartItem.deleteMany({ where: { cartId, platformId: buyer.platformId } }) : { count: 0 };
        if (count === 0) return view(buyer, tx);
        await tx.cart.update({ where: { id: cartId!, platformId: buyer.platformId }, data: { updated: clock.now() } });
        return changed(tx, buyer, "cart.cleared");
      });
    },
  };
}

export type CartsService = ReturnType<typeof createCartsService>;
