import type { PaymentIntent } from "../../../adapters/payments/gateway.js";
import type { Tenant, Tx } from "../../../db/tenant.js";
import { recordEvent, type EventType } from "../../events/index.js";

type ContractEventType = Extract<EventType, `contract.${string}`>;
import { recordSettlementTransactions } from "../../settlement/index.js";
import { lockContract, type ContractState } from "../contracts.repo.js";
import { contractView } from "../contracts.repo.js";
import type { Charge, Plan, SettleContext } from "./plan.js";

/** Step 2's records: a buyer's charge (once, whoever reports it), a declined attempt, the contract's events. */

/**
 * A successful charge of a buyer, recorded once however often it is reported (the settler, a
 * resumed settler, the webhook): the buyer's amountPaid and Stripe ids, and the `incoming`
 * transaction keyed by the PaymentIntent.
 */
export async function markBuyerPaid(
  { clock, log }: SettleContext,
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
      log.error(
        { contractId: c.id, buyerUserId, paymentIntentId: intent.id, recorded: buyer.stripePaymentIntentId },
        "a second charge succeeded for a buyer who had paid: refund it",
      );
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
    data: {
      amountPaid: intent.amount,
      amountAuthorized: 0,
      stripePaymentIntentId: intent.id,
      stripeChargeId: intent.chargeId,
      lastPaymentAttempt: now,
      attemptPaymentMethodId: null,
    },
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

/**
 * A buyer's card authorised for what they owe (manual capture): nothing moved yet, so nothing is
 * written to the ledger; the PaymentIntent is kept to be captured or canceled.
 */
export async function markBuyerAuthorized(
  { clock, log }: SettleContext,
  tx: Tx,
  c: ContractState,
  buyerUserId: string,
  intent: Pick<PaymentIntent, "id" | "chargeId" | "amount">,
): Promise<boolean> {
  const buyer = c.buyers.find((b) => b.userId === buyerUserId);
  if (!buyer || buyer.amountPaid > 0 || buyer.amountAuthorized > 0) return false;
  if (intent.amount !== buyer.amountDue) {
    log.error({ contractId: c.id, buyerUserId, paymentIntentId: intent.id }, "an authorisation for another amount than the buyer owes: it was not recorded; cancel it");
    return false;
  }
  const now = clock.now();
  await tx.contractBuyer.update({
    where: { id: buyer.id },
    data: { amountAuthorized: intent.amount, stripePaymentIntentId: intent.id, stripeChargeId: intent.chargeId, lastPaymentAttempt: now, attemptPaymentMethodId: null },
  });
  await tx.contract.update({ where: { id: c.id }, data: { lastPaymentAttempt: now } });
  buyer.amountAuthorized = intent.amount;
  return true;
}

/** A decline (or a request Stripe refused): attempt n is over, the contract is open again, the lease released. */
export async function recordFailedCharge({ db, clock }: SettleContext, plan: Plan, charge: Charge): Promise<void> {
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

export async function recordContractEvent(tx: Tx, tenant: Tenant, id: string, type: ContractEventType, requestId: string | null): Promise<void> {
  const object = await contractView(tx, tenant, id);
  if (object) await recordEvent(tx, { platformId: tenant.platformId, mode: tenant.mode, requestId, type, object });
}
