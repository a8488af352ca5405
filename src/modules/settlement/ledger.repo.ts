import type { Db } from "../../db/client.js";
import type { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { Transaction } from "../../generated/prisma/client.js";
import type { TransactionType } from "../../generated/prisma/enums.js";
import { newId } from "../../lib/ids.js";
import { recordEvents } from "../events/index.js";
import { transactionEvent } from "./ledger.js";

/**
 * What a settlement writes to the ledger: one `incoming` per charge, one `outgoing` per transfer,
 * the `fee:*` rows, and the check that its books balance.
 */

/** The fee transactions of a settlement, in the order refunds split over them (after the transfers). */
export const FEE_TYPES = ["fee_stripe", "fee_candle", "fee_platform"] as const satisfies readonly TransactionType[];
export const POOL_TYPES: readonly TransactionType[] = ["outgoing", ...FEE_TYPES];

export interface SettlementMovements extends Tenant {
  contractId: string;
  /** Set for a subscription's renewal. */
  subscriptionId?: string | null;
  currency: string;
  /**
   * Names one settlement: every charge, transfer and fee it writes carries it (also pass it to
   * Stripe as `transfer_group`). The contract's id for its settlement, and e.g.
   * `<subscription id>:<period start>` for a renewal. A refund of one of its charges reverses
   * the transfers and fees of this group.
   */
  transferGroup: string;
  /** One `incoming` per buyer charged. */
  charges?: readonly {
    buyerUserId: string;
    amount: number;
    stripeChargeId: string;
    stripePaymentIntentId: string;
    /** Default `settle:<transferGroup>:charge:<buyerUserId>`. */
    idempotencyKey?: string;
  }[];
  /** One `outgoing` per seller paid. */
  transfers?: readonly {
    sellerUserId: string;
    amount: number;
    stripeTransferId: string;
    /** Default `settle:<transferGroup>:transfer:<sellerUserId>`. */
    idempotencyKey?: string;
  }[];
  /**
   * The settlement's fees by who keeps them: what Stripe took, Candle's fee, and the platform's
   * (its `platform:base` fee plus custom fees, which the platform keeps). Zero fees write nothing.
   * Keys `settle:<transferGroup>:fee:stripe|candle|platform`.
   */
  fees?: { stripe?: number; candle?: number; platform?: number };
  description?: string;
}

/**
 * Writes a settlement's transactions (status `succeeded`) inside the caller's database
 * transaction. Settlement calls it as money moves — after each charge, after the transfers, with
 * the fees — or once with everything. Each movement has an idempotency key, so writing a
 * movement again (a retried or resumed settlement) changes nothing. When a settlement is complete,
 * Σ incoming = Σ outgoing + Σ fees for its transfer group; refunds rely on that and refuse to
 * split a refund over a group that does not balance (yet).
 *
 * Records a `transaction.created` event for each row it writes (none for a movement written
 * before), so it commits with the rows. Like `recordEvent`, call it after the settlement's other
 * writes that lock rows, so the events' locks come last in the transaction; `requestId` names the
 * request that settled, when one did.
 *
 * Returns the group's charges, transfers and fees as stored, those written by earlier calls included.
 */
export async function recordSettlementTransactions(tx: Tx, input: SettlementMovements): Promise<Transaction[]> {
  const common = {
    platformId: input.platformId,
    mode: input.mode,
    contractId: input.contractId,
    subscriptionId: input.subscriptionId ?? null,
    currency: input.currency,
    transferGroup: input.transferGroup,
    status: "succeeded" as const,
    description: input.description ?? null,
  };
  const key = (suffix: string) => `settle:${input.transferGroup}:${suffix}`;
  const rows: Prisma.TransactionCreateManyInput[] = [];
  for (const c of input.charges ?? []) {
    if (positiveCents(c.amount, "charge")) {
      rows.push({
        ...common,
        id: newId("transaction"),
        type: "incoming",
        buyerUserId: c.buyerUserId,
        amount: c.amount,
        stripeChargeId: c.stripeChargeId,
        stripePaymentIntentId: c.stripePaymentIntentId,
        idempotencyKey: c.idempotencyKey ?? key(`charge:${c.buyerUserId}`),
      });
    }
  }
  for (const t of input.transfers ?? []) {
    if (positiveCents(t.amount, "transfer")) {
      rows.push({
        ...common,
        id: newId("transaction"),
        type: "outgoing",
        sellerUserId: t.sellerUserId,
        amount: t.amount,
        stripeTransferId: t.stripeTransferId,
        idempotencyKey: t.idempotencyKey ?? key(`transfer:${t.sellerUserId}`),
      });
    }
  }
  const fees = input.fees ?? {};
  for (const [name, type] of [
    ["stripe", "fee_stripe"],
    ["candle", "fee_candle"],
    ["platform", "fee_platform"],
  ] as const) {
    const amount = fees[name] ?? 0;
    if (positiveCents(amount, `${name} fee`)) rows.push({ ...common, id: newId("transaction"), type, amount, idempotencyKey: key(`fee:${name}`) });
  }
  if (rows.length > 0) {
    const written = await tx.transaction.createManyAndReturn({ data: rows, skipDuplicates: true });
    const order = new Map(rows.map((r, i) => [r.id, i]));
    written.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    await recordEvents(
      tx,
      written.map((row) => transactionEvent("transaction.created", row, input.requestId)),
    );
  }
  return tx.transaction.findMany({
    where: { platformId: input.platformId, mode: input.mode, transferGroup: input.transferGroup, type: { in: ["incoming", ...POOL_TYPES] } },
    orderBy: [{ created: "asc" }, { id: "asc" }],
  });
}

function positiveCents(amount: number, what: string): boolean {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`A ${what} is a non-negative integer number of cents, got ${amount}.`);
  return amount > 0;
}

/**
 * The books of one settlement: Σ incoming against Σ outgoing + Σ fees, and the same for its refunds
 * and lost disputes (a `dispute` is given back like an `incoming:refund`). A disputed charge still
 * counts as incoming: its money came in. Stripe's dispute fees (`fee:dispute`) are the platform's
 * costs beside the books, answered as `disputeFees`. A dispute held from the sellers while the bank
 * decides (a `dispute` still `processing`: the platform's `disputeFunds` is `reverse`) counts as given
 * back (`held`), and a transfer made again once it was won (an `outgoing` with `refund_of`, its
 * reversal) counts against that reversal, not as a second payout.
 */
export async function settlementBooks(db: Db | Tx, tenant: Tenant, transferGroup: string) {
  const [row] = await db.$queryRaw<[{ incoming: bigint; paid_out: bigint; refunded: bigint; reversed: bigint; disputed: bigint; held: bigint; dispute_fees: bigint }]>`
    SELECT COALESCE(sum(amount) FILTER (WHERE type = 'incoming'), 0)::bigint AS incoming,
           COALESCE(sum(amount) FILTER (WHERE type IN ('outgoing', 'fee:stripe', 'fee:candle', 'fee:platform') AND refund_of_id IS NULL), 0)::bigint AS paid_out,
           COALESCE(sum(amount) FILTER (WHERE type IN ('incoming:refund', 'dispute')), 0)::bigint AS refunded,
           COALESCE(sum(amount) FILTER (WHERE type = 'dispute' AND status = 'succeeded'), 0)::bigint AS disputed,
           COALESCE(sum(amount) FILTER (WHERE type = 'dispute' AND status = 'processing'), 0)::bigint AS held,
           COALESCE(sum(amount) FILTER (WHERE type = 'fee:dispute'), 0)::bigint AS dispute_fees,
           (COALESCE(sum(amount) FILTER (WHERE type IN ('outgoing:refund', 'fee:stripe:refund', 'fee:candle:refund', 'fee:platform:refund')), 0)
             - COALESCE(sum(amount) FILTER (WHERE type = 'outgoing' AND refund_of_id IS NOT NULL), 0))::bigint AS reversed
    FROM transactions
    WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" AND transfer_group = ${transferGroup}
      AND (status = 'succeeded' OR (type = 'incoming' AND status = 'disputed') OR (type = 'dispute' AND status = 'processing'))`;
  const figures = {
    incoming: Number(row.incoming),
    paidOut: Number(row.paid_out),
    refunded: Number(row.refunded),
    reversed: Number(row.reversed),
    disputed: Number(row.disputed),
    held: Number(row.held),
    disputeFees: Number(row.dispute_fees),
  };
  return { ...figures, balanced: figures.incoming === figures.paidOut && figures.refunded === figures.reversed };
}

/**
 * The end of a settlement, in the caller's transaction: records its fees, then checks its books —
 * Σ incoming = Σ outgoing + Σ fees, and incoming = what it was to charge. Books that do not add up
 * throw (the caller's transaction rolls back, the settlement stays unfinished for a person to look at).
 */
export async function closeBooks(tx: Tx, input: SettlementMovements & { fees: NonNullable<SettlementMovements["fees"]>; expectedIncoming: number }): Promise<void> {
  const { expectedIncoming, ...movements } = input;
  await recordSettlementTransactions(tx, movements);
  const books = await settlementBooks(tx, input, input.transferGroup);
  if (!books.balanced || books.incoming !== expectedIncoming) {
    throw new Error(`the books of ${input.transferGroup} do not balance: incoming ${books.incoming}, paid out ${books.paidOut}, to charge ${expectedIncoming}`);
  }
}

/** One transaction of the tenant, or null: the ledger's read side (the transactions module) reads through here. */
export function findTransaction(db: Db, tenant: Tenant, id: string): Promise<Transaction | null> {
  return db.transaction.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
}

/** A page of the ledger and how many rows match (`where` is the caller's filter, scoped to the tenant here). */
export async function pageTransactions(
  db: Db,
  tenant: Tenant,
  where: Prisma.TransactionWhereInput,
  orderBy: Prisma.TransactionOrderByWithRelationInput[],
  window: { skip: number; take: number },
): Promise<{ total: number; data: Transaction[] }> {
  const scoped = { ...where, platformId: tenant.platformId, mode: tenant.mode };
  const [total, data] = await Promise.all([db.transaction.count({ where: scoped }), db.transaction.findMany({ where: scoped, orderBy, ...window })]);
  return { total, data };
}

/** Per currency, the count and sums of the transactions `where` matches (list metadata). */
export async function transactionTotals(db: Db, tenant: Tenant, where: Prisma.TransactionWhereInput) {
  return db.transaction.groupBy({
    by: ["currency"],
    where: { ...where, platformId: tenant.platformId, mode: tenant.mode },
    _count: { _all: true },
    _sum: { amount: true, amountRefunded: true },
  });
}

/** Transfers to a seller written down and not finished (queued, on their way, or of unknown outcome): at most 5 ids. */
export async function pendingPayoutsTo(tx: Tx, tenant: Tenant, userId: string): Promise<string[]> {
  const rows = await tx.transaction.findMany({
    where: { platformId: tenant.platformId, mode: tenant.mode, sellerUserId: userId, type: "outgoing", status: { in: ["queued", "ready", "processing", "unknown"] } },
    select: { id: true },
    orderBy: { id: "asc" },
    take: 5,
  });
  return rows.map((r) => r.id);
}

/** A seller's side of the ledger over a period, oldest first: the transfers of their shares and their reversals (a statement's lines). */
export async function sellerMovements(client: Db | Prisma.TransactionClient, tenant: Tenant, sellerUserId: string, from: Date, to: Date) {
  return client.transaction.findMany({
    where: {
      platformId: tenant.platformId,
      mode: tenant.mode,
      sellerUserId,
      type: { in: ["outgoing", "outgoing_refund"] },
      status: { in: ["succeeded", "disputed"] },
      created: { gte: from, lt: to },
    },
    orderBy: [{ created: "asc" }, { id: "asc" }],
  });
}

/** What an `outgoing` transfer became on the seller's Connect account (read from the gateway once, then kept on its row). */
export interface TransferArrivalRecord {
  convertedAmount: number;
  convertedCurrency: string;
  /** Stripe's `exchange_rate`; null when no conversion happened. */
  exchangeRate: string | null;
}

/** Keeps a transfer's arrival on its `outgoing` row (for statements); a row that has one keeps it. */
export async function recordTransferArrival(client: Db | Prisma.TransactionClient, tenant: Tenant, transactionId: string, arrival: TransferArrivalRecord): Promise<void> {
  await client.transaction.updateMany({
    where: { id: transactionId, platformId: tenant.platformId, mode: tenant.mode, type: "outgoing", convertedCurrency: null },
    data: { convertedAmount: arrival.convertedAmount, convertedCurrency: arrival.convertedCurrency, exchangeRate: arrival.exchangeRate },
  });
}

/** The transfers (`outgoing` rows) with these ids: a statement's reversals convert at their transfer's rate. */
export async function transfersById(client: Db | Prisma.TransactionClient, tenant: Tenant, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return client.transaction.findMany({ where: { id: { in: [...ids] }, platformId: tenant.platformId, mode: tenant.mode, type: "outgoing" } });
}
