import type { PaymentsGateway } from "../../../adapters/payments/gateway.js";
import type { Db } from "../../../db/client.js";
import type { Tenant, Tx } from "../../../db/tenant.js";
import type { Transaction } from "../../../generated/prisma/client.js";
import type { RecordEventInput } from "../../events/index.js";
import { NotFoundError } from "../../../lib/errors.js";
import type { Clock } from "../../../lib/time.js";

/** What every refund operation works with. */
export interface RefundsContext {
  db: Db;
  payments: Pick<PaymentsGateway, "createRefund" | "retrieveRefund" | "createTransferReversal" | "createTransfer">;
  clock: Clock;
}

export interface RefundInput {
  /** Cents; default all that is left to refund. */
  amount?: number;
  description?: string | null;
  /** A refund of these sellers' items: their transfers are reversed, not the others' (`plan.ts`, `refundWeights`). */
  sellerUserIds?: readonly string[] | null;
  /**
   * Runs inside the refund's reservation, under its locks, once its rows are written (the refund
   * requests module records the approval there): throwing undoes the refund before any money moves.
   * Answers the events of its changes, recorded after the refund's.
   */
  within?: (tx: Tx, refund: { refundId: string; charge: Transaction }) => Promise<RecordEventInput[]>;
}

/** When a refund's gateway calls did not finish in the request, the job finishes them this much later. */
export const REFUND_RESUME_DELAY_MS = 60_000;

export async function retrieve(db: Db, tenant: Tenant, id: string): Promise<Transaction> {
  const found = await db.transaction.findFirst({ where: { id, platformId: tenant.platformId, mode: tenant.mode } });
  if (!found) throw new NotFoundError("transaction", id, "id");
  return found;
}

/** The refund's rows: its `incoming:refund` first, then the reversals and fee refunds in the order they were split. */
export async function refundRows(client: Db | Tx, refundId: string): Promise<Transaction[]> {
  const head = await client.transaction.findUniqueOrThrow({ where: { id: refundId } });
  const rest = await client.transaction.findMany({
    where: { platformId: head.platformId, transferGroup: head.transferGroup, contractId: head.contractId, idempotencyKey: { startsWith: `refund:${refundId}:` } },
    orderBy: { idempotencyKey: "asc" },
  });
  return [head, ...rest];
}
