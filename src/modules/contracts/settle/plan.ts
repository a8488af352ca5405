import type { FastifyBaseLogger } from "fastify";
import type { PaymentIntent, PaymentsGateway } from "../../../adapters/payments/gateway.js";
import type { Db } from "../../../db/client.js";
import type { Tenant, Tx } from "../../../db/tenant.js";
import type { Mode } from "../../../generated/prisma/enums.js";
import { enqueue } from "../../../jobs/queue.js";
import type { LeaseHolder } from "../../../lib/lease-holder.js";
import type { Clock } from "../../../lib/time.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { PurchaseGate } from "../operations/shared.js";
import type { BaseRates, EngineCharge, EngineTransfer } from "../../settlement/index.js";
import type { ContractResponse } from "../contracts.schemas.js";
import type { HoldRules } from "../stock-holds.js";

/** What every step of a contract's settlement works with. */
export interface SettleContext {
  db: Db;
  payments: Pick<PaymentsGateway, "createPaymentIntent" | "createTransfer" | "capturePaymentIntent" | "cancelPaymentIntent" | "createRefund" | "retrievePaymentIntent">;
  clock: Clock;
  rates: BaseRates;
  leaseMs: number;
  /** Names this node's boot in every lease it takes. */
  leases: LeaseHolder;
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
  holds: HoldRules;
  /** Whether live subscriptions bill this contract (the subscriptions module answers). */
  billedBySubscriptions(tx: Tx, contractId: string): Promise<boolean>;
  /** The subscription gate on buying (the subscriptions module answers): 402 when the caller may not buy these products. */
  purchaseGate: PurchaseGate;
}

/**
 * Who settles: a request (with its caller's rights), the resume job (which only finishes what was
 * started), the order lifecycle (a seller accepting: the capture), or an on-session checkout — one buyer paying their share with them present
 * (settle/checkout.ts), where 3-D Secure may ask them to authenticate.
 */
export type Settler =
  | { kind: "request"; auth: AuthContext }
  | { kind: "job" }
  | { kind: "checkout"; auth: AuthContext; buyerUserId: string | null }
  | { kind: "order"; requestId: string | null };

export interface SettlementResult {
  contract: ContractResponse;
  /** False while a payment is still processing at Stripe (a bank debit) or waits for the buyer (3-D Secure): a webhook finishes it. */
  complete: boolean;
  /** The charge Stripe did not finish (a checkout's `requires_action`), as the engine last saw it. */
  pending?: PaymentIntent;
}

export interface Charge extends EngineCharge {
  buyerUserId: string;
  attempt: number;
}

export interface Transfer extends EngineTransfer {
  sellerUserId: string;
  attempt: number;
}

export interface Plan extends Tenant {
  contractId: string;
  currency: string;
  leaseId: string;
  charges: Charge[];
  transfers: Transfer[];
  /** `charge` (today's flow), `authorise` (manual capture, before the seller accepted), `capture` (after). */
  phase: "charge" | "authorise" | "capture";
  /** Sellers are paid later (settle/release.ts): this settlement ends with the buyers' money in. */
  holdFunds: boolean;
  /** The request settling, for the events (null for the job). */
  requestId: string | null;
  /** A checkout of one buyer while others still owe: no transfers; the contract is `open` again after the charge. */
  partial: boolean;
}

/** Longer than any gateway call takes with its retries (Stripe: 3 × 8 s): a step still running after it is taken for dead. */
export const MAX_STEP_MS = 45_000;

/** How long after a lease would expire the resume job looks at the contract. */
export const RESUME_GRACE_MS = 5_000;

/** One capture per buyer's authorisation: two accepts, or a resumed one, capture once. */
export const captureKey = (contractId: string, buyerUserId: string) => `contract:${contractId}:buyer:${buyerUserId}:capture`;
export const chargeKey = (contractId: string, buyerUserId: string, attempt: number) => `contract:${contractId}:buyer:${buyerUserId}:attempt:${attempt}`;
/** The spec's key for the first transfer; a transfer Stripe refused (and so never made) is retried under a new one. */
export const transferKey = (contractId: string, sellerUserId: string, attempt: number) =>
  attempt === 0 ? `contract:${contractId}:seller:${sellerUserId}:transfer` : `contract:${contractId}:seller:${sellerUserId}:transfer:attempt:${attempt}`;

export interface SettleContractJob {
  contractId: string;
  platformId: string;
  mode: Mode;
}

export const later = (clock: Clock, ms: number) => new Date(clock.now().getTime() + ms);

/** `runAt` undefined: at once (the database's now). */
export async function queueResume(tx: Tx, tenant: Tenant, contractId: string, runAt: Date | undefined): Promise<void> {
  const job: SettleContractJob = { contractId, platformId: tenant.platformId, mode: tenant.mode };
  await enqueue(tx, "settle-contract", job, { runAt, jobKey: `settle-contract:${contractId}`, maxAttempts: 10 });
}

/** The order's jobs (operations/fulfilment.ts, settle/release.ts, settle/unwind.ts): one pending per contract and kind. */
export type OrderJobName = "expire-order" | "complete-order" | "release-funds" | "unwind-order";

export interface OrderJob {
  contractId: string;
  platformId: string;
  mode: Mode;
}

/** `runAt` undefined: at once. */
export async function queueOrderJob(tx: Tx, tenant: Tenant, name: OrderJobName, contractId: string, runAt: Date | undefined): Promise<void> {
  const job: OrderJob = { contractId, platformId: tenant.platformId, mode: tenant.mode };
  await enqueue(tx, name, job, { runAt, jobKey: `${name}:${contractId}`, maxAttempts: 10 });
}
