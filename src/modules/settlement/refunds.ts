import type { Transaction } from "../../generated/prisma/client.js";
import type { Tenant } from "../../db/tenant.js";
import { isDefinitive } from "./payment-failures.js";
import { completeRefund } from "./refunds/complete.js";
import { reserveRefund } from "./refunds/reserve.js";
import { refundRows, retrieve, type RefundInput, type RefundsContext } from "./refunds/shared.js";
import { onRefundOutcome } from "./refunds/webhook.js";
import { onDispute } from "./refunds/dispute.js";
import type { Dispute, Metadata, Refund } from "../../adapters/payments/gateway.js";
import type { Tx } from "../../db/tenant.js";

export { REFUND_RESUME_DELAY_MS, type RefundInput } from "./refunds/shared.js";

/**
 * Refunds: a charge given back to its buyer, its settlement's transfers reversed and fees given
 * back in proportion — money moving back, under the same rules as a settlement (`engine.ts`):
 * steps safe to repeat, idempotency keys of our own ids, no database transaction open during a
 * gateway call, and `isDefinitive` deciding when a failure is final.
 *
 * One operation a file, under refunds/: `plan.ts` (the checks and the split, no database),
 * `reserve.ts` (step 1: the rows written under locks), `complete.ts` (step 2: the buyer's refund
 * at the gateway), `reverse.ts` (then the sellers' transfers), `outcomes.ts` (how the rows end),
 * `webhook.ts` (a refund Stripe answered `pending`, ended by its webhook), `dispute.ts` (a dispute
 * lost is reversed like a refund Stripe made for us).
 */

export interface RefundOutcome {
  transaction: Transaction;
  refunds: Transaction[];
  /** False while a gateway call is still to be made (a job finishes it). */
  complete: boolean;
  /** Why it is not complete: the gateway failure that may pass. */
  pendingError?: unknown;
}

export function createRefunds(deps: RefundsContext) {
  const ctx: RefundsContext = { db: deps.db, payments: deps.payments, clock: deps.clock };
  return {
    /**
     * Refunds an `incoming` transaction (default: all of it that is left) and reverses its
     * settlement in proportion. Answers the charge and the refund's transactions; `complete` is
     * false when the gateway could not be reached and a job will finish the refund.
     */
    async refund(tenant: Tenant, id: string, input: RefundInput): Promise<RefundOutcome> {
      const refundId = await reserveRefund(ctx, tenant, id, input);
      let pendingError: unknown;
      try {
        await completeRefund(ctx, refundId, tenant.requestId);
      } catch (err) {
        // Answering 5xx now would invite a retry, and a second refund: the job finishes this one.
        if (isDefinitive(err)) throw err;
        pendingError = err;
      }
      const [transaction, refunds] = await Promise.all([retrieve(ctx.db, tenant, id), refundRows(ctx.db, refundId)]);
      return { transaction, refunds, complete: refunds.every((r) => r.status !== "processing"), pendingError };
    },

    /** The `complete-refund` job: finishes a refund left processing; a refusal has been recorded, so it is not retried. */
    async resumeRefund(refundId: string): Promise<void> {
      try {
        await completeRefund(ctx, refundId);
      } catch (err) {
        if (!isDefinitive(err)) throw err;
      }
    },

    /** Stripe's refund webhooks (a `pending` refund that ended), inside the webhook's transaction; answers what to run after it commits. */
    onRefundOutcome: (refund: Refund, tx: Tx) => onRefundOutcome(ctx, refund, tx),

    /** Stripe's dispute webhooks, inside the webhook's transaction (`refunds/dispute.ts`); answers what to run after it commits. */
    onDispute: (dispute: Dispute, intentMetadata: Metadata | null, tx: Tx) => onDispute(ctx, dispute, intentMetadata, tx),
  };
}

export type Refunds = ReturnType<typeof createRefunds>;
