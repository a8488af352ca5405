import type { Tenant, Tx } from "../../../db/tenant.js";
import type { PaymentIntentOutcome } from "../../../generated/prisma/client.js";
import type { Mode } from "../../../generated/prisma/enums.js";
import { loadState } from "../contracts.repo.js";
import { markBuyerAuthorized, markBuyerPaid, recordContractEvent } from "./charges.js";
import { queueResume, type SettleContext } from "./plan.js";

/**
 * The PaymentOutcomeHandler (stripe-webhooks.service.ts): `payment_intent.succeeded` /
 * `payment_failed` for a contract's charge, inside the webhook's transaction. A success records
 * the buyer's payment (e.g. a charge that went through after our node died), and when every
 * buyer has paid queues the job that finishes the settlement; a failure ends that attempt. An
 * authorisation (`requires_capture`: manual capture, after the buyer authenticated it on-session)
 * records the buyer's card as authorised, and once every buyer's is, queues the job that puts the
 * order before the seller (`authorized`, awaiting acceptance).
 */
export async function onPaymentOutcome(ctx: SettleContext, outcome: PaymentIntentOutcome, tx: Tx): Promise<void> {
  const { clock } = ctx;
  const metadata = (outcome.metadata ?? {}) as Record<string, unknown>;
  const contractId = typeof metadata.contract_id === "string" ? metadata.contract_id : null;
  const buyerUserId = typeof metadata.user_id === "string" ? metadata.user_id : null;
  const platformId = typeof metadata.platform_id === "string" ? metadata.platform_id : null;
  const mode: Mode | null = metadata.mode === "test" || metadata.mode === "live" ? metadata.mode : null;
  if (!contractId || !buyerUserId || !platformId || !mode) return;
  // The buyer the intent names must be the platform's; the webhook service found them from the same metadata.
  if (outcome.platformId !== platformId) return;
  const tenant: Tenant = { platformId, mode };
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM contracts WHERE id = ${contractId} AND platform_id = ${platformId} AND mode = ${mode}::"Mode" FOR UPDATE`;
  if (rows.length === 0) return;
  const c = await loadState(tx, contractId);
  if (outcome.status === "succeeded") {
    const recorded = await markBuyerPaid(ctx, tx, c, buyerUserId, { id: outcome.id, chargeId: outcome.chargeId, amount: outcome.amount, currency: outcome.currency }, null);
    if (recorded && c.status !== "paid" && c.buyers.every((b) => b.amountPaid >= b.amountDue)) await queueResume(tx, tenant, c.id, clock.now());
    // A checkout's share paid after 3-D Secure while other buyers still owe: open again, as a settlement some buyers paid is.
    else if (recorded && c.status === "processing" && !isLeased(c, clock.now())) await tx.contract.update({ where: { id: c.id }, data: { status: "open" } });
    return;
  }
  if (outcome.status === "requires_capture") {
    const recorded = await markBuyerAuthorized(ctx, tx, c, buyerUserId, { id: outcome.id, chargeId: outcome.chargeId, amount: outcome.amount });
    if (!recorded || c.status !== "processing") return;
    if (c.buyers.every((b) => b.amountPaid + b.amountAuthorized >= b.amountDue)) await queueResume(tx, tenant, c.id, clock.now());
    // One buyer's share authorised while others still owe: open again for their checkouts.
    else if (!isLeased(c, clock.now())) await tx.contract.update({ where: { id: c.id }, data: { status: "open" } });
    return;
  }
  if (outcome.status === "requires_payment_method" || outcome.status === "canceled") {
    const attempt = Number(metadata.attempt);
    if (!Number.isInteger(attempt)) return;
    const now = clock.now();
    const ended = await tx.contractBuyer.updateMany({
      where: { contractId: c.id, userId: buyerUserId, attempts: attempt, amountPaid: 0 },
      data: { attempts: attempt + 1, attemptPaymentMethodId: null, attemptOnSession: false, actionPaymentIntentId: null, lastPaymentAttempt: now },
    });
    if (ended.count === 0) return;
    await tx.contract.update({ where: { id: c.id }, data: { lastPaymentAttempt: now } });
    // No settler at work: the contract is open to be settled again.
    const settling = isLeased(c, now);
    if (c.status === "processing" && !settling) await tx.contract.update({ where: { id: c.id }, data: { status: "open", settlementLeaseId: null, settlementLockedUntil: null } });
    await recordContractEvent(tx, tenant, c.id, "contract.payment_failed", null);
  }
}

const isLeased = (c: { settlementLockedUntil: Date | null }, now: Date) => c.settlementLockedUntil !== null && c.settlementLockedUntil.getTime() > now.getTime();
