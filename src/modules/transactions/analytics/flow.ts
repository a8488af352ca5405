import { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import { NotFoundError, PermissionError, ValidationError } from "../../../lib/errors.js";
import { roleAtLeast } from "../../../lib/roles.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { FlowQuery, Interval } from "../transactions.schemas.js";
import { type AnalyticsContext, periodEcho, toNumber } from "./shared.js";
import { dailyFlowRows, FLOWS, type FlowKind, rawFlowRows } from "./sql.js";

/** Flows over time: a user's spend or revenue, the platform's volume — totals per currency and a zero-filled series. */

/** About ten years of days: a series longer than this asks for a longer interval or a shorter period. */
export const MAX_BUCKETS = 3700;

const BUCKET_STEP: Readonly<Record<Interval, string>> = { day: "1 day", week: "7 days", month: "1 month" };

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

/**
 * The totals per currency and the zero-filled series, in one statement. The series comes back as
 * one JSON text (bench/RESULTS.md: as rows through `$queryRaw`, a two-year day series cost ~8 ms
 * of CPU per request to deserialize); its figures are parts of the totals, which are checked
 * against 2^53, so JSON numbers hold them exactly. With `userId`, the row also says whether that
 * user exists (erased users keep their money records, so they are still found).
 */
export async function flow(ctx: AnalyticsContext, tenant: Tenant, kind: FlowKind, q: FlowQuery, userId?: string) {
  const { party } = FLOWS[kind];
  const unit = q.interval;
  const rows = await ctx.query<FlowRow[]>(Prisma.sql`
    WITH flows AS (
      SELECT date_trunc(${unit}, at) AS bucket, currency,
             sum(gross)::bigint AS gross, sum(refunded)::bigint AS refunded, sum(count)::bigint AS count, sum(refund_count)::bigint AS refund_count
      FROM (${userId ? rawFlowRows(tenant, kind, q, Prisma.sql`AND ${party} = ${userId}`) : dailyFlowRows(tenant, kind, q)}) AS movements
      GROUP BY 1, 2
      HAVING sum(count) <> 0 OR sum(refund_count) <> 0
    ), currencies AS (
      SELECT currency FROM flows ${q.currency ? Prisma.sql`UNION SELECT ${q.currency}::text` : Prisma.sql`GROUP BY currency`}
    ), bounds AS (
      SELECT COALESCE(${q.from ? Prisma.sql`date_trunc(${unit}, ${q.from}::timestamptz AT TIME ZONE 'UTC')` : Prisma.sql`NULL::timestamp`}, min(bucket)) AS first,
             ${
               q.to
                 ? Prisma.sql`date_trunc(${unit}, (${q.to}::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC')`
                 : Prisma.sql`greatest(max(bucket), date_trunc(${unit}, ${ctx.clock.now()}::timestamptz AT TIME ZONE 'UTC'))`
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
    throw new ValidationError("too_many_buckets", `The period has more than ${MAX_BUCKETS} ${unit}s: choose a longer interval or a shorter period.`, "interval");
  }
  const series = JSON.parse(head!.series!) as { start: string; currency: string; amount: number; gross: number; refunded: number; count: number }[];
  return { ...periodEcho(q), interval: unit, totals, count: totals.reduce((n, t) => n + t.count, 0), series };
}

function figures(r: Pick<FlowRow, "gross" | "refunded" | "count" | "refund_count">) {
  const gross = toNumber(r.gross);
  const refunded = toNumber(r.refunded);
  return { amount: gross - refunded, gross, refunded, count: toNumber(r.count), refund_count: toNumber(r.refund_count) };
}

/**
 * A user's spend (as a buyer) or revenue (as a seller), per currency, with its series. Admins
 * (and keys) may read anyone's; other users only their own. Another platform's user is 404.
 */
export async function userFlow(ctx: AnalyticsContext, auth: Pick<AuthContext, "platformId" | "mode" | "role" | "user">, kind: FlowKind, userId: string, q: FlowQuery) {
  if (!roleAtLeast(auth.role, "admin") && auth.user?.id !== userId) {
    throw new PermissionError("insufficient_role", "Only an admin can read another user's figures: use that user's own token, an admin's, or the platform key.");
  }
  // 404 for another platform's (or no) user: flow() looks the user up in the same statement.
  return { user_id: userId, ...(await flow(ctx, auth, kind, q, userId)) };
}
