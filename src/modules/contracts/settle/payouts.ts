import { confirmBookings } from "../../calendars/index.js";
import type { PaymentsRequestError } from "../../../adapters/payments/errors.js";
import { ConflictError } from "../../../lib/errors.js";
import { closeBooks, collectedFees, recordSettlementTransactions } from "../../settlement/index.js";
import { lockContract } from "../contracts.repo.js";
import { recordContractEvent } from "./charges.js";
import { releaseLease } from "./lease.js";
import type { Plan, SettleContext, Transfer } from "./plan.js";

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

export async function finish({ db, clock }: SettleContext, plan: Plan): Promise<void> {
  await db.$transaction(async (tx) => {
    const c = await lockContract(tx, plan, plan.contractId);
    if (c.status === "paid") return;
    if (c.buyers.some((b) => b.amountPaid < b.amountDue) || c.sellers.some((s) => s.amountReceived < s.amountOwed)) {
      throw new Error(`settlement of ${c.id} reached its end with money still to move`);
    }
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
    await tx.contract.update({ where: { id: c.id }, data: { status: "paid", paid: clock.now(), settlementLeaseId: null, settlementLockedUntil: null } });
    // What it booked is confirmed, on both parties' calendars.
    await confirmBookings(tx, plan, c.id);
    await recordContractEvent(tx, plan, c.id, "contract.paid", plan.requestId);
  });
}
