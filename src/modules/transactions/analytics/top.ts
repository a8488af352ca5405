import { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import { planPeriod, singleBlock, type Costs, type Part } from "../analytics.plan.js";
import type { TopQuery } from "../transactions.schemas.js";
import { type AnalyticsContext, periodEcho, toNumber } from "./shared.js";
import { daysWithin, EPOCH, FLOWS, type FlowKind, isoDay, periodsOf, rawFlowRows, signed, spanOf } from "./sql.js";

/** Rows a plan's part reads, in raw days (~300 movements of a flow on the bench): a party's month is ~15 of them. */
const USER_COSTS: Costs = { rawDay: 1, month: 15, year: 45, all: 60 };

/** The buyers who spent (or sellers who earned) the most in one currency, net of refunds; ties by user id. */
export async function top(ctx: AnalyticsContext, tenant: Tenant & { currency: string }, kind: FlowKind, q: TopQuery) {
  const currency = q.currency ?? tenant.currency;
  const scope = Prisma.sql`platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND flow = ${kind} AND currency = ${currency}`;
  const plan = planPeriod(q.from ?? null, q.to ?? null, ctx.clock.now(), USER_COSTS);
  const single = singleBlock(plan);
  const ranking: Ranking = { tenant, kind, currency, limit: q.limit, scope };
  const rows = single ? await rankOnePeriod(ctx, ranking, single) : await rankOverPlan(ctx, ranking, plan);
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

/** A ranking asked for: whose flow, in which currency, how many; `scope` is its rollups' rows. */
interface Ranking {
  tenant: Tenant;
  kind: FlowKind;
  currency: string;
  limit: number;
  scope: Prisma.Sql;
}

type Ranked = { user_id: string; gross: bigint; refunded: bigint; count: bigint };
type Block = NonNullable<ReturnType<typeof singleBlock>>;

const deltasIn = (p: { from: Date | null; to: Date | null }) => daysWithin("day", p.from, p.to);

async function rankOnePeriod(ctx: AnalyticsContext, { tenant, kind, currency, limit, scope }: Ranking, single: Block): Promise<Ranked[]> {
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
  return ctx.query<Ranked[]>(Prisma.sql`
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
      LIMIT ${limit} + (SELECT count(*) FROM pending)
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
    LIMIT ${limit}`);
}

async function rankOverPlan(ctx: AnalyticsContext, { tenant, kind, currency, limit, scope }: Ranking, plan: Part[]): Promise<Ranked[]> {
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
  return ctx.query<Ranked[]>(Prisma.sql`
    WITH ranked AS MATERIALIZED (
      SELECT user_id FROM (${parts()}) AS movements
      GROUP BY user_id
      HAVING user_id IS NOT NULL AND sum(net) > 0
      ORDER BY sum(net) DESC, user_id
      LIMIT ${limit}
    )
    SELECT user_id, sum(gross)::bigint AS gross, sum(refunded)::bigint AS refunded, sum(count)::bigint AS count
    FROM (${parts(Prisma.sql`(SELECT array_agg(user_id) FROM ranked)::text[]`)}) AS movements
    GROUP BY user_id
    ORDER BY sum(gross) - sum(refunded) DESC, user_id`);
}
