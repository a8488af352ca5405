import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { MONTHLY_FACTORS, annualRecurringRevenue, averageCents, medianCents, mrrFromScaledSum } from "../../domain/fees/index.js";
import { NotFoundError, PermissionError, ValidationError } from "../../lib/errors.js";
import { roleAtLeast } from "../../lib/roles.js";
import type { AuthContext } from "../../plugins/auth.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { FlowQuery, Interval, PeriodQuery, TopQuery } from "./transactions.schemas.js";
import type { Tenant } from "../../db/tenant.js";
import { planPeriod, singleBlock, type Costs, type Part } from "./analytics.plan.js";

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

const DAY_MS = 86_400_000;
const EPOCH = new Date(0);
/** Rows a plan's part reads, in raw days (~300 movements of a flow on the bench): a party's month is ~15 of them. */
const USER_COSTS: Costs = { rawDay: 1, month: 15, year: 45, all: 60 };
/** A day of paid contracts (~250) is far more than a month's histogram (~200 buckets per currency). */
const VALUE_COSTS: Costs = { rawDay: 1, month: 1, year: 1.2, all: 1.5 };
const floorDay = (d: Date) => new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const ceilDay = (d: Date) => new Date(Math.ceil(d.getTime() / DAY_MS) * DAY_MS);

/** A part's sign as an SQL literal (bound parameters would need a cast in every product). */
const signed = (sign: number) => Prisma.raw(sign === 1 ? "1" : "-1");

/** A `date` column within `[from, to)` (UTC days); an open end adds nothing. */
function daysWithin(column: string, from: Date | null | undefined, to: Date | null | undefined): Prisma.Sql {
  const col = Prisma.raw(column);
  return Prisma.sql`${from ? Prisma.sql`AND ${col} >= ${isoDay(from)}::date` : Prisma.empty} ${to ? Prisma.sql`AND ${col} < ${isoDay(to)}::date` : Prisma.empty}`;
}

/** The rollup rows a block of a plan reads: its unit's periods starting within the block. */
function periodsOf(p: Part): Prisma.Sql {
  return p.unit === "all" ? Prisma.sql`unit = 'all'` : Prisma.sql`unit = ${p.unit} ${daysWithin("period_start", p.from, p.to)}`;
}

/** The days (or months) a block of a plan covers, for the deltas not yet compacted into it. */
const spanOf = (p: Part) => (p.unit === "all" ? { from: null, to: null } : p);

/**
 * A flow's succeeded movements in `[from, to)` read from `transactions` itself, one row each:
 * `at` (UTC), currency, gross, refunded, count, refund_count, and the party as `user_id`.
 */
function rawFlowRows(tenant: Tenant, kind: FlowKind, q: { from?: Date | null; to?: Date | null; currency?: string }, extra: Prisma.Sql = Prisma.empty, sign = 1): Prisma.Sql {
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
function dailyFlowRows(tenant: Tenant, kind: FlowKind, q: { from?: Date; to?: Date; currency?: string }): Prisma.Sql {
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
    const { party } = FLOWS[kind];
    const unit = q.interval;
    const rows = await query<FlowRow[]>(Prisma.sql`
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

  async function top(tenant: Tenant & { currency: string }, kind: FlowKind, q: TopQuery) {
    const currency = q.currency ?? tenant.currency;
    const scope = Prisma.sql`platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND flow = ${kind} AND currency = ${currency}`;
    const plan = planPeriod(q.from ?? null, q.to ?? null, clock.now(), USER_COSTS);
    const single = singleBlock(plan);
    const deltasIn = (p: { from: Date | null; to: Date | null }) => daysWithin("day", p.from, p.to);
    let rows: { user_id: string; gross: bigint; refunded: bigint; count: bigint }[];
    if (single) {
      // One rollup period read in its ranking index's order. Parties with anything more in the
      // block — deltas not yet compacted, or a later period of the block — may move: those are
      // added, and as many more are read from the ranking as there are of them, so the result is
      // exact (a party with nothing more keeps its rank among the others).
      const start = isoDay(single.start ?? EPOCH);
      const period = Prisma.sql`unit = ${single.unit} AND period_start = ${start}::date`;
      const later =
        single.unit === "all"
          ? Prisma.empty
          : Prisma.sql`UNION ALL SELECT user_id, gross, refunded, count FROM transaction_flow_users
              WHERE ${scope} AND unit = ${single.unit} AND period_start > ${start}::date ${single.end ? Prisma.sql`AND period_start < ${isoDay(single.end)}::date` : Prisma.empty}`;
      const span = { from: single.start, to: single.end };
      rows = await query(Prisma.sql`
        WITH pending AS (
          SELECT user_id, sum(gross) AS gross, sum(refunded) AS refunded, sum(count) AS count
          FROM (
            SELECT user_id, gross, refunded, count FROM transaction_flow_deltas WHERE ${scope} AND user_id IS NOT NULL ${deltasIn(span)}
            ${later}
          ) AS more
          GROUP BY user_id
        ), ranked AS (
          SELECT user_id, gross, refunded, count FROM transaction_flow_users
          WHERE ${scope} AND ${period} AND net > 0
          ORDER BY net DESC, user_id
          LIMIT ${q.limit} + (SELECT count(*) FROM pending)
        ), candidates AS (
          SELECT user_id, gross, refunded, count FROM ranked WHERE user_id NOT IN (SELECT user_id FROM pending)
          UNION ALL
          SELECT p.user_id, COALESCE(u.gross, 0) + p.gross, COALESCE(u.refunded, 0) + p.refunded, COALESCE(u.count, 0) + p.count
          FROM pending p
          LEFT JOIN transaction_flow_users u ON u.platform_id = ${tenant.platformId} AND u.mode = ${tenant.mode}::"Mode" AND u.flow = ${kind}
            AND u.currency = ${currency} AND u.unit = ${single.unit} AND u.period_start = ${start}::date AND u.user_id = p.user_id
        )
        SELECT user_id, gross::bigint AS gross, refunded::bigint AS refunded, count::bigint AS count
        FROM candidates
        WHERE gross - refunded > 0
        ORDER BY gross - refunded DESC, user_id
        LIMIT ${q.limit}`);
    } else {
      // Any other period: the plan's parts summed per party — every party active in the period
      // (~15 k rows for a year of buyers at a million transactions). The ranking sums one figure,
      // `net`; the full figures are then summed for the ranked parties only (index lookups): three
      // sums over every row cost half as much again.
      const parts = (only?: Prisma.Sql) =>
        Prisma.join(
          plan.map((p) => {
            if (p.unit === "raw") {
              const party = FLOWS[kind].party;
              return Prisma.sql`SELECT user_id, gross, refunded, count, gross - refunded AS net
                FROM (${rawFlowRows(tenant, kind, { ...p, currency }, only ? Prisma.sql`AND ${party} = ANY(${only})` : Prisma.empty, p.sign)}) AS raw`;
            }
            const k = signed(p.sign);
            const mine = only ? Prisma.sql`AND user_id = ANY(${only})` : Prisma.empty;
            return Prisma.sql`
              SELECT user_id, ${k} * gross AS gross, ${k} * refunded AS refunded, ${k} * count AS count, ${k} * net AS net
              FROM transaction_flow_users WHERE ${scope} AND ${periodsOf(p)} ${mine}
              UNION ALL
              SELECT user_id, ${k} * gross, ${k} * refunded, ${k} * count, ${k} * (gross - refunded)
              FROM transaction_flow_deltas WHERE ${scope} AND user_id IS NOT NULL ${deltasIn(spanOf(p))} ${mine}`;
          }),
          " UNION ALL ",
        );
      rows = await query(Prisma.sql`
        WITH ranked AS MATERIALIZED (
          SELECT user_id FROM (${parts()}) AS movements
          GROUP BY user_id
          HAVING user_id IS NOT NULL AND sum(net) > 0
          ORDER BY sum(net) DESC, user_id
          LIMIT ${q.limit}
        )
        SELECT user_id, sum(gross)::bigint AS gross, sum(refunded)::bigint AS refunded, sum(count)::bigint AS count
        FROM (${parts(Prisma.sql`(SELECT array_agg(user_id) FROM ranked)::text[]`)}) AS movements
        GROUP BY user_id
        ORDER BY sum(gross) - sum(refunded) DESC, user_id`);
    }
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
     * Moves the deltas the triggers wrote into the rollups (the `compact-analytics` job, every
     * minute); returns how many delta rows it moved. Safe to run from several nodes at once.
     */
    async compact(): Promise<number> {
      const [row] = await query<{ moved: bigint }[]>(Prisma.sql`SELECT analytics_compact() AS moved`);
      return toNumber(row!.moved);
    },

    /**
     * A user's spend (as a buyer) or revenue (as a seller), per currency, with its series. Admins
     * (and keys) may read anyone's; other users only their own. Another platform's user is 404.
     */
    async userFlow(auth: Pick<AuthContext, "platformId" | "mode" | "role" | "user">, kind: FlowKind, userId: string, q: FlowQuery) {
      if (!roleAtLeast(auth.role, "admin") && auth.user?.id !== userId) {
        throw new PermissionError("insufficient_role", "Only an admin can read another user's figures: use that user's own token, an admin's, or the platform key.");
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
      const scope = Prisma.sql`platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode"`;
      const paidIn = (p: { from?: Date | null; to?: Date | null }) => within(Prisma.sql`paid`, { from: p.from ?? undefined, to: p.to ?? undefined });
      const parts = planPeriod(q.from ?? null, q.to ?? null, clock.now(), VALUE_COSTS).map((p) => {
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
      // each middle rank; the middle values themselves are read from contracts_paid_totals_idx,
      // within that bucket only (at most a tenth of its values), in the same snapshot.
      const rows = await query<{ currency: string; count: bigint; sum: bigint; median: number }[]>(Prisma.sql`
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
