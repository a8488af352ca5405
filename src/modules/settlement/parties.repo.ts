import { MAXIMUM_AMOUNT, minimumChargeAmount } from "../../adapters/payments/gateway.js";
import type { Tx } from "../../db/tenant.js";
import { defaultPaymentMethodsOf } from "../payment-methods/index.js";
import { settlementPartiesOf, stripeCustomerIdOf } from "../users/index.js";

/**
 * Who a settlement charges and pays, as the gateway knows them: a payer's Stripe customer and
 * default payment method, a payee's Connect account. Contract settlement and subscription charges
 * both check these before anyone is charged, from one read of the users' rows (the users module's)
 * and one of the payers' default payment methods (the payment-methods module's).
 */

export interface Payer {
  /** Null when they cannot be charged: no customer yet, or erased. */
  customerId: string | null;
  /** Their default payment method (`pm_…`), if any. */
  defaultPaymentMethodId: string | null;
  /** Suspended by the platform: not charged until unsuspended. */
  suspended: boolean;
}

export interface Payee {
  connectId: string | null;
  /** The account can receive transfers now: onboarding done, and the user not erased. */
  ready: boolean;
  /** Suspended by the platform: not paid until unsuspended. */
  suspended: boolean;
}

export interface Parties {
  payer(userId: string): Payer;
  payee(userId: string): Payee;
}

export async function loadParties(tx: Tx, platformId: string, who: { payers: readonly string[]; payees: readonly string[] }): Promise<Parties> {
  const users = await settlementPartiesOf(tx, platformId, [...who.payers, ...who.payees]);
  const methods = who.payers.length === 0 ? [] : await defaultPaymentMethodsOf(tx, who.payers);
  const userOf = (id: string) => users.find((u) => u.id === id);
  return {
    payer(userId) {
      const u = userOf(userId);
      return {
        customerId: u && !u.deleted ? u.stripeCustomerId : null,
        defaultPaymentMethodId: methods.find((m) => m.userId === userId)?.stripePaymentMethodId ?? null,
        suspended: !!u?.suspended,
      };
    },
    payee(userId) {
      const u = userOf(userId);
      return { connectId: u?.stripeConnectId ?? null, ready: !!u?.stripeConnectId && u.chargesEnabled && !u.deleted, suspended: !!u?.suspended };
    },
  };
}

/** The least and the most one charge may take in `currency` (Stripe's limits). */
export function chargeLimits(currency: string): { minimum: number; maximum: number } {
  return { minimum: minimumChargeAmount(currency) ?? 1, maximum: MAXIMUM_AMOUNT };
}

/** The Stripe customer on record, whatever became of the user since: an attempt under way is repeated as it was started. */
export async function customerOnRecord(tx: Tx, userId: string): Promise<string | null> {
  return stripeCustomerIdOf(tx, userId);
}
