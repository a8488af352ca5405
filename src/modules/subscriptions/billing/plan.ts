import type { FastifyBaseLogger } from "fastify";
import type { PaymentsGateway } from "../../../adapters/payments/gateway.js";
import type { Db } from "../../../db/client.js";
import type { Tenant } from "../../../db/tenant.js";
import type { SubscriptionTerms } from "../../../domain/fees/index.js";
import type { Mode } from "../../../generated/prisma/enums.js";
import type { LeaseHolder } from "../../../lib/lease-holder.js";
import { toApiDate, type Clock } from "../../../lib/time.js";
import type { EngineCharge, EngineTransfer } from "../../settlement/index.js";

/** What every billing operation works with. */
export interface BillingContext {
  db: Db;
  payments: Pick<PaymentsGateway, "createPaymentIntent" | "createTransfer">;
  clock: Clock;
  leaseMs: number;
  /** Names this node's boot in every lease it takes. */
  leases: LeaseHolder;
  /** Seconds before each retry of a declined renewal. */
  retrySchedule: readonly number[];
  log: Pick<FastifyBaseLogger, "info" | "warn" | "error">;
}

/** `terms` as stored. */
export interface StoredTerms {
  sellers: { user_id: string; amount: number }[];
  fees: { stripe: number; candle: number; platform: number };
}

/** A seller's payout of one billed period, as stored in `subscription_charges.transfers`. */
export interface TransferState {
  user_id: string;
  amount: number;
  stripeTransferId: string | null;
  attempts: number;
}

export const storedTerms = (terms: SubscriptionTerms): StoredTerms => ({ sellers: terms.sellers.map((s) => ({ user_id: s.userId, amount: s.amount })), fees: terms.fees });

export const transferGroupOf = (subscriptionId: string, periodStart: Date) => `${subscriptionId}:${toApiDate(periodStart)}`;
export const chargeKey = (transferGroup: string, attempt: number) => (attempt === 0 ? transferGroup : `${transferGroup}:attempt:${attempt}`);
export const transferKey = (transferGroup: string, sellerUserId: string, attempt: number) =>
  attempt === 0 ? `${transferGroup}:seller:${sellerUserId}:transfer` : `${transferGroup}:seller:${sellerUserId}:transfer:attempt:${attempt}`;

export interface RenewSubscriptionJob {
  subscriptionId: string;
  platformId: string;
  mode: Mode;
}

export interface Charge extends EngineCharge {
  attempt: number;
}

export interface Transfer extends EngineTransfer {
  sellerUserId: string;
  attempt: number;
}

/** One billed period's remaining work, under a lease. */
export interface Plan extends Tenant {
  subscriptionId: string;
  contractId: string;
  userId: string;
  rowId: string;
  period: number;
  transferGroup: string;
  currency: string;
  amount: number;
  leaseId: string;
  requestId: string | null;
  charges: Charge[];
  transfers: Transfer[];
}

/** Longer than any gateway call takes with its retries (Stripe: 3 × 8 s): a step still running after it is taken for dead. */
export const MAX_STEP_MS = 45_000;

/** How long after a lease would lapse the sweep looks again. */
export const RESUME_GRACE_MS = 5_000;
/** How many periods one job brings up to date before it leaves the rest to the next sweep. */
export const MAX_STEPS_PER_RUN = 50;
/** Subscriptions one sweep queues. */
export const SWEEP_BATCH = 500;
/** When a renewal's transfer is refused (its charge kept), the next look. */
export const TRANSFER_RETRY_MS = 3_600_000;

export const later = (now: Date, ms: number) => new Date(now.getTime() + ms);
