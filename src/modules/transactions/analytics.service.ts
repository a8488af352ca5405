import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { MONTHLY_FACTORS, annualRecurringRevenue, averageCents, medianCents, mrrFromScaledSum } from "../../domain/fees/index.js";
import { NotFoundError, PermissionError, ValidationError } from "../../lib/errors.js";
import { roleAtLeast } from "../../lib/roles.js";
import type { AuthContext } from "../../plugins/auth.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { FlowQuery, Interval, PeriodQuery, TopQuery } from "./transactions.schemas.js";
import type { Tenant } from "./transactions.service.js";

/**
 * The transactions analytics. Every figure is computed by PostgreSQL — sums, counts, buckets
 * (`date_trunc` in UTC), zero-filled series (`generate_series`), the median (`percentile_cont`) —
 * over succeeded transactions only; JavaScript only rounds, with the exact helpers of
 * `domain/fees`. The queries read `transactions_flows_idx` (platform, mode, type, status, currency,
 * created, amount, buyer, seller) and `contracts_paid_totals_idx` alone (index-only scans).
 *
 * Periods are `[from, to)`; either end may be left open. Buckets start at 00:00 UTC: days, ISO
 * weeks from Monday, calendar months.
 */

/** A flow: money moving one way, less what went back. */
const FLOWS = {
  /** What buyers paid: `incoming` − `incoming:refund`. */
  spend: { pay: "incoming", refund: "incoming:refund", party: Prisma.sql`buyer_user_id` },
  /** What sellers received: `outgoing` − `outgoing:refund`. */
  revenue: { pay: "outgoing", refund: "outgoing:refund", party: Prisma.sql`seller_user_id` },
} as const;
type FlowKind = keyof typeof FLOWS;

/** About ten years of days: a series longer than this asks for a longer interval or a shorter period. */
export const MAX_BUCKETS = 3700;

const BUCKET_STEP: Readonly<Record<Interval, string>> = { day: "1 day", week: "7 days", month: "1 month" };

/** `created` (or another date column) within the period; an open end costs nothing per row. */
function within(column: Prisma.Sql, q: { from?: Date; to?: Date }): Prisma.Sql {
  return Prisma.sql`${q.from ? Prisma.sql`AND ${column} >= ${q.from}` : Prisma.empty} ${q.to ? Prisma.sql`AND ${column} < ${q.to}` : Prisma.empty}`;
}

function toNumber(value: bigint | number | null): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new RangeError(`A figure passed 2^53 cents: ${value}.`);
  return n;
}

/** A currency's totals; the one row with `series` set carries the whole series instead. */
interface FlowRow {
  currency: string | null;
  gross: bigint;
  refunded: bigint;
  count: bigint;
  refund_count: bigint;
  /** The series as JSON text, built by PostgreSQL: a day series over two years is ~2 000 points. */
  series: string | null;
  /** Buckets in the series (at most MAX_BUCKETS + 1); 0 when there are no currencies. */
  buckets: bigint | null;
  /** For a user's flow: whether the user is one of the platform's. */
  user_found: boolean | null;
}

export function createAnalyticsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;

  /** JIT is off for every connection of the app (see src/db/client.ts), which these queries need. */
  async function query<T>(sql: Prisma.Sql): Promise<T> {
    return db.$queryRaw<T>(sql);
  }

  const periodEcho = (q: PeriodQuery) => ({ from: toApiDate(q.from ?? null), to: toApiDate(q.to ?? null) });

  /**
   * The totals per currency and the zero-filled series, in one statement. The series comes back as
   * one JSON text (bench/RESULTS.md: as rows through `$queryRaw`, a two-year day series cost ~8 ms
   * of CPU per request to deserialize); its figures are parts of the totals, which are checked
   * against 2^53, so JSON numbers hold them exactly. With `userId`, the row also says whether that
   * user exists (erased users keep their money records, so they are still found).
   */
  async function flow(tenant: Tenant, kind: FlowKind, q: FlowQuery, userId?: string) {
    const { pay, refund, party } = FLOWS[kind];
    const unit = q.interval;
    const rows = await query<FlowRow[]>(Prisma.sql`
      WITH flows AS (
        SELECT date_trunc(${unit}, created AT TIME ZONE 'UTC') AS bucket, currency,
               COALESCE(sum(amount) FILTER (WHERE type = ${pay}::"TransactionType"), 0)::bigint AS gross,
               COALESCE(sum(amount) FILTER (WHERE type = ${refund}::"TransactionType"), 0)::bigint AS refunded,
               count(*) FILTER (WHERE type = ${pay}::"TransactionType") AS count,
               count(*) FILTER (WHERE type = ${refund}::"TransactionType") AS refund_count
        FROM transactions
        WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND status = 'succeeded'
          AND type IN (${pay}::"TransactionType", ${refund}::"TransactionType")
          ${within(Prisma.sql`created`, q)}
          ${userId ? Prisma.sql`AND ${party} = ${userId}` : Prisma.empty}
          ${q.currency ? Prisma.sql`AND currency = ${q.currency}` : Prisma.empty}
        GROUP BY 1, 2
      ), currencies AS (
        SELECT currency FROM flows ${q.currency ? Prisma.sql`UNION SELECT ${q.currency}::text` : Prisma.sql`GROUP BY currency`}
      ), bounds AS (
        SELECT COALESCE(${q.from ? Prisma.sql`date_trunc(${unit}, ${q.from}::timestamptz AT TIME ZONE 'UTC')` : Prisma.sql`NULL::timestamp`}, min(bucket)) AS first,
               ${
                 q.to
                   ? Prisma.sql`date_trunc(${unit}, (${q.to}::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC')`
                   : Prisma.sql`greatest(max(bucket), date_trunc(${unit}, ${clock.now()}::timestamptz AT TIME ZONE 'UTC'))`
               } AS last
        FROM flows
      ), buckets AS (
        SELECT generate_series(first, last, ${BUCKET_STEP[unit]}::interval) AS bucket FROM bounds LIMIT ${MAX_BUCKETS + 1}
      )
      SELECT NULL AS currency, 0::bigint AS gross, 0::bigint AS refunded, 0::bigint AS count, 0::bigint AS refund_count,
             (SELECT COALESCE(json_agg(json_build_object(
                        'start', to_char(b.bucket, 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), 'currency', c.currency,
                        'amount', COALESCE(f.gross, 0) - COALESCE(f.refunded, 0), 'gross', COALESCE(f.gross, 0), 'refunded', COALESCE(f.refunded, 0), 'count', COALESCE(f.count, 0))
                      ORDER BY b.bucket, c.currency), '[]')::text
              FROM buckets b CROSS JOIN currencies c LEFT JOIN flows f ON f.bucket = b.bucket AND f.currency = c.currency) AS series,
             CASE WHEN EXISTS (SELECT 1 FROM currencies) THEN (SELECT count(*) FROM buckets) ELSE 0 END AS buckets,
             ${userId ? Prisma.sql`EXISTS (SELECT 1 FROM users WHERE id = ${userId} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode")` : Prisma.sql`NULL::boolean`} AS user_found
      UNION ALL
      SELECT c.currency, COALESCE(sum(f.gross), 0)::bigint, COALESCE(sum(f.refunded), 0)::bigint, COALESCE(sum(f.count), 0)::bigint, COALESCE(sum(f.refund_count), 0)::bigint,
             NULL, NULL, NULL
      FROM currencies c LEFT JOIN flows f ON f.currency = c.currency
      GROUP BY c.currency
      ORDER BY 1 NULLS FIRST`);

    const [head, ...perCurrency] = rows;
    if (userId && !head!.user_found) throw new NotFoundError("user", userId, "user_id");
    const totals = perCurrency.map((r) => ({ currency: r.currency!, ...figures(r) }));
    if (toNumber(head!.buckets) > MAX_BUCKETS) {
      throw new ValidationError(`The period has more than ${MAX_BUCKETS} ${unit}s: choose a longer interval or a shorter period.`, "interval", "too_many_buckets");
    }
    const series = JSON.parse(head!.series!) as { start: string; currency: string; amount: number; gross: number; refunded: number; count: number }[];
    return { ...periodEcho(q), interval: unit, totals, count: totals.reduce((n, t) => n + t.count, 0), series };
  }

  function figures(r: Pick<FlowRow, "gross" | "refunded" | "count" | "refund_count">) {
    const gross = toNumber(r.gross);
    const refunded = toNumber(r.refunded);
    return { amount: gross - refunded, gross, refunded, count: toNumber(r.count), refund_count: toNumber(r.refund_count) };
  }

  async function top(tenant: Tenant & { currency: string }, kind: FlowKind, q: TopQuery) {
    const { pay, refund, party } = FLOWS[kind];
    const currency = q.currency ?? tenant.currency;
    const rows = await query<{ user_id: string; gross: bigint; refunded: bigint; count: bigint }[]>(Prisma.sql`
      SELECT ${party} AS user_id,
             COALESCE(sum(amount) FILTER (WHERE type = ${pay}::"TransactionType"), 0)::bigint AS gross,
             COALESCE(sum(amount) FILTER (WHERE type = ${refund}::"TransactionType"), 0)::bigint AS refunded,
             count(*) FILTER (WHERE type = ${pay}::"TransactionType") AS count
      FROM transactions
      WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND status = 'succeeded'
        AND type IN (${pay}::"TransactionType", ${refund}::"TransactionType") AND currency = ${currency}
        ${within(Prisma.sql`created`, q)}
      GROUP BY 1
      HAVING ${party} IS NOT NULL AND COALESCE(sum(amount) FILTER (WHERE type = ${pay}::"TransactionType"), 0) - COALESCE(sum(amount) FILTER (WHERE type = ${refund}::"TransactionType"), 0) > 0
      ORDER BY COALESCE(sum(amount) FILTER (WHERE type = ${pay}::"TransactionType"), 0) - COALESCE(sum(amount) FILTER (WHERE type = ${refund}::"TransactionType"), 0) DESC, 1
      LIMIT ${q.limit}`);
    return {
      ...periodEcho(q),
      currency,
      data: rows.map((r, i) => {
        const gross = toNumber(r.gross);
        const refunded = toNumber(r.refunded);
        return { rank: i + 1, user_id: r.user_id, amount: gross - refunded, gross, refunded, count: toNumber(r.count) };
      }),
    };
  }

  return {
    /**
     * A user's spend (as a buyer) or revenue (as a seller), per currency, with its series. Admins
     * (and keys) may read anyone's; other users only their own. Another platform's user is 404.
     */
    async userFlow(auth: Pick<AuthContext, "platformId" | "mode" | "role" | "user">, kind: FlowKind, userId: string, q: FlowQuery) {
      if (!roleAtLeast(auth.role, "admin") && auth.user?.id !== userId) {
        throw new PermissionError("Only an admin can read another user's figures: use that user's own token, an admin's, or the platform key.", "insufficient_role");
      }
      // 404 for another platform's (or no) user: flow() looks the user up in the same statement.
      return { user_id: userId, ...(await flow(auth, kind, q, userId)) };
    },

    /** Platform volume: what buyers paid, less refunds. */
    volume: (tenant: Tenant, q: FlowQuery) => flow(tenant, "spend", q),

    /** The buyers who spent (or sellers who earned) the most in one currency, net of refunds; ties by user id. */
    top,

    /**
     * Contracts paid in the period (by their `paid` date), per currency: how many, their `total`
     * summed, its average and its median.
     */
    async cartValue(tenant: Tenant, q: PeriodQuery) {
      const rows = await query<{ currency: string; count: bigint; sum: bigint; median: number }[]>(Prisma.sql`
        SELECT currency, count(*) AS count, sum(total)::bigint AS sum, percentile_cont(0.5) WITHIN GROUP (ORDER BY total) AS median
        FROM contracts
        WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND status = 'paid'
          ${within(Prisma.sql`paid`, q)}
        GROUP BY currency
        ORDER BY currency`);
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
    },

    /** MRR and ARR now, from the subscriptions that are active and not paused (domain/fees/metrics.ts defines the figures). */
    async recurring(tenant: Tenant) {
      const f = MONTHLY_FACTORS;
      const rows = await query<{ currency: string; subscriptions: bigint; scaled: string }[]>(Prisma.sql`
        SELECT currency, count(*) AS subscriptions,
               sum(price::bigint * CASE cycle
                 WHEN 'hourly' THEN ${f.hourly}::bigint WHEN 'daily' THEN ${f.daily}::bigint WHEN 'weekly' THEN ${f.weekly}::bigint
                 WHEN 'biweekly' THEN ${f.biweekly}::bigint WHEN 'monthly' THEN ${f.monthly}::bigint WHEN 'yearly' THEN ${f.yearly}::bigint END)::text AS scaled
        FROM subscriptions
        WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND is_active AND NOT is_paused AND ended IS NULL
        GROUP BY currency
        ORDER BY currency`);
      return {
        as_of: toApiDate(clock.now()),
        totals: rows.map((r) => {
          const mrr = mrrFromScaledSum(BigInt(String(r.scaled)));
          return { currency: r.currency, subscriptions: toNumber(r.subscriptions), mrr, arr: annualRecurringRevenue(mrr) };
        }),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
