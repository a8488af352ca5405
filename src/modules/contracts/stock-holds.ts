import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { ConflictError, UnprocessableError } from "../../lib/errors.js";
import type { Tx } from "../../db/tenant.js";
import { existingProductIds, giveBackStockSql, lockProductRow, takeStock } from "../products/index.js";

/**
 * Stock holds: the units an unpaid contract's items took from their products (`contract_items.reserved`).
 *
 * A product's `quantity` is what is left to sell; an item added to a draft or open contract takes its
 * units from it at once (so of two buyers racing for the last unit one gets it). Unbounded, that let
 * one member take a seller's whole stock with a draft they never send. So a hold is bounded twice:
 *
 * - in time: an unpaid contract's holds expire `STOCK_HOLD_MINUTES` after its last add, send or
 *   settle (`contracts.hold_expires`). Expired holds go back to the product — lazily, by whoever next
 *   wants that product (adds, checkouts, sends, settlements), and every minute by the
 *   `release-stock-holds` job — so availability never depends on the job's timing. Sending or
 *   settling a contract whose holds expired takes the units again, or fails with 409 when they are gone;
 * - in size: a member holds at most `STOCK_HOLD_MAX_SHARE` percent of a product's stock (what is left
 *   plus what unpaid contracts hold; at least 1 unit) across all their unpaid contracts at once.
 *   Editors and the platform key are not capped.
 *
 * A contract with something paid, a settlement under way (`processing`) or a live subscription keeps
 * its holds: they become the sale. Deleting or voiding an unpaid contract, or removing an item, gives them back.
 *
 * Locks: a hold is only read or changed under its contract's row lock, and every change to a hold
 * locks its product. Locks are taken contract (or cart) → product; releasing another holder's
 * expired hold takes that contract's lock with SKIP LOCKED (a contract someone is changing right
 * now is left for later), so a release never waits on a contract while holding a product.
 */

export interface HoldRules {
  /** How long an unpaid contract holds its stock after its last add, send or settle. */
  minutes: number;
  /** The share (percent) of a product's stock one member may hold across their unpaid contracts. */
  maxSharePercent: number;
}

export const DEFAULT_HOLD_RULES: HoldRules = { minutes: 30, maxSharePercent: 50 };

export const holdUntil = (rules: HoldRules, now: Date): Date => new Date(now.getTime() + rules.minutes * 60_000);

/** Unpaid and not being settled: the contracts whose holds count against a member's share. */
const UNPAID = (alias: string) =>
  `${alias}.status IN ('draft', 'open') AND NOT EXISTS (SELECT 1 FROM contract_buyers b WHERE b.contract_id = ${alias}.id AND (b.amount_paid > 0 OR b.amount_authorized > 0))`;

/** …and not billed by a live subscription (its cycles are the sales): the holds that expire. */
const EXPIRABLE = (alias: string) => `${UNPAID(alias)} AND NOT EXISTS (SELECT 1 FROM subscriptions s WHERE s.contract_id = ${alias}.id AND s.ended IS NULL)`;

/**
 * Whether the product whose id is that SQL expression has expired holds (any contract's): for a
 * statement the caller sends anyway (a cart's lock, a checkout's read of its lines) to learn it, and
 * call `releaseExpiredHolds` with `known` only for the products that have some — one round trip
 * per product less on the hot paths.
 */
export const expiredHoldsSql = (productId: Prisma.Sql, now: Date) =>
  Prisma.sql`EXISTS (SELECT 1 FROM contract_items i JOIN contracts c ON c.id = i.contract_id
                     WHERE i.product_id = ${productId} AND i.reserved > 0 AND c.hold_expires <= ${now}::timestamptz AND ${Prisma.raw(EXPIRABLE("c"))})`;

/**
 * Gives back to one product the units its expired holds took (except `exceptContractId`'s), and
 * answers how many. Locks the product when there is something to give back (the caller may hold
 * its contract, never another product's lock it would wait on); each contract's holds are released
 * by whoever holds that contract's lock. `known`: the caller learned there are some (`expiredHoldsSql`),
 * so they are not looked for first.
 */
export async function releaseExpiredHolds(tx: Tx, productId: string, now: Date, exceptContractId: string | null = null, known = false): Promise<number> {
  if (!known) {
    const [expired] = await tx.$queryRawUnsafe<{ found: boolean }[]>(
      `SELECT EXISTS (SELECT 1 FROM contract_items i JOIN contracts c ON c.id = i.contract_id
                      WHERE i.product_id = $1 AND i.reserved > 0 AND c.hold_expires <= $2::timestamptz AND ${EXPIRABLE("c")} AND c.id IS DISTINCT FROM $3::text) AS found`,
      productId,
      now,
      exceptContractId,
    );
    if (!expired?.found) return 0;
  }
  // The product first: a release of it under way elsewhere is waited for (then seen done), rather
  // than its contracts skipped while their units are not back yet.
  await lockProductRow(tx, productId);
  // Then the contracts, locked (one statement), then their items read afresh under those locks.
  const locked = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT c.id FROM contracts c
     WHERE c.hold_expires <= $2::timestamptz AND ${EXPIRABLE("c")} AND c.id IS DISTINCT FROM $3::text
       AND EXISTS (SELECT 1 FROM contract_items i WHERE i.contract_id = c.id AND i.product_id = $1 AND i.reserved > 0)
     ORDER BY c.id
     FOR UPDATE OF c SKIP LOCKED`,
    productId,
    now,
    exceptContractId,
  );
  if (locked.length === 0) return 0;
  // The holds freed and the stock given back (the products module's statement): one statement.
  const [freed] = await tx.$queryRaw<{ units: number | null }[]>`
    WITH held AS (
       SELECT i.id, i.reserved FROM contract_items i JOIN contracts c ON c.id = i.contract_id
       WHERE i.contract_id = ANY(${locked.map((c) => c.id)}::text[]) AND i.product_id = ${productId} AND i.reserved > 0
         AND c.hold_expires <= ${now}::timestamptz AND ${Prisma.raw(EXPIRABLE("c"))}
     ), freed AS (
       UPDATE contract_items SET reserved = 0, updated = now() FROM held WHERE contract_items.id = held.id RETURNING held.reserved AS units
     ), total AS (SELECT coalesce(sum(units), 0)::int AS units FROM freed)
     ${giveBackStockSql(productId, Prisma.sql`(SELECT units FROM total)`)}
     RETURNING (SELECT units FROM total) AS units`;
  // A deleted or unlimited product gets nothing back, but its holds are released all the same.
  return freed?.units ?? 0;
}

/**
 * 422 when `holderUserId` would hold more than their share of the product across their unpaid
 * contracts. Locks the product; expects its expired holds already released.
 */
export async function assertWithinHoldCap(
  tx: Tx,
  rules: HoldRules,
  product: { id: string; name: string },
  holderUserId: string,
  wanted: number,
  /** Units of `wanted` already taken from the product's quantity (a checkout takes first, then checks). */
  taken = 0,
): Promise<void> {
  // The lock first, then the figures in a statement of their own: its snapshot then sees every hold
  // committed before the lock was granted (every change to a hold on it locks the product).
  // (The row lock reads the product's latest stock, which nobody changes while it is held.)
  const locked = await lockProductRow(tx, product.id);
  if (!locked || locked.quantity === null) return;
  const [figures] = await tx.$queryRawUnsafe<{ mine: number; held: number }[]>(
    `SELECT coalesce((SELECT sum(i.reserved) FILTER (WHERE c.user_id = $2) FROM contract_items i JOIN contracts c ON c.id = i.contract_id
                      WHERE i.product_id = $1 AND i.reserved > 0 AND ${UNPAID("c")}), 0)::int AS mine,
            coalesce((SELECT sum(i.reserved) FROM contract_items i JOIN contracts c ON c.id = i.contract_id
                      WHERE i.product_id = $1 AND i.reserved > 0 AND ${UNPAID("c")}), 0)::int AS held`,
    product.id,
    holderUserId,
  );
  const row = { quantity: locked.quantity, ...figures! };
  const cap = Math.max(1, Math.floor(((row.quantity + taken + row.held) * rules.maxSharePercent) / 100));
  if (row.mine + wanted > cap) {
    throw new UnprocessableError(
      "stock_hold_limit",
      `One member holds at most ${cap} of ${product.name} (${product.id}) at once across their unpaid contracts` +
        `${row.mine > 0 ? `, and you already hold ${row.mine}` : ""}; ${wanted} wanted. Pay or remove what you hold first.`,
      "quantity",
    );
  }
}

/**
 * Sending or settling: every item of a limited product holds its units again (a hold that expired
 * takes them anew — 409 when they are gone), and the contract's holds run until `until`. Expects the
 * contract locked; locks its products in id order.
 */
export async function retakeHolds(tx: Tx, contractId: string, now: Date, until: Date): Promise<void> {
  const items = await tx.$queryRaw<{ id: string; productId: string; quantity: number; reserved: number; description: string | null }[]>`
    SELECT id, product_id AS "productId", quantity, reserved, description FROM contract_items
    WHERE contract_id = ${contractId} AND product_id IS NOT NULL ORDER BY product_id, id`;
  const byProduct = new Map<string, typeof items>();
  for (const item of items) byProduct.set(item.productId, [...(byProduct.get(item.productId) ?? []), item]);
  // A product its seller deleted meanwhile is not sold, held or not.
  const existing = await existingProductIds(tx, [...byProduct.keys()]);
  const gone = [...byProduct.keys()].find((id) => !existing.has(id));
  if (gone) {
    const name = `${byProduct.get(gone)![0]!.description ?? "A product"} (${gone})`;
    throw new ConflictError("product_out_of_stock", `${name} is no longer sold (its seller deleted it): remove it from the contract.`, "product_id");
  }
  for (const [productId, own] of byProduct) {
    const short = own.filter((i) => i.reserved < i.quantity);
    if (short.length === 0) continue;
    const product = await lockProductRow(tx, productId);
    const name = `${product?.name ?? own[0]!.description ?? "A product"} (${productId})`;
    if (!product) throw new ConflictError("product_out_of_stock", `${name} is no longer sold (its seller deleted it): remove it from the contract.`, "product_id");
    if (product.quantity === null) continue;
    const need = short.reduce((sum, i) => sum + i.quantity - i.reserved, 0);
    let available = product.quantity;
    if (available < need) available += await releaseExpiredHolds(tx, productId, now, contractId);
    if (available < need) {
      throw available <= 0
        ? new ConflictError("product_out_of_stock", `${name} is out of stock: this contract's hold on it expired and others bought it.`, "product_id")
        : new ConflictError("insufficient_stock", `Only ${available} of ${name} left in stock, ${need} more wanted: this contract's hold on it expired.`, "product_id");
    }
    await takeStock(tx, productId, need);
    await tx.$executeRaw`UPDATE contract_items SET reserved = quantity, updated = now() WHERE id = ANY(${short.map((i) => i.id)}::text[])`;
  }
  await tx.$executeRaw`UPDATE contracts SET hold_expires = ${until} WHERE id = ${contractId}`;
}

/** Marks a contract's holds as running until `until` (an add refreshes them). */
export async function refreshHold(tx: Tx, contractId: string, until: Date): Promise<void> {
  await tx.$executeRaw`UPDATE contracts SET hold_expires = ${until} WHERE id = ${contractId}`;
}

/**
 * The `release-stock-holds` job: gives back every expired hold, one product per transaction.
 * Answers how many units went back. Contracts locked by someone right now wait for the next run
 * (or for whoever next wants their products).
 */
export async function sweepExpiredHolds(db: Db, now: Date, limit = 500): Promise<number> {
  const products = await db.$queryRawUnsafe<{ product_id: string }[]>(
    `SELECT DISTINCT i.product_id FROM contract_items i JOIN contracts c ON c.id = i.contract_id
     WHERE c.hold_expires <= $1::timestamptz AND i.reserved > 0 AND i.product_id IS NOT NULL AND ${EXPIRABLE("c")}
     LIMIT $2::int`,
    now,
    limit,
  );
  let units = 0;
  for (const { product_id } of products) units += await db.$transaction((tx) => releaseExpiredHolds(tx, product_id, now));
  return units;
}
