import type { PaymentsGateway } from "../../adapters/payments/gateway.js";
import type { Db } from "../../db/client.js";
import type { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import { allocateRefund, refundableAmount } from "../../domain/fees/index.js";
import type { Transaction } from "../../generated/prisma/client.js";
import type { TransactionStatus, TransactionType } from "../../generated/prisma/enums.js";
import { ConflictError, NotFoundError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import type { Clock } from "../../lib/time.js";
import { enqueue } from "../../jobs/queue.js";
import { recordEvents, type RecordEventInput } from "../events/index.js";
import { API_TYPE, transactionEvent } from "./ledger.js";
import { POOL_TYPES } from "./ledger.repo.js";
import { isDefinitive } from "./payment-failures.js";

/**
 * Refunds: a charge given back to its buyer, its settlement's transfers reversed and fees given
 * back in proportion — money moving back, under the same rules as a settlement (`engine.ts`):
 * steps safe to repeat, idempotency keys of our own ids, no database transaction open during a
 * gateway call, and `isDefinitive` deciding when a failure is final.
 */

export interface RefundInput {
  /** Cents; default all that is left to refund. */
  amount?: number;
  description?: string | null;
}

/** When a refund's gateway calls did not finish in the request, the job finishes them this much later. */
export const REFUND_RESUME_DELAY_MS = 60_000;

const REFUND_OF: Readonly<Record<string, TransactionType>> = {
  outgoing: "outgoing_refund",
  fee_candle: "fee_candle_refund",
  fee_platform: "fee_platform_refund",
  // Stripe keeps its fee when a charge is refunded: the platform gives that share back instead.
  fee_stripe: "fee_platform_refund",
};

const STRIPE_FEE_ABSORBED = "Stripe keeps its fee on a refunded charge: the platform absorbs this share of it.";

export interface RefundOutcome {
  transaction: Transaction;
  refunds: Transaction[];
  /** False while a gateway call is still to be made (a job finishes it). */
  complete: boolean;
  /** Why it is not complete: the gateway failure that may pass. */
  pendingError?: unknown;
}

export function createRefunds(deps: { db: Db; payments: Pick<PaymentsGateway, "createRefund" | "createTransferReversal">; clock: Clock }) {
  const { db, payments, clock } = deps;

  async function retrieve(tenant: Tenant, id: string): Promise<Transaction> {
    const found = await db.transaction.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
    if (!found) throw new NotFoundError("transaction", id, "id");
    return found;
  }

  /** The refund's rows: its `incoming:refund` first, then the reversals and fee refunds in the order they were split. */
  async function refundRows(client: Db | Tx, refundId: string): Promise<Transaction[]> {
    const head = await client.transaction.findUniqueOrThrow({ where: { id: refundId } });
    const rest = await client.transaction.findMany({
      where: { platformId: head.platformId, transferGroup: head.transferGroup, contractId: head.contractId, idempotencyKey: { startsWith: `refund:${refundId}:` } },
      orderBy: { idempotencyKey: "asc" },
    });
    return [head, ...rest];
  }

  /**
   * Step 1, in one database transaction: checks the charge, splits the amount over its
   * settlement's transfers and fees, writes the `:refund` transactions as `processing` and counts
   * them in `amountRefunded` at once — under row locks on the charge and on its settlement's
   * transactions, so concurrent refunds queue and can never pass the amount captured. A job is
   * queued to finish the refund should this process stop before step 2 does. Events: a
   * `transaction.created` per row written, then a `transaction.updated` for the charge and for
   * each transfer or fee whose `amountRefunded` grew.
   */
  async function reserveRefund(tenant: Tenant, id: string, input: RefundInput): Promise<string> {
    return db.$transaction(async (tx) => {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM transactions WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
      if (locked.length === 0) throw new NotFoundError("transaction", id, "id");
      const charge = await tx.transaction.findUniqueOrThrow({ where: { id } });
      if (charge.type !== "incoming") {
        throw new ConflictError("transaction_not_refundable", `Only incoming transactions (charges) can be refunded; ${id} is ${API_TYPE[charge.type]}.`, "id");
      }
      if (charge.status !== "succeeded") {
        throw new ConflictError("transaction_not_refundable", `Only a succeeded charge can be refunded; ${id} is ${charge.status}.`, "id");
      }
      if (!charge.stripePaymentIntentId || (!charge.transferGroup && !charge.contractId)) {
        throw new ConflictError("transaction_not_refundable", `${id} was not recorded by a settlement (no payment intent or settlement to reverse).`, "id");
      }

      const refundable = refundableAmount(charge.amount, charge.amountRefunded);
      const amount = input.amount ?? refundable;
      if (refundable === 0) {
        throw new UnprocessableError(
          "charge_already_refunded",
          `${id} is refunded in full already: ${charge.amountRefunded} of ${charge.amount} ${charge.currency} cents.`,
          "amount",
          {
            amount_captured: charge.amount,
            amount_refunded: charge.amountRefunded,
            amount_refundable: 0,
          },
        );
      }
      if (amount > refundable) {
        throw new UnprocessableError(
          "amount_too_large",
          `Refund amount (${amount}) is greater than what is left to refund of ${id}: ${refundable} of the ${charge.amount} captured (${charge.amountRefunded} refunded already), in ${charge.currency} cents.`,
          "amount",
          { amount_requested: amount, amount_captured: charge.amount, amount_refunded: charge.amountRefunded, amount_refundable: refundable },
        );
      }

      // The settlement's transfers and fees, locked in id order (as every refund locks them).
      const group = { platformId: tenant.platformId, mode: tenant.mode, transferGroup: charge.transferGroup, contractId: charge.contractId };
      const poolIds = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM transactions
        WHERE platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode"
          AND transfer_group IS NOT DISTINCT FROM ${charge.transferGroup} AND contract_id IS NOT DISTINCT FROM ${charge.contractId}
          AND type IN ('outgoing', 'fee:stripe', 'fee:candle', 'fee:platform') AND status = 'succeeded'
        ORDER BY id FOR UPDATE`;
      const unordered = await tx.transaction.findMany({ where: { id: { in: poolIds.map((r) => r.id) } } });
      const pool = unordered.sort((a, b) => POOL_TYPES.indexOf(a.type) - POOL_TYPES.indexOf(b.type) || a.created.getTime() - b.created.getTime() || (a.id < b.id ? -1 : 1));
      const charged = await tx.transaction.aggregate({ where: { ...group, type: "incoming", status: "succeeded" }, _sum: { amount: true } });
      const paidOut = pool.reduce((sum, t) => sum + t.amount, 0);
      if (paidOut !== (charged._sum.amount ?? 0) || pool.some((t) => t.type === "outgoing" && !t.stripeTransferId)) {
        throw new ConflictError(
          "settlement_incomplete",
          `The settlement of ${id} is not complete: its transfers and fees come to ${paidOut} of the ${charged._sum.amount ?? 0} charged. Refund it once the settlement is paid.`,
          "id",
        );
      }

      const shares = allocateRefund(
        amount,
        pool.map((t) => t.amount - t.amountRefunded),
      );
      const refundId = newId("transaction");
      const base = {
        platformId: tenant.platformId,
        mode: tenant.mode,
        contractId: charge.contractId,
        subscriptionId: charge.subscriptionId,
        transferGroup: charge.transferGroup,
        currency: charge.currency,
        status: "processing" as const,
      };
      const rows: Prisma.TransactionCreateManyInput[] = [
        {
          ...base,
          id: refundId,
          type: "incoming_refund",
          buyerUserId: charge.buyerUserId,
          amount,
          stripeChargeId: charge.stripeChargeId,
          stripePaymentIntentId: charge.stripePaymentIntentId,
          refundOfId: charge.id,
          description: input.description ?? null,
          idempotencyKey: `refund:${refundId}`,
        },
      ];
      pool.forEach((t, i) => {
        const share = shares[i]!;
        if (share === 0) return;
        rows.push({
          ...base,
          id: newId("transaction"),
          type: REFUND_OF[t.type]!,
          sellerUserId: t.sellerUserId,
          amount: share,
          stripeTransferId: t.stripeTransferId,
          refundOfId: t.id,
          description: t.type === "fee_stripe" ? STRIPE_FEE_ABSORBED : null,
          // Zero-padded position: the refund's rows read back in the order they were split.
          idempotencyKey: `refund:${refundId}:${String(i).padStart(4, "0")}:${t.id}`,
        });
      });
      const written = await tx.transaction.createManyAndReturn({ data: rows });
      const order = new Map(rows.map((r, i) => [r.id, i]));
      written.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      const refunded = [await tx.transaction.update({ where: { id: charge.id }, data: { amountRefunded: { increment: amount } } })];
      for (const [i, t] of pool.entries()) {
        if (shares[i]! > 0) refunded.push(await tx.transaction.update({ where: { id: t.id }, data: { amountRefunded: { increment: shares[i]! } } }));
      }
      await enqueue(tx, "complete-refund", { refundId }, { runAt: new Date(clock.now().getTime() + REFUND_RESUME_DELAY_MS), jobKey: `complete-refund:${refundId}` });
      await recordEvents(tx, [
        ...written.map((row) => transactionEvent("transaction.created", row, tenant.requestId)),
        ...refunded.map((row) => transactionEvent("transaction.updated", row, tenant.requestId)),
      ]);
      return refundId;
    });
  }

  /**
   * Marks a processing row as it ended; a row another attempt already settled is left alone (false).
   * Adds its `transaction.updated` to `events`.
   */
  async function settle(
    tx: Tx,
    events: RecordEventInput[],
    requestId: string | null | undefined,
    id: string,
    status: TransactionStatus,
    data: Prisma.TransactionUpdateManyMutationInput = {},
  ): Promise<boolean> {
    const [row] = await tx.transaction.updateManyAndReturn({ where: { id, status: "processing" }, data: { ...data, status } });
    if (row) events.push(transactionEvent("transaction.updated", row, requestId));
    return row !== undefined;
  }

  /** One database transaction of step 2: `work` adds the events of its changes, recorded last. */
  function step<T>(work: (tx: Tx, events: RecordEventInput[]) => Promise<T>): Promise<T> {
    return db.$transaction(async (tx) => {
      const events: RecordEventInput[] = [];
      const result = await work(tx, events);
      await recordEvents(tx, events);
      return result;
    });
  }

  /**
   * Fails processing rows and gives their amounts back to what they were refunding, so that can be
   * refunded again. The charge first, then the settlement's rows in id order: the order
   * `reserveRefund` locks them in, so the two cannot deadlock.
   */
  async function failRows(
    tx: Tx,
    events: RecordEventInput[],
    requestId: string | null | undefined,
    rows: readonly Transaction[],
    data: Prisma.TransactionUpdateManyMutationInput = {},
  ): Promise<void> {
    const failed: Transaction[] = [];
    for (const row of rows) if (await settle(tx, events, requestId, row.id, "failed", row.type === "incoming_refund" ? data : {})) failed.push(row);
    const order = (t: Transaction) => (t.type === "incoming_refund" ? "" : t.refundOfId!);
    for (const row of failed.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0))) {
      const released = await tx.transaction.update({ where: { id: row.refundOfId! }, data: { amountRefunded: { decrement: row.amount } } });
      events.push(transactionEvent("transaction.updated", released, requestId));
    }
  }

  /**
   * Step 2, the gateway, with idempotency keys made of our own ids (`refund:<id>`,
   * `reversal:<id>`), so running it again — the request, then the job, or the job twice — never
   * refunds or reverses twice. The buyer is refunded first; until that succeeds nothing else
   * moves. A refusal of the refund fails the whole refund and releases its amounts; a refused
   * reversal leaves that seller's share with the platform (a `fee:platform:refund` says so, and
   * the books stay balanced). Failures that may pass (Stripe unreachable, timeouts) leave the rows
   * `processing` and are thrown: the job retries with the same keys.
   *
   * Each row that settles gets a `transaction.updated` (and each amount given back to what it was
   * refunding, another); an absorbed share's `fee:platform:refund` a `transaction.created`.
   */
  async function completeRefund(refundId: string, requestId?: string | null): Promise<void> {
    const [head, ...rest] = await refundRows(db, refundId);
    if (!head) return;
    if (head.status === "processing") {
      let outcome: Awaited<ReturnType<typeof payments.createRefund>>;
      try {
        outcome = await payments.createRefund({
          paymentIntentId: head.stripePaymentIntentId!,
          amount: head.amount,
          metadata: { platform_id: head.platformId, transaction_id: head.refundOfId!, refund_transaction_id: head.id },
          idempotencyKey: `refund:${head.id}`,
        });
      } catch (err) {
        if (isDefinitive(err)) await step((tx, events) => failRows(tx, events, requestId, [head, ...rest], { description: failureNote(head.description, err) }));
        throw err;
      }
      if (outcome.status === "failed" || outcome.status === "canceled") {
        await step((tx, events) => failRows(tx, events, requestId, [head, ...rest], { stripeRefundId: outcome.id }));
        throw new ConflictError("refund_failed", `The payment processor did not refund the charge (refund ${outcome.id} is ${outcome.status}).`, "id");
      }
      await step(async (tx, events) => {
        if (!(await settle(tx, events, requestId, head.id, "succeeded", { stripeRefundId: outcome.id }))) return;
        // Fees are our own books: they are given back as soon as the buyer has the money.
        for (const row of rest) if (row.type !== "outgoing_refund") await settle(tx, events, requestId, row.id, "succeeded");
      });
    } else if (head.status !== "succeeded") {
      return;
    }

    let pending: unknown;
    for (const row of rest) {
      if (row.type !== "outgoing_refund" || row.status !== "processing") continue;
      try {
        const reversal = await payments.createTransferReversal({ transferId: row.stripeTransferId!, amount: row.amount, idempotencyKey: `reversal:${row.id}` });
        await step((tx, events) => settle(tx, events, requestId, row.id, "succeeded", { stripeRefundId: reversal.id }));
      } catch (err) {
        if (!isDefinitive(err)) {
          pending ??= err;
          continue;
        }
        await step(async (tx, events) => {
          if (!(await settle(tx, events, requestId, row.id, "failed", { description: failureNote(row.description, err) }))) return;
          // The seller keeps the share; the platform gives it back instead, so refundOf's amountRefunded stays.
          const absorbed = await tx.transaction.create({
            data: {
              id: newId("transaction"),
              platformId: row.platformId,
              mode: row.mode,
              contractId: row.contractId,
              subscriptionId: row.subscriptionId,
              transferGroup: row.transferGroup,
              currency: row.currency,
              type: "fee_platform_refund",
              status: "succeeded",
              amount: row.amount,
              refundOfId: row.refundOfId,
              description: `The seller's transfer could not be reversed (${(err as Error).message}): the platform absorbs this share.`,
              idempotencyKey: `${row.idempotencyKey}:absorbed`,
            },
          });
          events.push(transactionEvent("transaction.created", absorbed, requestId));
        });
      }
    }
    if (pending) throw pending;
  }

  return {
    /**
     * Refunds an `incoming` transaction (default: all of it that is left) and reverses its
     * settlement in proportion. Answers the charge and the refund's transactions; `complete` is
     * false when the gateway could not be reached and a job will finish the refund.
     */
    async refund(tenant: Tenant, id: string, input: RefundInput): Promise<RefundOutcome> {
      const refundId = await reserveRefund(tenant, id, input);
      let pendingError: unknown;
      try {
        await completeRefund(refundId, tenant.requestId);
      } catch (err) {
        // Answering 5xx now would invite a retry, and a second refund: the job finishes this one.
        if (isDefinitive(err)) throw err;
        pendingError = err;
      }
      const [transaction, refunds] = await Promise.all([retrieve(tenant, id), refundRows(db, refundId)]);
      return { transaction, refunds, complete: refunds.every((r) => r.status !== "processing"), pendingError };
    },

    /** The `complete-refund` job: finishes a refund left processing; a refusal has been recorded, so it is not retried. */
    async resumeRefund(refundId: string): Promise<void> {
      try {
        await completeRefund(refundId);
      } catch (err) {
        if (!isDefinitive(err)) throw err;
      }
    },
  };
}

function failureNote(description: string | null, err: unknown): string {
  const note = `Failed: ${(err as Error).message}`;
  return description ? `${description} — ${note}` : note;
}

export type Refunds = ReturnType<typeof createRefunds>;
