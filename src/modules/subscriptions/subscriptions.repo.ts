import type { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import { periodBoundary } from "../../domain/subscriptions/periods.js";
import type { Subscription, SubscriptionCharge } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { newId } from "../../lib/ids.js";
import type { Db } from "../../db/client.js";
import { transferGroupOf, type StoredTerms, type TransferState } from "./billing/plan.js";

/**
 * The subscriptions' rows: the row locks every change takes turns on, the billed periods
 * (`subscription_charges`), and the sweep's query.
 */

/** Locks a subscription's row for the rest of the transaction; every change of it takes turns here. */
export async function lockSubscription(tx: Tx, tenant: Tenant, id: string): Promise<Subscription | null> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM subscriptions WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
  if (rows.length === 0) return null;
  return tx.subscription.findUniqueOrThrow({ where: { id } });
}

export async function lockCharge(tx: Tx, id: string): Promise<SubscriptionCharge> {
  await tx.$queryRaw`SELECT id FROM subscription_charges WHERE id = ${id} FOR UPDATE`;
  return tx.subscriptionCharge.findUniqueOrThrow({ where: { id } });
}

/** The period being billed (open): the first one while incomplete, else the one after the current period. */
export function openCharge(tx: Tx, sub: Subscription): Promise<SubscriptionCharge | null> {
  return tx.subscriptionCharge.findFirst({ where: { subscriptionId: sub.id, status: "open" }, orderBy: { period: "desc" } });
}

/** The row of a billed period, created with its sellers' payouts from the subscription's terms. */
export async function openPeriod(tx: Tx, sub: Subscription, period: number): Promise<SubscriptionCharge> {
  const start = periodBoundary(sub.startDate, sub.cycle, period);
  const terms = sub.terms as unknown as StoredTerms;
  const transfers: TransferState[] = terms.sellers.filter((s) => s.amount > 0).map((s) => ({ user_id: s.user_id, amount: s.amount, stripeTransferId: null, attempts: 0 }));
  return tx.subscriptionCharge.create({
    data: {
      id: newId("subscriptionCharge"),
      platformId: sub.platformId,
      mode: sub.mode,
      subscriptionId: sub.id,
      period,
      periodStart: start,
      periodEnd: periodBoundary(sub.startDate, sub.cycle, period + 1),
      transferGroup: transferGroupOf(sub.id, start),
      amount: sub.price,
      currency: sub.currency,
      transfers: transfers as unknown as Prisma.InputJsonValue,
    },
  });
}

/** Subscriptions with something due (a renewal, a retry, a lapsed lease) or a pause that ran out. */
export function dueSubscriptions(db: Db, now: Date, batch: number): Promise<{ id: string; platform_id: string; mode: Mode }[]> {
  return db.$queryRaw<{ id: string; platform_id: string; mode: Mode }[]>`
    (SELECT id, platform_id, mode FROM subscriptions WHERE next_attempt_at <= ${now} ORDER BY next_attempt_at LIMIT ${batch})
    UNION
    (SELECT id, platform_id, mode FROM subscriptions WHERE is_paused AND paused_until <= ${now} AND ended IS NULL ORDER BY paused_until LIMIT ${batch})`;
}

/** Whether live subscriptions bill the contract (its settlement is theirs, cycle by cycle). */
export async function hasLiveSubscriptions(client: Db | Tx, contractId: string): Promise<boolean> {
  return (await client.subscription.count({ where: { contractId, ended: null } })) > 0;
}

/** Whether the contract has subscriptions, live or ended (their terms and history point at it). */
export async function hasSubscriptions(client: Db | Tx, contractId: string): Promise<boolean> {
  return (await client.subscription.count({ where: { contractId } })) > 0;
}

/** Live subscriptions (not ended) to the contracts of this subquery (of contract ids): at most 5 ids. */
export async function liveSubscriptionsTo(tx: Tx, contractIds: Prisma.Sql): Promise<string[]> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM subscriptions WHERE ended IS NULL AND contract_id IN (${contractIds}) ORDER BY id LIMIT 5`;
  return rows.map((r) => r.id);
}
