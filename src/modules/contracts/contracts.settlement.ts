import type { FastifyBaseLogger } from "fastify";
import type { Dispute, Metadata, PaymentsGateway } from "../../adapters/payments/gateway.js";
import type { Db } from "../../db/client.js";
import type { Tx } from "../../db/tenant.js";
import type { PaymentIntentOutcome } from "../../generated/prisma/client.js";
import { AppError } from "../../lib/errors.js";
import type { LeaseHolder } from "../../lib/lease-holder.js";
import type { Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { BaseRates } from "../settlement/index.js";
import { onPaymentOutcome } from "./settle/payment-outcome.js";
import { onDispute } from "./settle/dispute.js";
import { onOrderRefundOutcome } from "./settle/refund-outcome.js";
import type { SettleContext, SettleContractJob, SettlementResult } from "./settle/plan.js";
import { resumeAfterRestart, resumeOrphans } from "./settle/lease.js";
import { settle } from "./settle/run.js";
import { checkout } from "./settle/checkout.js";
import type { ContractPaymentResponse } from "./checkout.schemas.js";
import { releaseFunds } from "./settle/release.js";
import { unwindPayments } from "./settle/unwind.js";
import type { OrderJob, OrderJobName } from "./settle/plan.js";
import { acceptOrder, cancelOrder, completeOrder, declineOrder, fulfilOrder, writeOff, type Tracking } from "./operations/fulfilment.js";

const tenantOf = (auth: AuthContext) => ({ platformId: auth.platformId, mode: auth.mode });
import { DEFAULT_HOLD_RULES, type HoldRules } from "./stock-holds.js";

export { captureKey, chargeKey, transferKey, type OrderJob, type OrderJobName, type SettleContractJob, type SettlementResult, type Settler } from "./settle/plan.js";

/**
 * Settlement (`PUT /contracts/:id/settle`): charge each buyer's default payment method for what
 * they owe, then pay each seller what they are owed to their Connect account, writing one
 * transaction per movement. Money moves at Stripe and is recorded here, and the two cannot share a
 * transaction, so the work is a sequence of steps, each safe to repeat — run by
 * the settlement module's engine (`runSettlement`, which subscriptions' charges run through too):
 *
 * 1. Claim (one DB transaction, under the contract's row lock): check everything that could stop
 *    the settlement before anyone is charged — each buyer's consent first (`assertConsent`) — fix the payment method of each pending charge
 *    attempt, and take the lease — `settlementLeaseId` / `settlementLockedUntil`, so one settler
 *    works at a time (another gets 409 `settlement_in_progress`) and an expired lease (a node that
 *    died) may be taken over. Status `processing`. The lease is short (CONTRACT_SETTLEMENT_LEASE,
 *    10 s), renewed by a heartbeat while the settler works, and names its holder's node and boot
 *    (`LeaseHolder`). A `settle-contract` job is queued for when the lease would expire: if this
 *    settler dies, the job resumes its work — at once when the same node starts again
 *    (`resumeAfterRestart`), otherwise once the lease lapsed.
 * 2. Charge each buyer still owing — no database transaction is open during a gateway call — with
 *    the idempotency key `contract:<id>:buyer:<user>:attempt:<n>`. `n` grows only after a
 *    definitive failure (a decline), so a retry after a crash repeats attempt n and Stripe answers
 *    the first result instead of charging again. Then record the charge (buyer paid, `incoming`).
 * 3. Once every buyer has paid, transfer each seller's amount (key
 *    `contract:<id>:seller:<user>:transfer`, `transfer_group` the contract id) and record it.
 * 4. Record the fees (`fee:stripe`, `fee:candle`, `fee:platform`), check the books balance, and
 *    mark the contract paid.
 *
 * Every record is conditional and every transaction row has an idempotency key, so a step run
 * twice (a resumed settlement, a webhook reporting the same charge) records once.
 *
 * Events: a decline records `contract.payment_failed` (once, whoever saw it first: the settler or
 * the webhook), the end `contract.paid`; in between, each charge and transfer records its
 * `transaction.created`. Taking and renewing the lease (`processing`) records nothing.
 */

/**
 * One step a file, under settle/: `claim.ts` (1), `charges.ts` (2's records), `payouts.ts` (3 and
 * 4), `lease.ts`, `run.ts` (the steps through the engine), `payment-outcome.ts` (the webhook).
 */
export function createContractSettlement(deps: {
  db: Db;
  payments: Pick<PaymentsGateway, "createPaymentIntent" | "createTransfer" | "capturePaymentIntent" | "cancelPaymentIntent" | "createRefund" | "retrievePaymentIntent">;
  clock: Clock;
  rates: BaseRates;
  leaseSeconds: number;
  leases: LeaseHolder;
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
  holds?: HoldRules;
  /** Whether live subscriptions bill a contract (it is then not settled on its own). */
  billedBySubscriptions: SettleContext["billedBySubscriptions"];
  purchaseGate?: SettleContext["purchaseGate"];
}) {
  const { log } = deps;
  const ctx: SettleContext = {
    db: deps.db,
    payments: deps.payments,
    clock: deps.clock,
    rates: deps.rates,
    leaseMs: deps.leaseSeconds * 1000,
    leases: deps.leases,
    log,
    holds: deps.holds ?? DEFAULT_HOLD_RULES,
    billedBySubscriptions: deps.billedBySubscriptions,
    purchaseGate: deps.purchaseGate ?? (async () => {}),
  };

  return {
    /** `PUT /contracts/:id/settle`. */
    async settle(auth: AuthContext, id: string): Promise<SettlementResult> {
      return (await settle(ctx, { platformId: auth.platformId, mode: auth.mode }, id, { kind: "request", auth }))!;
    },

    /** `POST /contracts/:id/checkout`: one buyer's share, on-session (settle/checkout.ts). */
    checkout: (auth: AuthContext, id: string, buyerUserId: string | undefined): Promise<ContractPaymentResponse> => checkout(ctx, auth, id, buyerUserId),

    /**
     * The `settle-contract` job: resumes a settlement a node started and did not finish (it died,
     * or the gateway's answer was lost), or completes one whose last charge a webhook reported.
     * Declines and missing accounts wait for people; anything else is retried by the queue.
     */
    async resume(job: SettleContractJob): Promise<void> {
      try {
        await settle(ctx, { platformId: job.platformId, mode: job.mode }, job.contractId, { kind: "job" });
      } catch (err) {
        if (err instanceof AppError && err.status < 500) {
          log.info({ contractId: job.contractId, code: err.code }, "settlement resume stopped: it needs the buyer, the seller or an operator");
          return;
        }
        throw err;
      }
    },

    /**
     * The PaymentOutcomeHandler (stripe-webhooks.service.ts): `payment_intent.succeeded` /
     * `payment_failed` for a contract's charge, inside the webhook's transaction. A success records
     * the buyer's payment (e.g. a charge that went through after our node died), and when every
     * buyer has paid queues the job that finishes the settlement; a failure ends that attempt.
     */
    onPaymentOutcome: (outcome: PaymentIntentOutcome, tx: Tx): Promise<void> => onPaymentOutcome(ctx, outcome, tx),

    /** The DisputeHandler (stripe-webhooks.service.ts): a dispute of a contract's charge moves it to `disputed` and back (settle/dispute.ts). */
    onDispute: (dispute: Dispute, metadata: Metadata | null, tx: Tx): Promise<void> => onDispute(ctx.clock, dispute, metadata, tx),

    /** A RefundOutcomeHandler (stripe-webhooks.service.ts): an ended order's refund that failed makes it `refund_failed` (settle/refund-outcome.ts). */
    onRefundOutcome: onOrderRefundOutcome,

    // ── the order (operations/fulfilment.ts; docs/api/contracts.md, Orders) ──
    acceptOrder: (auth: AuthContext, id: string) => acceptOrder(ctx, auth, id),
    declineOrder: async (auth: AuthContext, id: string) => (await declineOrder(ctx, tenantOf(auth), id, { kind: "request", auth }))!,
    fulfilOrder: (auth: AuthContext, id: string, tracking: Tracking) => fulfilOrder(ctx, auth, id, tracking),
    completeOrder: async (auth: AuthContext, id: string) => (await completeOrder(ctx, tenantOf(auth), id, { kind: "request", auth }))!,
    cancelOrder: (auth: AuthContext, id: string) => cancelOrder(ctx, auth, id),
    writeOff: (auth: AuthContext, id: string) => writeOff(ctx, auth, id),

    /** The order's jobs: `expire-order` (at `acceptBy`), `complete-order` (the auto-completion delay), `release-funds`, `unwind-order`. */
    async runOrderJob(name: OrderJobName, job: OrderJob): Promise<void> {
      const tenant = { platformId: job.platformId, mode: job.mode };
      try {
        if (name === "expire-order") await declineOrder(ctx, tenant, job.contractId, { kind: "job" });
        else if (name === "complete-order") await completeOrder(ctx, tenant, job.contractId, { kind: "job" });
        else if (name === "release-funds") await releaseFunds(ctx, tenant, job.contractId, null);
        else await unwindPayments(ctx, tenant, job.contractId, null);
      } catch (err) {
        // A seller who cannot be paid, a contract gone: people act; anything else is retried by the queue.
        if (err instanceof AppError && err.status < 500) {
          log.info({ contractId: job.contractId, job: name, code: err.code }, "order job stopped: it needs the seller or an operator");
          return;
        }
        throw err;
      }
    },

    /** At boot (in the system scope): resumes now the settlements this node's earlier boots left `processing`. */
    resumeAfterRestart: (): Promise<string[]> => resumeAfterRestart(ctx),
    resumeOrphans: (): Promise<string[]> => resumeOrphans(ctx),
  };
}

export type ContractSettlement = ReturnType<typeof createContractSettlement>;
