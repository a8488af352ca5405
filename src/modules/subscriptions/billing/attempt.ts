import type { Subscription, SubscriptionCharge } from "../../../generated/prisma/client.js";
import type { Tx } from "../../../db/tenant.js";
import { ConflictError, UnprocessableError, type AppError } from "../../../lib/errors.js";
import { platformNameAndUrl } from "../../platforms/index.js";
import { chargeLimits, customerOnRecord, loadParties } from "../../settlement/index.js";
import {
  RESUME_GRACE_MS,
  TRANSFER_RETRY_MS,
  chargeKey,
  later,
  transferKey,
  type BillingContext,
  type Charge,
  type Plan,
  type StoredTerms,
  type Transfer,
  type TransferState,
} from "./plan.js";

/** Starting an attempt: what it needs, and the lease on a billed period with the plan of what is left. */

/**
 * Everything a new charge attempt needs, checked before the gateway is called: the subscriber's
 * customer and default payment method, a chargeable amount, and a Connect account able to receive
 * transfers for every seller with a share. Returns the reason it cannot start.
 */
export async function attemptInputs(
  tx: Tx,
  sub: Pick<Subscription, "id" | "userId" | "platformId" | "price" | "currency" | "terms">,
): Promise<{ ok: true; customerId: string; paymentMethodId: string } | { ok: false; error: AppError }> {
  const terms = sub.terms as unknown as StoredTerms;
  const { minimum, maximum } = chargeLimits(sub.currency);
  if (sub.price < minimum) {
    return { ok: false, error: new UnprocessableError("amount_too_small", `${sub.price}¢ is less than the ${minimum}¢ a card can be charged in ${sub.currency}.`, "price") };
  }
  if (sub.price > maximum) return { ok: false, error: new UnprocessableError("amount_too_large", `${sub.price}¢ is more than one charge can take.`, "price") };
  const sellers = terms.sellers.filter((s) => s.amount > 0).map((s) => s.user_id);
  const parties = await loadParties(tx, sub.platformId, { payers: [sub.userId], payees: sellers });
  if (parties.payer(sub.userId).suspended) {
    return { ok: false, error: new ConflictError("buyer_suspended", `The subscriber ${sub.userId} is suspended: they cannot be charged until unsuspended.`, "user_id") };
  }
  const suspendedSeller = sellers.find((id) => parties.payee(id).suspended);
  if (suspendedSeller) {
    return { ok: false, error: new ConflictError("seller_suspended", `Seller ${suspendedSeller} is suspended: they cannot be paid until unsuspended.`, "sellers") };
  }
  for (const id of sellers) {
    if (!parties.payee(id).ready) {
      return {
        ok: false,
        error: new ConflictError("seller_not_ready", `Seller ${id} cannot be paid: their Connect account cannot receive transfers (POST /v1/users/auth/bank_account).`, "sellers"),
      };
    }
  }
  const { customerId, defaultPaymentMethodId } = parties.payer(sub.userId);
  if (!customerId || !defaultPaymentMethodId) {
    return { ok: false, error: new ConflictError("no_payment_method", `${sub.userId} has no default payment method to charge (POST /v1/users/auth/payment_methods).`, "user_id") };
  }
  return { ok: true, customerId, paymentMethodId: defaultPaymentMethodId };
}

/** Where Stripe's authentication page sends the subscriber back: the platform's site, when it has one (the same for every repeat of the attempt). */
async function returnTo(tx: Tx, platformId: string): Promise<{ returnUrl?: string }> {
  const { url } = await platformNameAndUrl(tx, platformId);
  return url ? { returnUrl: url } : {};
}

/** Throws (inside the caller's transaction) when a new attempt cannot start. */
export async function assertChargeable(tx: Tx, sub: Pick<Subscription, "id" | "userId" | "platformId" | "price" | "currency" | "terms">) {
  const inputs = await attemptInputs(tx, sub);
  if (!inputs.ok) throw inputs.error;
  return inputs;
}

// ── planning (inside a transaction holding the subscription's lock) ───────────────────────────

/**
 * Takes the lease on a billed period and plans what is left of it: the charge (a new attempt, or
 * the attempt under way repeated as it was), then the transfers not yet made.
 */
export async function claim(
  ctx: BillingContext,
  tx: Tx,
  sub: Subscription,
  row: SubscriptionCharge,
  newAttempt: { customerId: string; paymentMethodId: string } | null,
  requestId: string | null,
): Promise<Plan | null> {
  const { clock, log, leaseMs } = ctx;
  const now = clock.now();
  const transfers = row.transfers as unknown as TransferState[];
  const leaseId = ctx.leases.newLeaseId();
  const lockedUntil = later(now, leaseMs);
  const charges: Charge[] = [];
  if (!row.stripePaymentIntentId) {
    let paymentMethodId = row.attemptPaymentMethodId;
    let customerId: string | null;
    if (paymentMethodId === null) {
      if (!newAttempt) return null;
      paymentMethodId = newAttempt.paymentMethodId;
      customerId = newAttempt.customerId;
    } else {
      // The attempt under way is repeated as it was started: the same request under the same key.
      customerId = await customerOnRecord(tx, sub.userId);
      if (!customerId) return null;
    }
    charges.push({
      amount: row.amount,
      customerId,
      paymentMethodId,
      attempt: row.attempts,
      idempotencyKey: chargeKey(row.transferGroup, row.attempts),
      metadata: { subscription_id: sub.id, platform_id: sub.platformId, mode: sub.mode, user_id: sub.userId, period: String(row.period), attempt: String(row.attempts) },
      // An attempt asking the subscriber to authenticate (billing/authentication.ts): Stripe's page sends them back to the platform.
      ...(row.attemptOnSession ? { onSession: await returnTo(tx, sub.platformId) } : {}),
    });
  }
  const owed = transfers.filter((t) => t.amount > 0 && !t.stripeTransferId);
  const parties = await loadParties(tx, sub.platformId, { payers: [], payees: owed.map((t) => t.user_id) });
  const planned: Transfer[] = [];
  for (const t of owed) {
    const destination = parties.payee(t.user_id).connectId;
    // A seller who lost their account since: charging still waits for nobody, the transfer for them.
    if (!destination) {
      if (charges.length > 0) continue;
      log.warn({ subscriptionId: sub.id, period: row.period, sellerUserId: t.user_id }, "a renewal's seller has no Connect account: their transfer waits");
      await tx.subscription.update({ where: { id: sub.id }, data: { nextAttemptAt: later(now, TRANSFER_RETRY_MS) } });
      return null;
    }
    planned.push({
      sellerUserId: t.user_id,
      amount: t.amount,
      destination,
      attempt: t.attempts,
      idempotencyKey: transferKey(row.transferGroup, t.user_id, t.attempts),
      metadata: { subscription_id: sub.id, platform_id: sub.platformId, mode: sub.mode, user_id: t.user_id, period: String(row.period) },
    });
  }
  await tx.subscriptionCharge.update({
    where: { id: row.id },
    data: { leaseId, lockedUntil, ...(charges.length > 0 ? { attemptPaymentMethodId: charges[0]!.paymentMethodId, lastAttempt: now } : {}) },
  });
  // Should this charger die, the sweep looks again once the lease lapsed.
  await tx.subscription.update({ where: { id: sub.id }, data: { nextAttemptAt: later(lockedUntil, RESUME_GRACE_MS) } });
  return {
    platformId: sub.platformId,
    mode: sub.mode,
    subscriptionId: sub.id,
    contractId: sub.contractId,
    userId: sub.userId,
    rowId: row.id,
    period: row.period,
    transferGroup: row.transferGroup,
    currency: row.currency,
    amount: row.amount,
    leaseId,
    requestId,
    charges,
    transfers: planned,
  };
}
