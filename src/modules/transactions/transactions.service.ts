import type { PaymentsGateway } from "../../adapters/payments/gateway.js";
import type { Db } from "../../db/client.js";
import type { Prisma } from "../../db/client.js";
import type { Transaction } from "../../generated/prisma/client.js";
import { NotFoundError } from "../../lib/errors.js";
import { pageMeta, pageWindow, parseSort, type Page } from "../../lib/pagination.js";
import type { Clock } from "../../lib/time.js";
import { currencyTotals, wantsMetadata } from "../../lib/list-metadata.js";
import { createRefunds, findTransaction, pageTransactions, toDbType, toTransactionResponse, transactionTotals } from "../settlement/index.js";
import { TRANSACTION_TOTALS } from "./transactions.schemas.js";
import type { ListTransactionsQuery } from "./transactions.schemas.js";
import type { Tenant } from "../../db/tenant.js";

export type { Tenant };
export { toTransactionResponse };

/**
 * The ledger's read side: a transaction, a page of them; refunds are the settlement module's
 * (`createRefunds`), reached through here for the routes and the `complete-refund` job.
 */

export function createTransactionsService(deps: {
  db: Db;
  payments: Pick<PaymentsGateway, "createRefund" | "retrieveRefund" | "createTransferReversal" | "createTransfer">;
  clock: Clock;
}) {
  const { db } = deps;
  const refunds = createRefunds(deps);

  async function retrieve(tenant: Tenant, id: string): Promise<Transaction> {
    const found = await findTransaction(db, tenant, id);
    if (!found) throw new NotFoundError("transaction", id, "id");
    return found;
  }

  return {
    retrieve,

    async list(tenant: Tenant, query: ListTransactionsQuery): Promise<Page<Transaction> & { metadata?: ReturnType<typeof currencyTotals<typeof TRANSACTION_TOTALS>> }> {
      const where: Prisma.TransactionWhereInput = {
        ...(query["filter[type]"] ? { type: { in: query["filter[type]"].map(toDbType) } } : {}),
        ...(query["filter[status]"] ? { status: { in: query["filter[status]"] } } : {}),
        ...(query["filter[buyer_user_id]"] ? { buyerUserId: { in: query["filter[buyer_user_id]"] } } : {}),
        ...(query["filter[seller_user_id]"] ? { sellerUserId: { in: query["filter[seller_user_id]"] } } : {}),
        ...(query["filter[contract_id]"] ? { contractId: { in: query["filter[contract_id]"] } } : {}),
        ...(query["filter[subscription_id]"] ? { subscriptionId: { in: query["filter[subscription_id]"] } } : {}),
        ...(query["filter[refund_of]"] ? { refundOfId: { in: query["filter[refund_of]"] } } : {}),
        ...(query["filter[currency]"] ? { currency: { in: query["filter[currency]"] } } : {}),
        ...(query.from || query.to ? { created: { ...(query.from ? { gte: query.from } : {}), ...(query.to ? { lt: query.to } : {}) } } : {}),
      };
      const { field, direction } = parseSort<"created" | "amount">(query.sort);
      const orderBy: Prisma.TransactionOrderByWithRelationInput[] = [{ [field]: direction }, { id: direction }];
      const [{ total, data }, groups] = await Promise.all([
        pageTransactions(db, tenant, where, orderBy, pageWindow(query.page, query.per_page)),
        wantsMetadata(query) ? transactionTotals(db, tenant, where) : null,
      ]);
      const page = { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
      return groups ? { ...page, metadata: currencyTotals(groups, TRANSACTION_TOTALS) } : page;
    },

    /**
     * Refunds an `incoming` transaction (default: all of it that is left) and reverses its
     * settlement in proportion: the settlement module's `refund`.
     */
    refund: refunds.refund,

    /** The `complete-refund` job. */
    resumeRefund: refunds.resumeRefund,

    /** Stripe's refund webhooks: the stripe-webhooks module's RefundOutcomeHandler. */
    onRefundOutcome: refunds.onRefundOutcome,

    /** Stripe's dispute webhooks: the ledger's DisputeHandler. */
    onDispute: refunds.onDispute,
  };
}

export type TransactionsService = ReturnType<typeof createTransactionsService>;
