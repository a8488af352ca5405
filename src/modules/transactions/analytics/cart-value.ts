import { Prisma } from "../../../db/client.js";
import { PLAN_EACH_CALL } from "../../../db/prepared.js";
import type { Tenant } from "../../../db/tenant.js";
import { averageCents, medianCents } from "../../../domain/fees/index.js";
import { planPeriod, type Costs } from "../analytics.plan.js";
import type { PeriodQuery } from "../transactions.schemas.js";
import { type AnalyticsContext, periodEcho, toNumber } from "./shared.js";
import { daysWithin, periodsOf, signed, spanOf, within } from "./sql.js";

/** A day of paid contracts (~250) is far more than a month's histogram (~200 buckets per currency). */
const VALUE_COSTS: Costs = { rawDay: 1, month: 1, year: 1.2, all: 1.5 };

/**
 * Contracts paid in the period (by their `paid` date), per currency: how many, their `total`
 * summed, its average and its median.
 */
export async function cartValue(ctx: AnalyticsContext, tenant: Tenant, q: PeriodQuery) {
  const scope = Prisma.sql`platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode"`;
  const paidIn = (p: { from?: Date | null; to?: Date | null }) => within(Prisma.sql`paid`, { from: p.from ?? undefined, to: p.to ?? undefined });
  const parts = planPeriod(q.from ?? null, q.to ?? null, ctx.clock.now(), VALUE_COSTS).map((p) => {
    const k = signed(p.sign);
    if (p.unit === "raw") {
      return Prisma.sql`
        SELECT currency, analytics_value_bucket(total) AS bucket, ${k} AS count, ${k} * total AS sum
        FROM contracts WHERE ${scope} AND status = 'paid' AND paid IS NOT NULL ${paidIn(p)}`;
    }
    const span = spanOf(p);
    return Prisma.sql`
      SELECT currency, bucket, ${k} * count AS count, ${k} * sum AS sum FROM contract_value_buckets WHERE ${scope} AND ${periodsOf(p)}
      UNION ALL
      SELECT currency, bucket, ${k} * count, ${k} * sum FROM contract_value_deltas WHERE ${scope} ${daysWithin("month", span.from, span.to)}`;
  });
  // The histogram of the period says how many contracts, their sum, and which bucket holds
  // each middle rank; the middle values themselves are read from the paid contracts' indexes,
  // within that bucket only (at most a tenth of its values), in the same snapshot. Planned on each
  // call: which index reads them best depends on the period (src/db/prepared.ts, PLAN_EACH_CALL).
  const rows = await ctx.query<{ currency: string; count: bigint; sum: bigint; median: number }[]>(Prisma.sql`${Prisma.raw(PLAN_EACH_CALL)}
    WITH hist AS (
      SELECT currency, bucket, sum(count)::bigint AS count, sum(sum)::bigint AS sum
      FROM (${Prisma.join(parts, " UNION ALL ")}) AS parts
      GROUP BY currency, bucket
      HAVING sum(count) <> 0
    ), cumulative AS (
      SELECT currency, bucket, count, sum(count) OVER (PARTITION BY currency ORDER BY bucket) AS upto
      FROM hist
    ), totals AS (
      SELECT currency, sum(count)::bigint AS count, sum(sum)::bigint AS sum FROM hist GROUP BY currency
    ), middles AS (
      SELECT t.currency, c.bucket, (r.rank - (c.upto - c.count) - 1)::bigint AS skip
      FROM totals t
      CROSS JOIN LATERAL (VALUES ((t.count + 1) / 2), (t.count / 2 + 1)) AS r(rank)
      CROSS JOIN LATERAL (SELECT * FROM cumulative c WHERE c.currency = t.currency AND c.upto >= r.rank ORDER BY c.bucket LIMIT 1) c
    ), picked AS (
      SELECT m.currency,
             (SELECT total FROM contracts
              WHERE ${scope} AND status = 'paid' AND currency = m.currency AND total >= m.bucket AND total < analytics_value_bucket_end(m.bucket)
                AND paid IS NOT NULL ${paidIn(q)}
              ORDER BY total OFFSET m.skip LIMIT 1) AS value
      FROM middles m
    )
    SELECT t.currency, t.count, t.sum, (SELECT avg(value)::float8 FROM picked p WHERE p.currency = t.currency) AS median
    FROM totals t
    ORDER BY t.currency`);
  return {
    ...periodEcho(q),
    totals: rows.map((r) => ({
      currency: r.currency,
      count: toNumber(r.count),
      sum: toNumber(r.sum),
      average: averageCents(r.sum, r.count),
      median: medianCents(Number(r.median)),
    })),
  };
}
