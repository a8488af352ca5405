import type { Transaction } from "../../generated/prisma/client.js";
import type { TransactionType } from "../../generated/prisma/enums.js";
import { toApiDate } from "../../lib/time.js";
import type { EventType } from "../events/index.js";
import type { RecordEventInput } from "../events/index.js";

/**
 * The ledger's rows as the API names and renders them. The settlement module writes the
 * `transactions` table (charges, transfers, fees, refunds); the transactions module reads it.
 */

/** The documented transaction types, each with its `:refund` variant; `dispute` and `fee:dispute` record a dispute lost. */
export const TRANSACTION_TYPES = [
  "incoming",
  "outgoing",
  "fee:candle",
  "fee:platform",
  "fee:stripe",
  "incoming:refund",
  "outgoing:refund",
  "fee:candle:refund",
  "fee:platform:refund",
  "fee:stripe:refund",
  "dispute",
  "fee:dispute",
] as const;
export type ApiTransactionType = (typeof TRANSACTION_TYPES)[number];

// The API's names (`fee:candle`) and the client's enum names (`fee_candle`).
const DB_TYPE: Readonly<Record<ApiTransactionType, TransactionType>> = {
  incoming: "incoming",
  outgoing: "outgoing",
  "fee:candle": "fee_candle",
  "fee:platform": "fee_platform",
  "fee:stripe": "fee_stripe",
  "incoming:refund": "incoming_refund",
  "outgoing:refund": "outgoing_refund",
  "fee:candle:refund": "fee_candle_refund",
  "fee:platform:refund": "fee_platform_refund",
  "fee:stripe:refund": "fee_stripe_refund",
  dispute: "dispute",
  "fee:dispute": "fee_dispute",
};
export const API_TYPE = Object.fromEntries(Object.entries(DB_TYPE).map(([api, db]) => [db, api])) as Readonly<Record<TransactionType, ApiTransactionType>>;

export const toDbType = (type: ApiTransactionType): TransactionType => DB_TYPE[type];

export function toTransactionResponse(t: Transaction) {
  return {
    id: t.id,
    platform_id: t.platformId,
    mode: t.mode,
    contract_id: t.contractId,
    subscription_id: t.subscriptionId,
    buyer_user_id: t.buyerUserId,
    seller_user_id: t.sellerUserId,
    amount: t.amount,
    amountRefunded: t.amountRefunded,
    currency: t.currency,
    stripeChargeId: t.stripeChargeId,
    stripePaymentIntentId: t.stripePaymentIntentId,
    stripeTransferId: t.stripeTransferId,
    stripeRefundId: t.stripeRefundId,
    type: API_TYPE[t.type],
    status: t.status,
    refund_of: t.refundOfId,
    transfer_group: t.transferGroup,
    description: t.description,
    created: toApiDate(t.created),
    updated: toApiDate(t.updated),
  };
}

/** A transaction's event: the row as the API renders it after the change. */
export function transactionEvent(type: EventType, row: Transaction, requestId: string | null | undefined): RecordEventInput {
  return { platformId: row.platformId, mode: row.mode, requestId, type, object: toTransactionResponse(row) };
}
