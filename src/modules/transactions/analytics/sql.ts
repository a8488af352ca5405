import { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import type { Part } from "../analytics.plan.js";

/** The SQL every analytics query builds on: the flows, periods as conditions, the rows of a flow. */

/** A flow: money moving one way, less what went back. */
export const FLOWS = {
  /** What buyers paid: `incoming` − `incoming:refund`. */
  spend: { pay: "incoming", refund: "incoming:refund", party: Prisma.sql`buyer_user_id` },
  /** What sellers received: `outgoing` − `outgoing:refund`. */
  revenue: { pay: "outgoing", refund: "outgoing:refund", party: Prisma.sql`seller_user_id` },
} as const;
export type FlowKind = keyof typeof FLOWS;

/** `created` (or another date column) within the period; an open end costs nothing per row. */
export function within(column: Prisma.Sql, q: { from?: Date; to?: Date }): Prisma.Sql {
  return Prisma.sql`${q.from ? Prisma.sql`AND ${column} >= ${q.from}` : Prisma.empty} ${q.to ? Prisma.sql`AND ${column} < ${q.to}` : Prisma.empty}`;
}

export const DAY_MS = 86_400_000;
export const EPOCH = new Date(0);
export const floorDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
export const isoDay = (d: Date) => d.toISOString().slice(0, 10);
export const ceilDay = (d: Date) => new Date(Math.ceil(d.getTime() / DAY_MS) * DAY_MS);

/** A part's sign as an SQL literal (bound parameters would need a cast in every product). */
export const signed = (sign: number) => Prisma.raw(sign === 1 ? "1" : "-1");

/** A `date` column within `[from, to)` (UTC days); an open end adds nothing. */
export function daysWithin(column: string, from: Date | null | undefined, to: Date | null | undefined): Prisma.Sql {
  const col = Prisma.raw(column);
  return Prisma.sql`${from ? Prisma.sql`AND ${col} >= ${isoDay(from)}::date` : Prisma.empty} ${to ? Prisma.sql`AND ${col} < ${isoDay(to)}::date` : Prisma.empty}`;
}

/** The rollup rows a block of a plan reads: its unit's periods starting within the block. */
export function periodsOf(p: Part): Prisma.Sql {
  return p.unit === "all" ? Prisma.sql`unit = 'all'` : Prisma.sql`unit = ${p.unit} ${daysWithin("period_start", p.from, p.to)}`;
}

/** The days (or months) a block of a plan covers, for the deltas not yet compacted into it. */
export const spanOf = (p: Part) => (p.unit === "all" ? { from: null, to: null } : p);

/**
 * A flow's succeeded movements in `[from, to)` read from `transactions` itself, one row each:
 * `at` (UTC), currency, gross, refunded, count, refund_count, and the party as `user_id`.
 */
export function rawFlowRows(
  tenant: Tenant,
  kind: FlowKind,
  q: { from?: Date | null; to?: Date | null; currency?: string },
  extra: Prisma.Sql = Prisma.empty,
  sign = 1,
): Prisma.Sql {
  const { pay, refund, party } = FLOWS[kind];
  const isPay = Prisma.sql`type = ${pay}::"TransactionType"`;
  const k = signed(sign);
  return Prisma.sql`
    SELECT created AT TIME ZONE 'UTC' AS at, currency, ${party} AS user_id,
           CASE WHEN ${isPay} THEN ${k} * amount ELSE 0 END AS gross, CASE WHEN ${isPay} THEN 0 ELSE ${k} * amount END AS refunded,
           CASE WHEN ${isPay} THEN ${k} ELSE 0 END AS count, CASE WHEN ${isPay} THEN 0 ELSE ${k} END AS refund_count
    FROM transactions
    WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND status = 'succeeded'
      AND type IN (${pay}::"TransactionType", ${refund}::"TransactionType")
      ${within(Prisma.sql`created`, { from: q.from ?? undefined, to: q.to ?? undefined })}
      ${q.currency ? Prisma.sql`AND currency = ${q.currency}` : Prisma.empty}
      ${extra}`;
}

/**
 * A flow's movements in the period for the whole platform: whole UTC days from the daily rollup
 * (and the deltas not yet compacted into it), the partial days at either end from `transactions`.
 */
export function dailyFlowRows(tenant: Tenant, kind: FlowKind, q: { from?: Date; to?: Date; currency?: string }): Prisma.Sql {
  const first = q.from ? ceilDay(q.from) : undefined;
  const last = q.to ? floorDay(q.to) : undefined;
  if (first && last && first.getTime() >= last.getTime()) return rawFlowRows(tenant, kind, q);
  const days = (table: string) => Prisma.sql`
    SELECT day::timestamp AS at, currency, NULL::text AS user_id, gross, refunded, count, refund_count
    FROM ${Prisma.raw(table)}
    WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND flow = ${kind}
      ${daysWithin("day", first, last)}
      ${q.currency ? Prisma.sql`AND currency = ${q.currency}` : Prisma.empty}`;
  const parts = [days("transaction_flow_days"), days("transaction_flow_deltas")];
  if (q.from && first!.getTime() !== q.from.getTime()) parts.push(rawFlowRows(tenant, kind, { ...q, to: first }));
  if (q.to && last!.getTime() !== q.to.getTime()) parts.push(rawFlowRows(tenant, kind, { ...q, from: last }));
  return Prisma.join(parts, " UNION ALL ");
}
