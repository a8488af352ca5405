import type { PaymentsRequestError } from "../../../adapters/payments/errors.js";
import { ConflictError } from "../../../lib/errors.js";
import { closeBooks, collectedFees, recordSettlementTransactions } from "../../settlement/index.js";
import type { Tx } from "../../../db/tenant.js";
import type { OrderStatus } from "../../../generated/prisma/enums.js";
import { orderSettings } from "../../platforms/index.js";
import { lockContract, type ContractState } from "../contracts.repo.js";
import { recordContractEvent } from "./charges.js";
import { releaseLease } from "./lease.js";
import { queueOrderJob, type Plan, type SettleContext, type Transfer } from "./plan.js";

/** Steps 3 and 4: each seller's transfer recorded (or its refusal), then the fees, the books and `paid`. */

/** Stripe refused a transfer, so nothing moved: the next try is a new transfer under a new key. */
export async function recordRefusedTransfer(ctx: SettleContext, plan: Plan, t: Transfer, err: PaymentsRequestError): Promise<Error> {
  await ctx.db.contractSeller.updateMany({
    where: { contractId: plan.contractId, userId: t.sellerUserId, transferAttempts: t.attempt, amountReceived: 0 },
    data: { transferAttempts: t.attempt + 1 },
  });
  await releaseLease(ctx, plan);
  return new ConflictError(
    "seller_not_ready",
    `The transfer to seller ${t.sellerUserId} was refused (${err.code}: ${err.message}). The buyers' payments are kept; settle again once the seller's account can receive transfers.`,
    "sellers",
  );
}

export async function recordTransfer({ db }: SettleContext, plan: Plan, t: Transfer, made: { id: string }): Promise<void> {
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

export async function finish(ctx: SettleContext, plan: Plan): Promise<void> {
  const { db, clock } = ctx;
  await db.$transaction(async (tx) => {
    const c = await lockContract(tx, plan, plan.contractId);
    if (plan.phase === "authorise") return finishAuthorisation(tx, plan, c, clock.now());
    if (c.status === "paid") return;
    if (c.buyers.some((b) => b.amountPaid < b.amountDue) || (!plan.holdFunds && c.sellers.some((s) => s.amountReceived < s.amountOwed))) {
      throw new Error(`settlement of ${c.id} reached its end with money still to move`);
    }
    const accepted = { orderStatus: c.orderStatus ?? ("accepted" as const), orderAccepted: c.orderAccepted ?? clock.now() };
    if (plan.holdFunds) return finishHeld(tx, plan, c, clock.now(), accepted);
    // Never mark paid books that do not add up: closeBooks throws, and it stays `processing` for a person to look at.
    await closeBooks(tx, {
      platformId: c.platformId,
      mode: c.mode,
      requestId: plan.requestId,
      contractId: c.id,
      currency: c.currency,
      transferGroup: c.id,
      fees: collectedFees(c.fees),
      expectedIncoming: c.total,
    });
    await tx.contract.update({ where: { id: c.id }, data: { status: "paid", paid: clock.now(), settlementLeaseId: null, settlementLockedUntil: null, ...accepted } });
    await recordContractEvent(tx, plan, c.id, "contract.paid", plan.requestId);
  });
}

/**
 * Manual capture, every card authorised: the order awaits the seller until `acceptBy`, when the
 * `expire-order` job declines it (operations/fulfilment.ts).
 */
async function finishAuthorisation(tx: Tx, plan: Plan, c: ContractState, now: Date): Promise<void> {
  if (c.status !== "processing") return;
  if (c.buyers.some((b) => b.amountPaid + b.amountAuthorized < b.amountDue)) throw new Error(`authorisation of ${c.id} reached its end with buyers still to authorise`);
  const settings = await orderSettings(tx, c.platformId);
  const acceptBy = new Date(now.getTime() + settings.acceptanceTimeoutHours * 3_600_000);
  await tx.contract.update({
    where: { id: c.id },
    data: { status: "authorized", orderStatus: "awaiting_acceptance", acceptBy, settlementLeaseId: null, settlementLockedUntil: null },
  });
  await queueOrderJob(tx, plan, "expire-order", c.id, acceptBy);
  await recordContractEvent(tx, plan, c.id, "contract.authorized", plan.requestId);
}

/**
 * Funds held: every buyer's money is in and the contract is `paid`, but the sellers are paid at
 * completion (or at `releaseAt`, the platform's holding delay) by settle/release.ts, which records
 * the fees then. Until then the books hold Σ incoming = total and nothing paid out.
 */
async function finishHeld(tx: Tx, plan: Plan, c: ContractState, now: Date, accepted: { orderStatus: OrderStatus; orderAccepted: Date }): Promise<void> {
  const settings = await orderSettings(tx, c.platformId);
  const releaseAt = settings.holdDays === null ? null : new Date(now.getTime() + settings.holdDays * 86_400_000);
  await tx.contract.update({ where: { id: c.id }, data: { status: "paid", paid: now, releaseAt, settlementLeaseId: null, settlementLockedUntil: null, ...accepted } });
  if (releaseAt) await queueOrderJob(tx, plan, "release-funds", c.id, releaseAt);
  await recordContractEvent(tx, plan, c.id, "contract.paid", plan.requestId);
}
