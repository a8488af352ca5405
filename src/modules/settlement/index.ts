/**
 * The settlement module: where money moves and is written down. Its public API — other modules
 * import this file only.
 *
 * - `engine.ts`: `runSettlement`, the one path of a settlement's charges and transfers (contracts
 *   and subscriptions hand in how they record each step).
 * - `payment-failures.ts`: `isDefinitive`, when a gateway failure is final.
 * - `fees.ts`: the rates, a contract's figures, the fee estimate, the 422s of fee rules.
 * - `ledger.ts`, `ledger.repo.ts`: the `transactions` table — its API shape, and what a settlement
 *   writes to it (`recordSettlementTransactions`, `closeBooks`, `settlementBooks`) and the reads the
 *   transactions module answers with (`findTransaction`, `pageTransactions`).
 * - `refunds.ts`: refunds of a settlement's charges (reversals and fees given back in proportion),
 *   one operation a file under refunds/.
 * - `parties.repo.ts`: whom a settlement charges and pays, as the gateway knows them.
 */
export { runSettlement, type EngineCharge, type EngineTransfer, type SettlementSteps } from "./engine.js";
export { isDefinitive } from "./payment-failures.js";
export {
  API_FEE_TYPE,
  DB_FEE_TYPE,
  MAX_CONTRACT_TOTAL,
  collectedFees,
  computeFigures,
  estimateFee,
  feeRuleError,
  priceLine,
  type BaseRates,
  type FigureInput,
} from "./fees.js";
export { TRANSACTION_TYPES, toDbType, toTransactionResponse, type ApiTransactionType } from "./ledger.js";
export {
  closeBooks,
  findTransaction,
  pageTransactions,
  pendingPayoutsTo,
  recordSettlementTransactions,
  recordTransferArrival,
  sellerMovements,
  transfersById,
  type TransferArrivalRecord,
  settlementBooks,
  transactionTotals,
  type SettlementMovements,
} from "./ledger.repo.js";
export { REFUND_RESUME_DELAY_MS, createRefunds, type RefundInput, type RefundOutcome, type Refunds } from "./refunds.js";
export { buyerCharge, hasDisputedCharge, refundStatuses, refundedInFull } from "./refunds/lookup.js";
export { chargeLimits, customerOnRecord, loadParties, type Parties, type Payee, type Payer } from "./parties.repo.js";
export { orderRefundState, recordOrderRefund, sellerPaidOut } from "./order-refunds.js";
