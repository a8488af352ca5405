import { type Db, Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";

/**
 * Pricing shipping: each seller's items in a cart (or a contract made from one) ship together, at
 * the cheapest of the seller's own rates that applies to them, or — when none of the seller's
 * does — the cheapest applicable rate of the platform's; none applying, they ship free. Pure
 * below `ratesFor`, so carts and checkout price it the same way.
 */

export interface Band {
  from: number;
  to: number | null;
  price: number;
}

export interface Rate {
  id: string;
  userId: string | null;
  title: string;
  kind: "flat" | "weight" | "price";
  price: number;
  stepPrice: number;
  bands: Band[] | null;
}

/** One seller's items: how many units, what they cost, what they weigh (null: a line without a weight). */
export interface ShipmentGroup {
  sellerUserId: string;
  units: number;
  subTotal: number;
  weight: number | null;
}

export interface ShippingQuote {
  shippingRateId: string;
  userId: string;
  payee: "seller" | "platform";
  title: string;
  amount: number;
}

const inBand = (bands: readonly Band[] | null, value: number) => bands?.find((b) => value >= b.from && (b.to === null || value < b.to)) ?? null;

/** What the rate charges for the group; null when it does not apply (no weight known, or no band holds the value). */
export function rateAmount(rate: Rate, group: ShipmentGroup): number | null {
  if (rate.kind === "flat") return rate.price + rate.stepPrice * Math.max(0, group.units - 1);
  if (rate.kind === "weight") return group.weight === null ? null : (inBand(rate.bands, group.weight)?.price ?? null);
  return inBand(rate.bands, group.subTotal)?.price ?? null;
}

/** The cheapest applicable rate of these (they come oldest first: ties go to the oldest). */
function cheapest(rates: readonly Rate[], group: ShipmentGroup): { rate: Rate; amount: number } | null {
  let best: { rate: Rate; amount: number } | null = null;
  for (const rate of rates) {
    const amount = rateAmount(rate, group);
    if (amount !== null && (best === null || amount < best.amount)) best = { rate, amount };
  }
  return best;
}

export function quoteShipping(groups: readonly ShipmentGroup[], rates: readonly Rate[]): ShippingQuote[] {
  const quotes: ShippingQuote[] = [];
  const platformRates = rates.filter((r) => r.userId === null);
  for (const group of groups) {
    const own = cheapest(
      rates.filter((r) => r.userId === group.sellerUserId),
      group,
    );
    const chosen = own ?? cheapest(platformRates, group);
    if (!chosen) continue;
    quotes.push({
      shippingRateId: chosen.rate.id,
      userId: group.sellerUserId,
      payee: chosen.rate.userId === null ? "platform" : "seller",
      title: chosen.rate.title,
      amount: chosen.amount,
    });
  }
  return quotes;
}

/** Items grouped by seller, in the order their sellers first appear. */
export function groupBySeller(lines: readonly { sellerUserId: string; quantity: number; total: number; weight: number | null }[]): ShipmentGroup[] {
  const groups = new Map<string, ShipmentGroup>();
  for (const line of lines) {
    const group = groups.get(line.sellerUserId) ?? { sellerUserId: line.sellerUserId, units: 0, subTotal: 0, weight: 0 };
    group.units += line.quantity;
    group.subTotal += line.total;
    group.weight = group.weight === null || line.weight === null ? null : group.weight + line.weight * line.quantity;
    groups.set(line.sellerUserId, group);
  }
  return [...groups.values()];
}

/** The rates that may price these sellers' items in this currency: theirs and the platform's, oldest first. */
export async function ratesFor(client: Db | Tx, tenant: Tenant, currency: string, sellerUserIds: readonly string[]): Promise<Rate[]> {
  if (sellerUserIds.length === 0) return [];
  return client.$queryRaw<Rate[]>`
    SELECT id, user_id AS "userId", title, kind::text AS kind, price, step_price AS "stepPrice", bands
    FROM shipping_rates
    WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND currency = ${currency}
      AND (user_id IS NULL OR user_id = ANY(${[...sellerUserIds]}::text[]))
    ORDER BY created, id`;
}

/**
 * The rates `ratesFor` reads, as a JSON array built inside another statement (the cart's view, the
 * checkout's read of its lines): platform, mode, currency and sellers are SQL expressions of that
 * statement. One statement instead of a second round trip on every cart read and change.
 */
export const ratesJsonSql = (platformId: Prisma.Sql, mode: Prisma.Sql, currency: Prisma.Sql, sellerUserIds: Prisma.Sql) => Prisma.sql`coalesce((
  SELECT json_agg(json_build_object('id', r.id, 'userId', r.user_id, 'title', r.title, 'kind', r.kind, 'price', r.price, 'stepPrice', r.step_price, 'bands', r.bands)
                  ORDER BY r.created, r.id)
  FROM shipping_rates r
  WHERE r.platform_id = ${platformId} AND r.mode = ${mode} AND r.currency = ${currency} AND (r.user_id IS NULL OR r.user_id = ANY(${sellerUserIds}))), '[]'::json)`;

/** Prices the shipping of these lines with rates already read (`ratesJsonSql`). */
export function quoteLinesWith(rates: readonly Rate[], lines: readonly { sellerUserId: string; quantity: number; total: number; weight: number | null }[]): ShippingQuote[] {
  const groups = groupBySeller(lines);
  return groups.length === 0 || rates.length === 0 ? [] : quoteShipping(groups, rates);
}

/** Prices the shipping of these lines (a cart's, or a contract's being made from one). */
export async function quoteLines(
  client: Db | Tx,
  tenant: Tenant,
  currency: string,
  lines: readonly { sellerUserId: string; quantity: number; total: number; weight: number | null }[],
): Promise<ShippingQuote[]> {
  const groups = groupBySeller(lines);
  if (groups.length === 0) return [];
  const rates = await ratesFor(
    client,
    tenant,
    currency,
    groups.map((g) => g.sellerUserId),
  );
  return rates.length === 0 ? [] : quoteShipping(groups, rates);
}
