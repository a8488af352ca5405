import type { FastifyBaseLogger } from "fastify";
import type { PaymentsRequestError } from "../../adapters/payments/errors.js";
import { MAXIMUM_AMOUNT, minimumChargeAmount, type PaymentIntent, type PaymentsGateway } from "../../adapters/payments/gateway.js";
import type { Db, Prisma } from "../../db/client.js";
import { feesByCollector } from "../../domain/fees/index.js";
import type { PaymentIntentOutcome } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { enqueue } from "../../jobs/queue.js";
import { randomBase62 } from "../../lib/crypto.js";
import { AppError, ConflictError, NotFoundError, UnprocessableError } from "../../lib/errors.js";
import type { Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { recordEvent } from "../events/events.service.js";
import { recordSettlementTransactions, settlementBooks } from "../transactions/transactions.service.js";
import type { ContractResponse } from "./contracts.schemas.js";
import { DEFAULT_HOLD_RULES, holdUntil, retakeHolds, type HoldRules } from "./stock-holds.js";
import { API_FEE_TYPE, assertConsent, assertMaySettle, isUnlocked, loadState, lockContract, rebalanceAndStore, type BaseRates, type ContractState } from "./contracts.state.js";
import { contractView, type Tenant } from "./contracts.view.js";
import { runSettlement, type EngineCharge, type EngineTransfer } from "./settlement.engine.js";
import type { Tx } from "../../db/tenant.js";

/**
 * Settlement (`PUT /contracts/:id/settle`): charge each buyer's default payment method for what
 * they owe, then pay each seller what they are owed to their Connect account, writing one
 * transaction per movement. Money moves at Stripe and is recorded here, and the two cannot share a
 * transaction, so (STYLE.md item 9) the work is a sequence of steps, each safe to repeat — run by
 * the settlement engine (`settlement.engine.ts`, which subscriptions' charges run through too):
 *
 * 1. Claim (one DB transaction, under the contract's row lock): check everything that could stop
 *    the settlement before anyone is charged — each buyer's consent first (`assertConsent`) — fix the payment method of each pending charge
 *    attempt, and take the lease — `settlementLeaseId` / `settlementLockedUntil`, so one settler
 *    works at a time (another gets 409 `settlement_in_progress`) and an expired lease (a node that
 *    died) may be taken over. Status `processing`. A `settle-contract` job is queued for when the
 *    lease would expire: if this settler dies, the job resumes its work.
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

/** Who settles: a request (with its caller's rights), or the resume job (which only finishes what was started). */
export type Settler = { kind: "request"; auth: AuthContext } | { kind: "job" };

export interface SettlementResult {
  contract: ContractResponse;
  /** False while a payment is still processing at Stripe (a bank debit): a webhook finishes it. */
  complete: boolean;
}

interface Charge extends EngineCharge {
  buyerUserId: string;
  attempt: number;
}

interface Transfer extends EngineTransfer {
  sellerUserId: string;
  attempt: number;
}

interface Plan extends Tenant {
  contractId: string;
  currency: string;
  leaseId: string;
  charges: Charge[];
  transfers: Transfer[];
  /** The request settling, for the events (null for the job). */
  requestId: string | null;
}

/** How long after a lease would expire the resume job looks at the contract. */
const RESUME_GRACE_MS = 5_000;

export const chargeKey = (contractId: string, buyerUserId: string, attempt: number) => `contract:${contractId}:buyer:${buyerUserId}:attempt:${attempt}`;
/** The spec's key for the first transfer; a transfer Stripe refused (and so never made) is retried under a new one. */
export const transferKey = (contractId: string, sellerUserId: string, attempt: number) =>
  attempt === 0 ? `contract:${contractId}:seller:${sellerUserId}:transfer` : `contract:${contractId}:seller:${sellerUserId}:transfer:attempt:${attempt}`;

export interface SettleContractJob {
  contractId: string;
  platformId: string;
  mode: Mode;
}

export function createContractSettlement(deps: {
  db: Db;
  payments: Pick<PaymentsGateway, "createPaymentIntent" | "createTransfer">;
  clock: Clock;
  rates: BaseRates;
  leaseSeconds: number;
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
  holds?: HoldRules;
}) {
  const { db, payments, clock, rates, log } = deps;
  const holds = deps.holds ?? DEFAULT_HOLD_RULES;
  const leaseMs = deps.leaseSeconds * 1000;

  const later = (ms: number) => new Date(clock.now().getTime() + ms);

  async function view(tenant: Tenant, id: string): Promise<ContractResponse> {
    const contract = await contractView(db, tenant, id);
    if (!contract) throw new NotFoundError("contract", id, "id");
    return contract;
  }

  async function queueResume(tx: Tx, tenant: Tenant, contractId: string, runAt: Date): Promise<void> {
    const job: SettleContractJob = { contractId, platformId: tenant.platformId, mode: tenant.mode };
    await enqueue(tx, "settle-contract", job, { runAt, jobKey: `settle-contract:${contractId}`, maxAttempts: 10 });
  }

  // ── 1. claim ──────────────────────────────────────────────────────────────────────────────────

  async function claim(tenant: Tenant, id: string, settler: Settler): Promise<Plan | null> {
    return db.$transaction(async (tx) => {
      let c = await lockContract(tx, tenant, id);
      if (settler.kind === "request") assertMaySettle(settler.auth, c);
      if (c.status === "paid") throw new ConflictError("already_paid", `${c.id} is already paid.`, "id");
      if (c.status === "void" || c.status === "uncollectible") throw new ConflictError("contract_not_payable", `${c.id} is ${c.status}: it cannot be settled.`, "id");
      // A contract its buyers subscribed to is billed by the subscriptions, cycle by cycle; settling it too would charge twice.
      if (c.status !== "processing" && (await tx.subscription.count({ where: { contractId: c.id, ended: null } })) > 0) {
        throw new ConflictError("contract_has_subscriptions", `${c.id} is billed by its subscriptions: it is not settled on its own.`, "id");
      }
      const now = clock.now();
      if (c.settlementLockedUntil && c.settlementLockedUntil.getTime() > now.getTime()) {
        if (settler.kind === "job") {
          await queueResume(tx, tenant, c.id, new Date(c.settlementLockedUntil.getTime() + RESUME_GRACE_MS));
          return null;
        }
        throw new AppError(409, "invalid_request_error", "settlement_in_progress", `${c.id} is being settled right now. Retry when that settlement is over.`, {
          param: "id",
          headers: { "retry-after": String(Math.max(1, Math.ceil((c.settlementLockedUntil.getTime() - now.getTime()) / 1000))) },
        });
      }
      // The job finishes settlements that were started (or whose buyers have all paid); it never starts one.
      if (settler.kind === "job" && c.status !== "processing" && c.buyers.some((b) => b.amountPaid < b.amountDue)) return null;
      // Figures follow the current rates until something is paid.
      if (isUnlocked(c)) {
        // What it buys is held again (an expired hold takes its stock anew, or 409) and stays held while it settles.
        await retakeHolds(tx, c.id, now, holdUntil(holds, now));
        await rebalanceAndStore(tx, c, rates);
        c = await loadState(tx, id);
      }
      const missing = c.buyers.length === 0 ? "buyers" : c.sellers.length === 0 ? "sellers" : c.total <= 0 ? "items" : null;
      if (missing) {
        const what = { buyers: "no buyer", sellers: "no seller", items: "nothing to pay (its total is 0)" }[missing];
        throw new UnprocessableError("contract_incomplete", `${c.id} has ${what}: a contract is settled with at least one buyer, one seller and a positive total.`, missing);
      }
      // Whom this settlement may charge, checked on the figures just rebalanced. A settlement under
      // way (`processing`: nothing can change its figures) goes on under the consent it was started
      // with; the job never starts one.
      if (settler.kind === "request" && c.status !== "processing") assertConsent(settler.auth, c);

      const owing = c.buyers.filter((b) => b.amountPaid < b.amountDue);
      const owed = c.sellers.filter((s) => s.amountReceived < s.amountOwed);
      const users = await tx.user.findMany({
        where: { id: { in: [...owing.map((b) => b.userId), ...owed.map((s) => s.userId)] }, platformId: c.platformId },
        select: { id: true, deleted: true, stripeCustomerId: true, stripeConnectId: true, chargesEnabled: true },
      });
      const userOf = (id: string) => users.find((u) => u.id === id);

      // Everything that would stop the settlement half-way is checked before anyone is charged.
      for (const s of owed) {
        const user = userOf(s.userId);
        if (!user?.stripeConnectId || !user.chargesEnabled || user.deleted) {
          throw new ConflictError(
            "seller_not_ready",
            `Seller ${s.userId} cannot be paid: ${!user?.stripeConnectId ? "they have no Connect account (POST /v1/users/auth/bank_account)" : "their Connect account cannot receive transfers yet (onboarding unfinished)"}.`,
            "sellers",
          );
        }
      }
      const minimum = minimumChargeAmount(c.currency) ?? 1;
      const defaults = await tx.paymentMethod.findMany({ where: { userId: { in: owing.map((b) => b.userId) }, isDefault: true }, select: { userId: true, stripePaymentMethodId: true } });
      const charges: Charge[] = [];
      for (const b of owing) {
        const left = b.amountDue - b.amountPaid;
        if (left < minimum) {
          throw new UnprocessableError("amount_too_small", `Buyer ${b.userId} owes ${left}¢, less than the ${minimum}¢ a card can be charged in ${c.currency}: pin their amount due higher or remove them.`, "dueAmount");
        }
        if (left > MAXIMUM_AMOUNT) {
          throw new UnprocessableError("amount_too_large", `Buyer ${b.userId} owes ${left}¢, more than the ${MAXIMUM_AMOUNT}¢ one charge can take: split it over more buyers.`, "dueAmount");
        }
        const user = userOf(b.userId);
        const paymentMethodId = b.attemptPaymentMethodId ?? defaults.find((d) => d.userId === b.userId)?.stripePaymentMethodId;
        if (!user?.stripeCustomerId || !paymentMethodId || user.deleted) {
          throw new ConflictError("no_payment_method", `Buyer ${b.userId} has no default payment method to charge (POST /v1/users/auth/payment_methods).`, "buyers");
        }
        // The attempt's payment method is fixed now: a resumed attempt must send Stripe the same request.
        if (b.attemptPaymentMethodId === null) {
          await tx.contractBuyer.update({ where: { id: b.id }, data: { attemptPaymentMethodId: paymentMethodId } });
        }
        charges.push({
          buyerUserId: b.userId,
          amount: left,
          customerId: user.stripeCustomerId,
          paymentMethodId,
          attempt: b.attempts,
          idempotencyKey: chargeKey(c.id, b.userId, b.attempts),
          metadata: { contract_id: c.id, platform_id: c.platformId, mode: c.mode, user_id: b.userId, attempt: String(b.attempts) },
        });
      }
      const transfers: Transfer[] = owed.map((s) => ({
        sellerUserId: s.userId,
        amount: s.amountOwed - s.amountReceived,
        destination: userOf(s.userId)!.stripeConnectId!,
        attempt: s.transferAttempts,
        idempotencyKey: transferKey(c.id, s.userId, s.transferAttempts),
        metadata: { contract_id: c.id, platform_id: c.platformId, mode: c.mode, user_id: s.userId },
      }));

      const leaseId = randomBase62(24);
      const lockedUntil = new Date(now.getTime() + leaseMs);
      await tx.contract.update({ where: { id: c.id }, data: { status: "processing", settlementLeaseId: leaseId, settlementLockedUntil: lockedUntil } });
      // Should this settler die, the job resumes after the lease expired.
      await queueResume(tx, tenant, c.id, new Date(lockedUntil.getTime() + RESUME_GRACE_MS));
      return { ...tenant, contractId: c.id, currency: c.currency, leaseId, charges, transfers, requestId: settler.kind === "request" ? settler.auth.requestId : null };
    });
  }

  // ── the lease ─────────────────────────────────────────────────────────────────────────────────

  /** Extends the lease before each gateway call; a settler that lost it (it ran past its lease and another took over) stops. */
  async function renewLease(plan: Plan): Promise<void> {
    const { count } = await db.contract.updateMany({ where: { id: plan.contractId, settlementLeaseId: plan.leaseId }, data: { settlementLockedUntil: later(leaseMs) } });
    if (count === 0) {
      throw new ConflictError("settlement_in_progress", `Another settlement of ${plan.contractId} took over from this one; it carries on from where this one stopped.`, "id");
    }
  }

  /** Lets the next settle start at once; the contract stays `processing` (an outcome is unknown, or transfers are left). */
  async function releaseLease(plan: Plan): Promise<void> {
    await db.contract.updateMany({ where: { id: plan.contractId, settlementLeaseId: plan.leaseId }, data: { settlementLeaseId: null, settlementLockedUntil: null } });
  }

  // ── 2. charges ────────────────────────────────────────────────────────────────────────────────

  /**
   * A successful charge of a buyer, recorded once however often it is reported (the settler, a
   * resumed settler, the webhook): the buyer's amountPaid and Stripe ids, and the `incoming`
   * transaction keyed by the PaymentIntent.
   */
  async function markBuyerPaid(
    tx: Tx,
    c: ContractState,
    buyerUserId: string,
    intent: Pick<PaymentIntent, "id" | "chargeId" | "amount" | "currency">,
    requestId: string | null,
  ): Promise<boolean> {
    const buyer = c.buyers.find((b) => b.userId === buyerUserId);
    if (!buyer) {
      log.error({ contractId: c.id, buyerUserId, paymentIntentId: intent.id }, "a charge succeeded for someone who is no longer a buyer of the contract: refund it");
      return false;
    }
    if (buyer.amountPaid > 0) {
      if (buyer.stripePaymentIntentId !== intent.id) {
        log.error({ contractId: c.id, buyerUserId, paymentIntentId: intent.id, recorded: buyer.stripePaymentIntentId }, "a second charge succeeded for a buyer who had paid: refund it");
      }
      return false;
    }
    if (intent.amount !== buyer.amountDue || intent.currency !== c.currency) {
      log.error(
        { contractId: c.id, buyerUserId, paymentIntentId: intent.id, amount: intent.amount, amountDue: buyer.amountDue },
        "a charge succeeded for another amount than the buyer now owes: it was not recorded; refund it",
      );
      return false;
    }
    const now = clock.now();
    await tx.contractBuyer.update({
      where: { id: buyer.id },
      data: { amountPaid: intent.amount, stripePaymentIntentId: intent.id, stripeChargeId: intent.chargeId, lastPaymentAttempt: now, attemptPaymentMethodId: null },
    });
    await tx.contract.update({ where: { id: c.id }, data: { lastPaymentAttempt: now } });
    await recordSettlementTransactions(tx, {
      platformId: c.platformId,
      mode: c.mode,
      requestId,
      contractId: c.id,
      currency: c.currency,
      transferGroup: c.id,
      charges: [{ buyerUserId, amount: intent.amount, stripeChargeId: intent.chargeId ?? "", stripePaymentIntentId: intent.id, idempotencyKey: `charge:${intent.id}` }],
    });
    buyer.amountPaid = intent.amount;
    return true;
  }

  /** A decline (or a request Stripe refused): attempt n is over, the contract is open again, the lease released. */
  async function recordFailedCharge(plan: Plan, charge: Charge): Promise<void> {
    await db.$transaction(async (tx) => {
      await lockContract(tx, plan, plan.contractId);
      const now = clock.now();
      const ended = await tx.contractBuyer.updateMany({
        where: { contractId: plan.contractId, userId: charge.buyerUserId, attempts: charge.attempt, amountPaid: 0 },
        data: { attempts: charge.attempt + 1, attemptPaymentMethodId: null, lastPaymentAttempt: now },
      });
      await tx.contract.update({ where: { id: plan.contractId }, data: { lastPaymentAttempt: now } });
      await tx.contract.updateMany({
        where: { id: plan.contractId, settlementLeaseId: plan.leaseId },
        data: { status: "open", settlementLeaseId: null, settlementLockedUntil: null },
      });
      // Once per attempt: the webhook may have reported this decline first.
      if (ended.count > 0) await recordContractEvent(tx, plan, plan.contractId, "contract.payment_failed", plan.requestId);
    });
  }

  async function recordContractEvent(tx: Tx, tenant: Tenant, id: string, type: "contract.payment_failed" | "contract.paid", requestId: string | null): Promise<void> {
    const object = await contractView(tx, tenant, id);
    if (object) await recordEvent(tx, { platformId: tenant.platformId, mode: tenant.mode, requestId, type, object });
  }

  // ── 3. transfers ──────────────────────────────────────────────────────────────────────────────

  /** Stripe refused a transfer, so nothing moved: the next try is a new transfer under a new key. */
  async function recordRefusedTransfer(plan: Plan, t: Transfer, err: PaymentsRequestError): Promise<Error> {
    await db.contractSeller.updateMany({
      where: { contractId: plan.contractId, userId: t.sellerUserId, transferAttempts: t.attempt, amountReceived: 0 },
      data: { transferAttempts: t.attempt + 1 },
    });
    await releaseLease(plan);
    return new ConflictError(
      "seller_not_ready",
      `The transfer to seller ${t.sellerUserId} was refused (${err.code}: ${err.message}). The buyers' payments are kept; settle again once the seller's account can receive transfers.`,
      "sellers",
    );
  }

  async function recordTransfer(plan: Plan, t: Transfer, made: { id: string }): Promise<void> {
    await db.$transaction(async (tx) => {
      const c = await lockContract(tx, plan, plan.contractId);
      const seller = c.sellers.find((s) => s.userId === t.sellerUserId);
      if (!seller || seller.amountReceived > 0) return;
      await tx.contractSeller.update({ where: { id: seller.id }, data: { amountReceived: t.amount, stripeTransferId: made.id } });
      await recordSettlementTransactions(tx, {
        platformId: c.platformId,
        mode: c.mode,
        requestId: plan.requestId,
        contractId: c.id,
        currency: c.currency,
        transferGroup: c.id,
        transfers: [{ sellerUserId: t.sellerUserId, amount: t.amount, stripeTransferId: made.id }],
      });
    });
  }

  // ── 4. the end ────────────────────────────────────────────────────────────────────────────────

  async function finish(plan: Plan): Promise<void> {
    await db.$transaction(async (tx) => {
      const c = await lockContract(tx, plan, plan.contractId);
      if (c.status === "paid") return;
      if (c.buyers.some((b) => b.amountPaid < b.amountDue) || c.sellers.some((s) => s.amountReceived < s.amountOwed)) {
        throw new Error(`settlement of ${c.id} reached its end with money still to move`);
      }
      const fees = feesByCollector(c.fees.map((fee) => ({ type: API_FEE_TYPE[fee.type], amount: fee.amount })));
      await recordSettlementTransactions(tx, { platformId: c.platformId, mode: c.mode, requestId: plan.requestId, contractId: c.id, currency: c.currency, transferGroup: c.id, fees });
      const books = await settlementBooks(tx, plan, c.id);
      if (!books.balanced || books.incoming !== c.total) {
        // Never mark paid books that do not add up: roll back and leave it `processing` for a person to look at.
        throw new Error(`the books of ${c.id} do not balance: incoming ${books.incoming}, paid out ${books.paidOut}, total ${c.total}`);
      }
      await tx.contract.update({ where: { id: c.id }, data: { status: "paid", paid: clock.now(), settlementLeaseId: null, settlementLockedUntil: null } });
      await recordContractEvent(tx, plan, c.id, "contract.paid", plan.requestId);
    });
  }

  async function settle(tenant: Tenant, id: string, settler: Settler): Promise<SettlementResult | null> {
    const plan = await claim(tenant, id, settler);
    if (!plan) return null;
    const outcome = await runSettlement(payments, {
      currency: plan.currency,
      transferGroup: plan.contractId,
      charges: plan.charges,
      transfers: plan.transfers,
      renewLease: () => renewLease(plan),
      releaseLease: () => releaseLease(plan),
      chargeFailed: (charge) => recordFailedCharge(plan, charge),
      chargeSucceeded: (charge, intent) =>
        db.$transaction(async (tx) => {
          const c = await lockContract(tx, plan, plan.contractId);
          await markBuyerPaid(tx, c, charge.buyerUserId, intent, plan.requestId);
        }),
      // Transfers need every buyer's money; with one buyer, the transfers draw on that charge
      // (`source_transaction`), which Stripe allows before the funds are available.
      transferSource: async () => {
        const buyers = await db.contractBuyer.findMany({ where: { contractId: id }, select: { amountDue: true, amountPaid: true, stripeChargeId: true } });
        if (buyers.some((b) => b.amountPaid < b.amountDue)) throw new Error(`settlement of ${id} came to its transfers with buyers still owing`);
        const paying = buyers.filter((b) => b.amountDue > 0);
        return paying.length === 1 && paying[0]!.stripeChargeId ? paying[0]!.stripeChargeId : undefined;
      },
      transferRefused: (t, err) => recordRefusedTransfer(plan, t, err),
      transferMade: (t, made) => recordTransfer(plan, t, made),
      finish: () => finish(plan),
    });
    return { contract: await view(tenant, id), complete: outcome === "complete" };
  }

  return {
    /** `PUT /contracts/:id/settle`. */
    async settle(auth: AuthContext, id: string): Promise<SettlementResult> {
      return (await settle({ platformId: auth.platformId, mode: auth.mode }, id, { kind: "request", auth }))!;
    },

    /**
     * The `settle-contract` job: resumes a settlement a node started and did not finish (it died,
     * or the gateway's answer was lost), or completes one whose last charge a webhook reported.
     * Declines and missing accounts wait for people; anything else is retried by the queue.
     */
    async resume(job: SettleContractJob): Promise<void> {
      try {
        await settle({ platformId: job.platformId, mode: job.mode }, job.contractId, { kind: "job" });
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
    async onPaymentOutcome(outcome: PaymentIntentOutcome, tx: Tx): Promise<void> {
      const metadata = (outcome.metadata ?? {}) as Record<string, unknown>;
      const contractId = typeof metadata.contract_id === "string" ? metadata.contract_id : null;
      const buyerUserId = typeof metadata.user_id === "string" ? metadata.user_id : null;
      const platformId = typeof metadata.platform_id === "string" ? metadata.platform_id : null;
      const mode: Mode | null = metadata.mode === "test" || metadata.mode === "live" ? metadata.mode : null;
      if (!contractId || !buyerUserId || !platformId || !mode) return;
      // The buyer the intent names must be the platform's; the webhook service found them from the same metadata.
      if (outcome.platformId !== platformId) return;
      const tenant: Tenant = { platformId, mode };
      const rows = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM contracts WHERE id = ${contractId} AND platform_id = ${platformId} AND mode = ${mode}::"Mode" FOR UPDATE`;
      if (rows.length === 0) return;
      const c = await loadState(tx, contractId);
      if (outcome.status === "succeeded") {
        const recorded = await markBuyerPaid(tx, c, buyerUserId, { id: outcome.id, chargeId: outcome.chargeId, amount: outcome.amount, currency: outcome.currency }, null);
        if (recorded && c.status !== "paid" && c.buyers.every((b) => b.amountPaid >= b.amountDue)) await queueResume(tx, tenant, c.id, clock.now());
        return;
      }
      if (outcome.status === "requires_payment_method" || outcome.status === "canceled") {
        const attempt = Number(metadata.attempt);
        if (!Number.isInteger(attempt)) return;
        const now = clock.now();
        const ended = await tx.contractBuyer.updateMany({
          where: { contractId: c.id, userId: buyerUserId, attempts: attempt, amountPaid: 0 },
          data: { attempts: attempt + 1, attemptPaymentMethodId: null, lastPaymentAttempt: now },
        });
        if (ended.count === 0) return;
        await tx.contract.update({ where: { id: c.id }, data: { lastPaymentAttempt: now } });
        // No settler at work: the contract is open to be settled again.
        const settling = c.settlementLockedUntil !== null && c.settlementLockedUntil.getTime() > now.getTime();
        if (c.status === "processing" && !settling) await tx.contract.update({ where: { id: c.id }, data: { status: "open", settlementLeaseId: null, settlementLockedUntil: null } });
        await recordContractEvent(tx, tenant, c.id, "contract.payment_failed", null);
      }
    },
  };
}

export type ContractSettlement = ReturnType<typeof createContractSettlement>;
