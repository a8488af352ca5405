import { bookItems } from "../../calendars/index.js";
import type { ItemType } from "../../../generated/prisma/enums.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { toCartResponse } from "../../carts/index.js";
import { recordEvent } from "../../events/index.js";
import { assertMinimumQuantity, chosenAddOnsJsonSql, effectivePrice, type AddOnView } from "../../products/index.js";
import { computeFigures, priceLine } from "../../settlement/index.js";
import { quoteLinesWith, type Rate, ratesJsonSql } from "../../shipping/index.js";
import { Prisma } from "../../../db/client.js";
import type { ContractResponse, FromCartInput } from "../contracts.schemas.js";
import { isEditor } from "../contracts.state.js";
import { assertWithinHoldCap, expiredHoldsSql, holdUntil, releaseExpiredHolds } from "../stock-holds.js";
import { stockError } from "./items.js";
import { numberNow } from "../contracts.repo.js";
import { inclusion, recorded, tenantOf, view, type ContractsContext } from "./shared.js";

/** A cart line with what a contract needs of its product (fromCart reads them in one statement). */
interface CartLine {
  productId: string;
  quantity: number;
  minQuantity: number;
  startDate: string | null;
  endDate: string | null;
  sellerId: string;
  sellerEmail: string | null;
  sellerName: string | null;
  type: ItemType;
  name: string;
  price: number;
  currency: string;
  stock: number | null;
  isEnabled: boolean;
  archived: boolean;
  useSeasonalPrices: boolean;
  seasons: { seasonStart: string; seasonEnd: string; price: number }[] | null;
  parentOk: boolean;
  published: boolean;
  /** The later publishAt of the listing and its parent: not on sale before it. */
  publishAt: string | null;
  sellerSuspended: boolean;
  addOns: AddOnView[];
  weight: number | null;
  /** Whether the product has expired stock holds to give back before its stock is taken. */
  expiredHolds: boolean;
}

/**
 * One contract from a cart: its items at their effective prices, their sellers as sellers, the
 * cart's owner as the buyer (and creator). The stock is taken in the same transaction with a
 * conditional update per product, so of two buyers racing for the last unit one gets the
 * contract and the other a 409 naming the product. The cart is emptied.
 */
export async function fromCart(ctx: ContractsContext, auth: AuthContext, cartId: string, input: FromCartInput): Promise<ContractResponse> {
  const { clock, holds, rates } = ctx;
  const tenant = tenantOf(auth);
  // Plain SQL throughout: checkout is a hot write, and each Prisma call (a nested create most of
  // all) is compiled on every call — the query-builder version cost ~11 ms of CPU per contract
  // (bench/RESULTS.md).
  return ctx.db.$transaction(async (tx) => {
    const [cart] = await tx.$queryRaw<{ id: string; user_id: string; email: string | null; name: string | null }[]>`
      SELECT c.id, c.user_id, u.email, u.name FROM carts c JOIN users u ON u.id = c.user_id AND u.deleted IS NULL
      WHERE c.id = ${cartId} AND c.platform_id = ${tenant.platformId} AND c.mode = ${tenant.mode}::"Mode" FOR UPDATE OF c`;
    // A member's own cart only; anyone else's is not there for them.
    if (!cart || (!isEditor(auth) && cart.user_id !== auth.user?.id)) throw new NotFoundError("cart", cartId, "cart_id");
    const now = clock.now();
    // The lines with their products, whether each has expired holds, and the shipping rates that may
    // price them (the cart's currency is its first line's): one statement.
    const [read] = await tx.$queryRaw<{ lines: string; rates: Rate[] }[]>`
      SELECT coalesce(json_agg(json_build_object(
        'productId', p.id, 'quantity', ci.quantity, 'startDate', ci.start_date, 'endDate', ci.end_date,
        'sellerId', p.user_id, 'sellerEmail', su.email, 'sellerName', su.name, 'type', p.type, 'name', p.name, 'price', p.price,
        'currency', p.currency, 'stock', p.quantity, 'isEnabled', p.is_enabled, 'archived', p.archived IS NOT NULL,
        'useSeasonalPrices', p.use_seasonal_prices, 'minQuantity', p.min_quantity,
        'seasons', (SELECT json_agg(json_build_object('seasonStart', s.season_start, 'seasonEnd', s.season_end, 'price', s.price)) FROM seasonal_prices s WHERE s.product_id = p.id),
        'parentOk', coalesce(pp.is_enabled AND pp.archived IS NULL, true),
        'published', p.admin_status = 'published' AND coalesce(pp.admin_status = 'published', true),
        'publishAt', greatest(p.publish_at, pp.publish_at), 'sellerSuspended', su.suspended IS NOT NULL,
        'weight', p.weight,
        'addOns', ${chosenAddOnsJsonSql(Prisma.raw("ci.add_on_ids"), Prisma.raw("p.id"))},
        'expiredHolds', ${expiredHoldsSql(Prisma.raw("p.id"), now)}
      ) ORDER BY ci.created, ci.id), '[]')::text AS lines,
      ${ratesJsonSql(
        Prisma.sql`${tenant.platformId}`,
        Prisma.sql`${tenant.mode}::"Mode"`,
        Prisma.sql`(SELECT p1.currency FROM cart_items c1 JOIN products p1 ON p1.id = c1.product_id WHERE c1.cart_id = ${cart.id} ORDER BY c1.created, c1.id LIMIT 1)`,
        Prisma.sql`ARRAY(SELECT p1.user_id FROM cart_items c1 JOIN products p1 ON p1.id = c1.product_id WHERE c1.cart_id = ${cart.id})`,
      )} AS rates
      FROM cart_items ci
      JOIN products p ON p.id = ci.product_id
      JOIN users su ON su.id = p.user_id
      LEFT JOIN products pp ON pp.id = p.parent_product_id
      WHERE ci.cart_id = ${cart.id} AND ci.platform_id = ${tenant.platformId}`;
    const lines = JSON.parse(read!.lines) as CartLine[];
    if (lines.length === 0) throw new UnprocessableError("cart_empty", `Cart ${cart.id} is empty: add products first.`, "cart_id");
    for (const line of lines) {
      const name = `${line.name} (${line.productId})`;
      if (line.archived || !line.parentOk)
        throw new ConflictError(
          line.archived ? "product_archived" : "product_disabled",
          `${name} is ${line.archived ? "archived" : "disabled"} and cannot be bought.`,
          "product_id",
        );
      if (!line.isEnabled) throw new ConflictError("product_disabled", `${name} is disabled and cannot be bought.`, "product_id");
      // Sent back to review (or taken down) since it was added to the cart.
      if (!line.published) throw new ConflictError("product_not_published", `${name} is not published and cannot be bought.`, "product_id");
      // Its publishAt moved past now since it was added: not on sale yet, whoever converts the cart.
      if (line.publishAt !== null && new Date(line.publishAt) > clock.now())
        throw new ConflictError("product_not_published", `${name} is not on sale before ${line.publishAt} and cannot be bought yet.`, "product_id");
      // Suspended since: they would not be paid (settlement refuses them too).
      if (line.sellerSuspended)
        throw new ConflictError("seller_suspended", `The seller of ${name} (${line.sellerId}) is suspended: it cannot be bought until they are unsuspended.`, "product_id");
      // The minimum may have been raised since the line was added.
      assertMinimumQuantity({ id: line.productId, name: line.name, minQuantity: line.minQuantity }, line.quantity);
      if (line.sellerId === cart.user_id) throw new UnprocessableError("own_product", `${name} is sold by the cart's owner: sellers cannot buy their own products.`, "product_id");
    }
    // A member checking out their own cart buys: the subscription gate (an editor converting another's cart is not the buyer).
    if (cart.user_id === auth.user?.id)
      await ctx.purchaseGate(
        tx,
        auth,
        lines.map((line) => line.productId),
      );

    // Take the stock, product by product in id order (two carts never lock in opposite orders).
    const wanted = new Map<string, { line: CartLine; units: number }>();
    for (const line of lines) {
      const entry = wanted.get(line.productId) ?? { line, units: 0 };
      entry.units += line.quantity;
      wanted.set(line.productId, entry);
    }
    const limited = new Set<string>();
    for (const [productId, { line, units }] of [...wanted].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (line.expiredHolds) await releaseExpiredHolds(tx, productId, now, null, true);
      if (line.stock === null) {
        // Unlimited when the cart was read: a share lock keeps it so until this commits.
        const [row] = await tx.$queryRaw<{ quantity: number | null }[]>`SELECT quantity FROM products WHERE id = ${productId} FOR SHARE`;
        if (row?.quantity === null || row?.quantity === undefined) continue;
      }
      const taken = await tx.$executeRaw`
        UPDATE products SET quantity = quantity - ${units}, updated = now()
        WHERE id = ${productId} AND quantity IS NOT NULL AND quantity >= ${units}`;
      if (taken === 0) {
        const [row] = await tx.$queryRaw<{ quantity: number | null }[]>`SELECT quantity FROM products WHERE id = ${productId}`;
        if (row && row.quantity === null) continue;
        throw stockError({ id: productId, name: line.name }, row?.quantity ?? 0, units);
      }
      if (!isEditor(auth)) await assertWithinHoldCap(tx, holds, { id: productId, name: line.name }, cart.user_id, units, units);
      limited.add(productId);
    }

    const items = lines.map((line) => {
      const seasons = (line.seasons ?? []).map((season) => ({ seasonStart: new Date(season.seasonStart), seasonEnd: new Date(season.seasonEnd), price: season.price }));
      const price = effectivePrice(line, seasons, line.startDate ? new Date(line.startDate) : now);
      const priced = priceLine(price, line.quantity, line.addOns);
      const addOns = priced.addOns.map((a, i) => ({ add_on_id: a.id, title: line.addOns[i]!.title, price: a.price, quantity: a.quantity, total: a.total }));
      return { id: newId("contractItem"), line, userId: line.sellerId, price, total: priced.total, addOns, reserved: limited.has(line.productId) ? line.quantity : 0 };
    });
    const sellers = [...new Map(lines.map((line) => [line.sellerId, line])).values()];
    // Shipping as the cart showed it: each seller's items at the rates in force now.
    const shipping = quoteLinesWith(
      read!.rates,
      items.map((i) => ({ sellerUserId: i.userId, quantity: i.line.quantity, total: i.total, weight: i.line.weight })),
    ).map((quote) => ({ ...quote, id: newId("contractShipping") }));
    const flags = inclusion(input);
    const figures = computeFigures(
      {
        items,
        fees: [],
        shipping,
        buyers: [{ userId: cart.user_id, pinned: false, amountDue: 0 }],
        sellers: sellers.map((line) => ({ userId: line.sellerId, pinned: false, amountOwed: 0 })),
        ...flags,
      },
      rates,
      auth.platform.platformFeeBps,
    );
    // The cart's owner checking out their own cart accepts the contract it becomes, as answered.
    const checkout = auth.user?.id === cart.user_id;
    const bears = (type: string) =>
      type === "shipping"
        ? "buyers"
        : (type === "stripe:cc" ? flags.includeStripeFees : type === "candle:base" ? flags.includeCandleFees : flags.includePlatformFees)
          ? "buyers"
          : "sellers";
    const fees = figures.fees.filter((fee) => fee.type !== "custom");
    const id = newId("contract");
    const { platformId, mode } = tenant;
    // The contract, its items, buyer, sellers and fees, and the emptied cart (marked updated): one statement.
    const [emptied] = await tx.$queryRaw<{ created: Date; updated: Date }[]>`
      WITH contract AS (
        INSERT INTO contracts (id, platform_id, mode, user_id, cart_id, notes, due, currency, sub_total, total,
                               include_stripe_fees, include_candle_fees, include_platform_fees, hold_expires, updated)
        VALUES (${id}, ${platformId}, ${mode}::"Mode", ${cart.user_id}, ${cart.id}, ${input.notes ?? null}, ${input.due ?? null}, ${lines[0]!.currency},
                ${figures.subTotal}, ${figures.total}, ${flags.includeStripeFees}, ${flags.includeCandleFees}, ${flags.includePlatformFees},
                ${limited.size > 0 ? holdUntil(holds, now) : null}::timestamptz, now())
      ), items AS (
        INSERT INTO contract_items (id, platform_id, mode, contract_id, user_id, type, product_id, start_date, end_date, quantity, price, total, description, reserved, add_ons, updated)
        SELECT t.id, ${platformId}, ${mode}::"Mode", ${id}, t.user_id, t.type::"ItemType", t.product_id, t.start_date, t.end_date, t.quantity, t.price, t.total, t.description, t.reserved, t.add_ons, now()
        FROM unnest(${items.map((i) => i.id)}::text[], ${items.map((i) => i.userId)}::text[], ${items.map((i) => i.line.type)}::text[],
                    ${items.map((i) => i.line.productId)}::text[], ${items.map((i) => i.line.startDate)}::timestamptz[], ${items.map((i) => i.line.endDate)}::timestamptz[],
                    ${items.map((i) => i.line.quantity)}::int[], ${items.map((i) => i.price)}::int[], ${items.map((i) => i.total)}::int[],
                    ${items.map((i) => i.line.name)}::text[], ${items.map((i) => i.reserved)}::int[], ${items.map((i) => JSON.stringify(i.addOns))}::jsonb[])
          AS t(id, user_id, type, product_id, start_date, end_date, quantity, price, total, description, reserved, add_ons)
      ), buyer AS (
        INSERT INTO contract_buyers (id, platform_id, mode, contract_id, user_id, email, name, base_amount_due, amount_due, position,
                                     accepted, accepted_amount, accepted_currency, updated)
        VALUES (${newId("buyer")}, ${platformId}, ${mode}::"Mode", ${id}, ${cart.user_id}, ${cart.email}, ${cart.name},
                ${figures.buyers[0]!.baseAmountDue}, ${figures.buyers[0]!.amountDue}, 0,
                ${checkout ? now : null}::timestamptz, ${checkout ? figures.buyers[0]!.amountDue : null}::int, ${checkout ? lines[0]!.currency : null}::text, now())
      ), sellers AS (
        INSERT INTO contract_sellers (id, platform_id, mode, contract_id, user_id, email, name, base_amount_owed, amount_owed, position, updated)
        SELECT t.id, ${platformId}, ${mode}::"Mode", ${id}, t.user_id, t.email, t.name, t.base, t.owed, t.position, now()
        FROM unnest(${figures.sellers.map(() => newId("seller"))}::text[], ${figures.sellers.map((s) => s.userId)}::text[],
                    ${sellers.map((line) => line.sellerEmail)}::text[], ${sellers.map((line) => line.sellerName)}::text[],
                    ${figures.sellers.map((s) => s.baseAmountOwed)}::int[], ${figures.sellers.map((s) => s.amountOwed)}::int[],
                    ${figures.sellers.map((_, i) => i)}::int[])
          AS t(id, user_id, email, name, base, owed, position)
      ), fees AS (
        INSERT INTO contract_fees (id, platform_id, mode, contract_id, type, amount, payer, updated)
        SELECT t.id, ${platformId}, ${mode}::"Mode", ${id}, t.type::"FeeType", t.amount, t.payer::"FeePayer", now()
        FROM unnest(${fees.map(() => newId("fee"))}::text[], ${fees.map((fee) => fee.type)}::text[], ${fees.map((fee) => fee.amount)}::int[],
                    ${fees.map((fee) => bears(fee.type))}::text[])
          AS t(id, type, amount, payer)
      ), shipping AS (
        INSERT INTO contract_shipping (id, platform_id, mode, contract_id, shipping_rate_id, user_id, payee, title, amount, updated)
        SELECT t.id, ${platformId}, ${mode}::"Mode", ${id}, t.rate_id, t.user_id, t.payee::"ShippingPayee", t.title, t.amount, now()
        FROM unnest(${shipping.map((l) => l.id)}::text[], ${shipping.map((l) => l.shippingRateId)}::text[], ${shipping.map((l) => l.userId)}::text[],
                    ${shipping.map((l) => l.payee)}::text[], ${shipping.map((l) => l.title)}::text[], ${shipping.map((l) => l.amount)}::int[])
          AS t(id, rate_id, user_id, payee, title, amount)
      ), emptied AS (
        DELETE FROM cart_items WHERE cart_id = ${cart.id} AND platform_id = ${platformId}
      )
      UPDATE carts SET updated = ${now} WHERE id = ${cart.id} RETURNING created, updated`;
    // Dated items are bookings: checked against each seller's availability and bookings, and put on both parties' calendars (409 when taken).
    await bookItems(tx, tenant, {
      contractId: id,
      buyerId: cart.user_id,
      items: items
        .filter((i) => i.line.startDate && i.line.endDate)
        .map((i) => ({
          itemId: i.id,
          productId: i.line.productId,
          sellerId: i.line.sellerId,
          start: new Date(i.line.startDate!),
          end: new Date(i.line.endDate!),
          title: i.line.name,
        })),
    });
    // The cart was emptied: its event, as the carts module records a DELETE /carts/auth.
    const emptyCart = {
      id: cart.id,
      platformId,
      mode,
      userId: cart.user_id,
      created: emptied!.created,
      updated: emptied!.updated,
      items: [],
      currency: auth.platform.currency,
      shipping: [],
    };
    await recordEvent(tx, { platformId, mode, requestId: auth.requestId, type: "cart.cleared", object: toCartResponse(emptyCart, now) });
    await numberNow(tx);
    return recorded(tx, auth, "contract.created", await view(tx, tenant, id));
  });
}
