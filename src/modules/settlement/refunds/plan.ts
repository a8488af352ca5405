import type { Prisma } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import { allocateRefund, refundableAmount } from "../../../domain/fees/index.js";
import type { Transaction } from "../../../generated/prisma/client.js";
import type { TransactionType } from "../../../generated/prisma/enums.js";
import { ConflictError, UnprocessableError } from "../../../lib/errors.js";
import { newId } from "../../../lib/ids.js";
import { API_TYPE } from "../ledger.js";
import type { RefundInput } from "./shared.js";

/** What a refund is: the checks on the charge, and its rows split over the settlement's transfers and fees. No database here. */

const REFUND_OF: Readonly<Record<string, TransactionType>> = {
  outgoing: "outgoing_refund",
  fee_candle: "fee_candle_refund",
  fee_platform: "fee_platform_refund",
  // Stripe keeps its fee when a charge is refunded: the platform gives that share back instead.
  fee_stripe: "fee_platform_refund",
};

const STRIPE_FEE_ABSORBED = "Stripe keeps its fee on a refunded charge: the platform absorbs this share of it.";

/** The amount to refund of `charge` (default all that is left): 409 for what is not a settled charge, 422 for an amount it cannot give back. */
export function refundAmount(charge: Transaction, input: RefundInput): number {
  const id = charge.id;
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
    throw new UnprocessableError("charge_already_refunded", `${id} is refunded in full already: ${charge.amountRefunded} of ${charge.amount} ${charge.currency} cents.`, "amount", {
      amount_captured: charge.amount,
      amount_refunded: charge.amountRefunded,
      amount_refundable: 0,
    });
  }
  if (amount > refundable) {
    throw new UnprocessableError(
      "amount_too_large",
      `Refund amount (${amount}) is greater than what is left to refund of ${id}: ${refundable} of the ${charge.amount} captured (${charge.amountRefunded} refunded already), in ${charge.currency} cents.`,
      "amount",
      { amount_requested: amount, amount_captured: charge.amount, amount_refunded: charge.amountRefunded, amount_refundable: refundable },
    );
  }
  return amount;
}

/** 409 unless the settlement paid out all it charged (every transfer made): only then is there something to reverse in proportion. */
export function assertSettlementComplete(id: string, pool: readonly Transaction[], charged: number): void {
  const paidOut = pool.reduce((sum, t) => sum + t.amount, 0);
  if (paidOut !== charged || pool.some((t) => t.type === "outgoing" && !t.stripeTransferId)) {
    throw new ConflictError(
      "settlement_incomplete",
      `The settlement of ${id} is not complete: its transfers and fees come to ${paidOut} of the ${charged} charged. Refund it once the settlement is paid.`,
      "id",
    );
  }
}

/**
 * The refund's rows, all `processing`: its `incoming:refund`, then a reversal or fee refund for each
 * transfer or fee of the pool that has a share of `amount` (`shares`, in the pool's order).
 */
export function planRefund(
  tenant: Tenant,
  charge: Transaction,
  pool: readonly Transaction[],
  amount: number,
  description: string | null | undefined,
  sellerUserIds?: readonly string[] | null,
): { refundId: string; rows: Prisma.TransactionCreateManyInput[]; shares: number[] } {
  const shares = allocateRefund(amount, refundWeights(pool, amount, sellerUserIds));
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
      description: description ?? null,
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
  return { refundId, rows, shares };
}

/**
 * What each transfer and fee of the pool may give back of this refund: what is left of it; for a
 * refund of some sellers' items (`sellerUserIds`), only those sellers' transfers, and of each fee the
 * part that those transfers are of all the transfers — the other sellers keep their money. When
 * that is less than the amount (the sellers named were paid less than it), every transfer and fee
 * gives back in proportion, as any refund.
 */
export function refundWeights(pool: readonly Transaction[], amount: number, sellerUserIds?: readonly string[] | null): number[] {
  const rest = pool.map((t) => t.amount - t.amountRefunded);
  if (!sellerUserIds || sellerUserIds.length === 0) return rest;
  const transfers = pool.reduce((sum, t, i) => sum + (t.type === "outgoing" ? rest[i]! : 0), 0);
  const named = pool.reduce((sum, t, i) => sum + (t.type === "outgoing" && sellerUserIds.includes(t.sellerUserId ?? "") ? rest[i]! : 0), 0);
  if (transfers === 0 || named === 0) return rest;
  const weights = pool.map((t, i) => {
    if (t.type === "outgoing") return sellerUserIds.includes(t.sellerUserId ?? "") ? rest[i]! : 0;
    return Math.floor((rest[i]! * named) / transfers);
  });
  return weights.reduce((a, b) => a + b, 0) >= amount ? weights : rest;
}
