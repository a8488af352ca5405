import { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import { MONTHLY_FACTORS, annualRecurringRevenue, mrrFromScaledSum } from "../../../domain/fees/index.js";
import { toApiDate } from "../../../lib/time.js";
import { type AnalyticsContext, toNumber } from "./shared.js";

/** MRR and ARR now, from the subscriptions that are active and not paused (domain/fees/metrics.ts defines the figures). */
export async function recurring(ctx: AnalyticsContext, tenant: Tenant) {
  const f = MONTHLY_FACTORS;
  const rows = await ctx.query<{ currency: string; subscriptions: bigint; scaled: string }[]>(Prisma.sql`
    SELECT currency, count(*) AS subscriptions,
           sum(price::bigint * CASE cycle
             WHEN 'hourly' THEN ${f.hourly}::bigint WHEN 'daily' THEN ${f.daily}::bigint WHEN 'weekly' THEN ${f.weekly}::bigint
             WHEN 'biweekly' THEN ${f.biweekly}::bigint WHEN 'monthly' THEN ${f.monthly}::bigint WHEN 'yearly' THEN ${f.yearly}::bigint END)::text AS scaled
    FROM subscriptions
    WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND is_active AND NOT is_paused AND ended IS NULL
    GROUP BY currency
    ORDER BY currency`);
  return {
    as_of: toApiDate(ctx.clock.now()),
    totals: rows.map((r) => {
      const mrr = mrrFromScaledSum(BigInt(String(r.scaled)));
      return { currency: r.currency, subscriptions: toNumber(r.subscriptions), mrr, arr: annualRecurringRevenue(mrr) };
    }),
  };
}
