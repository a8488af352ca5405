import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import type { Tenant } from "../../db/tenant.js";
import type { Clock } from "../../lib/time.js";
import { cartValue } from "./analytics/cart-value.js";
import { flow, userFlow } from "./analytics/flow.js";
import { recurring } from "./analytics/recurring.js";
import { type AnalyticsContext, toNumber } from "./analytics/shared.js";
import { top } from "./analytics/top.js";
import type { FlowQuery } from "./transactions.schemas.js";

export { MAX_BUCKETS } from "./analytics/flow.js";

/**
 * The transactions analytics. Every figure is computed by PostgreSQL — sums, counts, buckets
 * (`date_trunc` in UTC), zero-filled series (`generate_series`), the median — over succeeded
 * transactions only; JavaScript only rounds, with the exact helpers of `domain/fees`.
 *
 * A user's revenue and spend read that user's rows. The platform-wide figures (volume, rankings,
 * cart value) read the rollups the triggers keep (schema.prisma, "analytics rollups") plus the
 * deltas not yet compacted, and `transactions`/`contracts` for what is not a whole day (volume) or
 * a whole month (the others), as `analytics.plan.ts` splits the period — so they read hundreds or
 * thousands of rows where the period holds hundreds of thousands, and stay exact.
 *
 * Periods are `[from, to)`; either end may be left open. Buckets start at 00:00 UTC: days, ISO
 * weeks from Monday, calendar months.
 *
 * One query family a file, under analytics/: `sql.ts` (the flows and periods as SQL), `flow.ts`
 * (a user's spend or revenue, the volume), `top.ts` (rankings), `cart-value.ts`, `recurring.ts`.
 */
export function createAnalyticsService(deps: { db: Db; clock: Clock }) {
  const ctx: AnalyticsContext = { clock: deps.clock, query: (sql) => deps.db.$queryRaw(sql) };
  // Each query, bound to its context (its own file says what it answers).
  return {
    /**
     * Moves the deltas the triggers wrote into the rollups (the `compact-analytics` job, every
     * minute); returns how many delta rows it moved. Safe to run from several nodes at once.
     */
    async compact(): Promise<number> {
      const [row] = await ctx.query<{ moved: bigint }[]>(Prisma.sql`SELECT analytics_compact() AS moved`);
      return toNumber(row!.moved);
    },

    userFlow: (...args: Rest<typeof userFlow>) => userFlow(ctx, ...args),

    /** Platform volume: what buyers paid, less refunds. */
    volume: (tenant: Tenant, q: FlowQuery) => flow(ctx, tenant, "spend", q),

    top: (...args: Rest<typeof top>) => top(ctx, ...args),

    cartValue: (...args: Rest<typeof cartValue>) => cartValue(ctx, ...args),

    recurring: (tenant: Tenant) => recurring(ctx, tenant),
  };
}

/** A query's parameters after its context. */
type Rest<F> = F extends (ctx: AnalyticsContext, ...rest: infer A) => unknown ? A : never;

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
