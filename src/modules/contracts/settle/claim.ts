import type { Tenant } from "../../../db/tenant.js";
import { AppError, ConflictError, UnprocessableError } from "../../../lib/errors.js";
import { chargeLimits, loadParties } from "../../settlement/index.js";
import { assertConsent, assertMaySettle, isUnlocked } from "../contracts.state.js";
import { loadState, lockContract, rebalanceAndStore } from "../contracts.repo.js";
import { holdUntil, retakeHolds } from "../stock-holds.js";
import { gateBuyer } from "../operations/shared.js";
import { assertMayCheckout, awaitingAuthentication, checkoutBuyers, checkoutConsent } from "./checkout-rules.js";
import { orderSettings } from "../../platforms/index.js";
import { orderStateError } from "../orders.state.js";
import { RESUME_GRACE_MS, captureKey, chargeKey, queueResume, transferKey, type Charge, type Plan, type SettleContext, type Settler, type Transfer } from "./plan.js";

/**
 * Step 1, in one transaction under the contract's row lock: check everything that could stop the
 * settlement before anyone is charged, fix each pending attempt's payment method, take the lease
 * (status `processing`) and queue the job that resumes it should this settler die.
 */
export async function claim(ctx: SettleContext, tenant: Tenant, id: string, settler: Settler): Promise<Plan | null> {
  const { clock, holds, rates, leaseMs } = ctx;
  return ctx.db.$transaction(async (tx) => {
    let c = await lockContract(tx, tenant, id);
    if (settler.kind === "request") assertMaySettle(settler.auth, c);
    if (settler.kind === "checkout") assertMayCheckout(settler.auth, c, settler.buyerUserId);
    if (c.status === "paid") throw new ConflictError("already_paid", `${c.id} is already paid.`, "id");
    if (c.status === "void" || c.status === "uncollectible") throw new ConflictError("contract_not_payable", `${c.id} is ${c.status}: it cannot be settled.`, "id");
    // A buyer authenticating a charge (3-D Secure) holds the contract until its webhook: only their own checkout goes on (it answers the same charge).
    const gate = awaitingAuthentication(c, settler);
    if (gate === "wait") return null;
    if (c.status === "authorized" || c.status === "disputed") {
      if (settler.kind === "job" || settler.kind === "order") return null;
      throw orderStateError(c, "settled", "while draft or open");
    }
    // A contract its buyers subscribed to is billed by the subscriptions, cycle by cycle; settling it too would charge twice.
    if (c.status !== "processing" && (await ctx.billedBySubscriptions(tx, c.id))) {
      throw new ConflictError("contract_has_subscriptions", `${c.id} is billed by its subscriptions: it is not settled on its own.`, "id");
    }
    const now = clock.now();
    if (c.settlementLockedUntil && c.settlementLockedUntil.getTime() > now.getTime()) {
      if (settler.kind === "job" || settler.kind === "order") {
        await queueResume(tx, tenant, c.id, new Date(c.settlementLockedUntil.getTime() + RESUME_GRACE_MS));
        return null;
      }
      throw new AppError(409, "invalid_request_error", "settlement_in_progress", `${c.id} is being settled right now. Retry when that settlement is over.`, {
        param: "id",
        headers: { "retry-after": String(Math.max(1, Math.ceil((c.settlementLockedUntil.getTime() - now.getTime()) / 1000))) },
      });
    }
    // The job finishes settlements that were started (or whose buyers have all paid); it never starts one.
    if ((settler.kind === "job" || settler.kind === "order") && c.status !== "processing" && c.buyers.some((b) => b.amountPaid < b.amountDue)) return null;
    // Figures follow the current rates until something is paid.
    const fresh = isUnlocked(c);
    if (fresh) {
      // What it buys is held again (an expired hold takes its stock anew, or 409) and stays held while it settles.
      await retakeHolds(tx, c.id, now, holdUntil(holds, now));
      await rebalanceAndStore(tx, c, rates);
      c = await loadState(tx, id);
    }
    const missing = c.buyers.length === 0 ? "buyers" : c.sellers.length === 0 ? "sellers" : c.total <= 0 ? "items" : null;
    if (missing) {
      const what = { buyers: "no buyer", sellers: "no seller", items: "nothing to pay (its total is 0)" }[missing];
      throw new UnprocessableError("contract_incomplete", `${c.id} has ${what}: a contract is settled with at least one buyer, one seller and a positive total.`, missing);
    }
    // Whom this settlement may charge, checked on the figures just rebalanced. A settlement under
    // way (`processing`: nothing can change its figures) goes on under the consent it was started
    // with; the job never starts one.
    if (settler.kind === "checkout" && c.status !== "processing") await checkoutConsent(ctx, tx, settler, c);
    if (settler.kind === "request" && c.status !== "processing") {
      assertConsent(settler.auth, c);
      // A buyer who still owes and settles themself is buying: the subscription gate.
      const caller = settler.auth.user?.id;
      if (c.buyers.some((b) => b.userId === caller && b.amountPaid < b.amountDue)) await gateBuyer(ctx, tx, settler.auth, c);
    }

    // How it runs is fixed when it starts (nothing paid or authorised yet), from the platform's order settings.
    if (fresh) {
      const settings = await orderSettings(tx, c.platformId);
      if (settings.requireSellerAcceptance !== c.captureManual || settings.holdFunds !== c.holdFunds) {
        await tx.contract.update({ where: { id: c.id }, data: { captureManual: settings.requireSellerAcceptance, holdFunds: settings.holdFunds } });
        c = { ...c, captureManual: settings.requireSellerAcceptance, holdFunds: settings.holdFunds };
      }
    }
    // Manual capture: first every card is authorised; once the seller accepted (`orderStatus` accepted), each is captured.
    const phase: Plan["phase"] = !c.captureManual ? "charge" : c.orderStatus === "accepted" ? "capture" : "authorise";
    // A checkout pays one buyer's share; the sellers are paid once every buyer has.
    const mine = checkoutBuyers(c, settler);
    // A buyer whose card is authorised already counts as done while the order is being authorised.
    const partial = c.buyers.some((b) => b.amountPaid < b.amountDue && !(phase === "authorise" && b.amountAuthorized > 0) && !mine.includes(b));
    const owing = mine.filter((b) => phase !== "authorise" || b.amountAuthorized === 0);
    const owed = phase === "authorise" || c.holdFunds ? [] : c.sellers.filter((s) => s.amountReceived < s.amountOwed);
    const parties = await loadParties(tx, c.platformId, { payers: owing.map((b) => b.userId), payees: owed.map((s) => s.userId) });

    // Everything that would stop the settlement half-way is checked before anyone is charged.
    // A suspended party stops a settlement from starting; one under way (someone was charged) is finished.
    if (c.status !== "processing") {
      const buyer = owing.find((b) => parties.payer(b.userId).suspended);
      if (buyer) throw new ConflictError("buyer_suspended", `Buyer ${buyer.userId} is suspended: they cannot be charged until unsuspended.`, "buyers");
      const seller = owed.find((s) => parties.payee(s.userId).suspended);
      if (seller) throw new ConflictError("seller_suspended", `Seller ${seller.userId} is suspended: they cannot be paid until unsuspended.`, "sellers");
    }
    for (const s of owed) {
      const payee = parties.payee(s.userId);
      if (!payee.ready) {
        throw new ConflictError(
          "seller_not_ready",
          `Seller ${s.userId} cannot be paid: ${!payee.connectId ? "they have no Connect account (POST /v1/users/auth/bank_account)" : "their Connect account cannot receive transfers yet (onboarding unfinished)"}.`,
          "sellers",
        );
      }
    }
    const { minimum, maximum } = chargeLimits(c.currency);
    const charges: Charge[] = [];
    for (const b of owing) {
      if (phase === "capture") {
        if (b.amountAuthorized === 0 || !b.stripePaymentIntentId) throw new Error(`buyer ${b.userId} of ${c.id} has no authorisation to capture`);
        charges.push({
          buyerUserId: b.userId,
          amount: b.amountAuthorized,
          customerId: "",
          paymentMethodId: "",
          attempt: b.attempts,
          capture: b.stripePaymentIntentId,
          idempotencyKey: captureKey(c.id, b.userId),
          metadata: {},
        });
        continue;
      }
      const left = b.amountDue - b.amountPaid;
      if (left < minimum) {
        throw new UnprocessableError(
          "amount_too_small",
          `Buyer ${b.userId} owes ${left}¢, less than the ${minimum}¢ a card can be charged in ${c.currency}: pin their amount due higher or remove them.`,
          "dueAmount",
        );
      }
      if (left > maximum) {
        throw new UnprocessableError("amount_too_large", `Buyer ${b.userId} owes ${left}¢, more than the ${maximum}¢ one charge can take: split it over more buyers.`, "dueAmount");
      }
      const payer = parties.payer(b.userId);
      const paymentMethodId = b.attemptPaymentMethodId ?? payer.defaultPaymentMethodId;
      const customerId = payer.customerId;
      if (!customerId || !paymentMethodId) {
        throw new ConflictError("no_payment_method", `Buyer ${b.userId} has no default payment method to charge (POST /v1/users/auth/payment_methods).`, "buyers");
      }
      // The attempt's payment method is fixed now: a resumed attempt must send Stripe the same request.
      // A checkout is on-session, an authorisation (seller acceptance) too: 3-D Secure completing it leaves the intent
      // `requires_capture`, which its webhook (`payment_intent.amount_capturable_updated`) records (settle/payment-outcome.ts).
      const onSession = b.attemptPaymentMethodId === null ? settler.kind === "checkout" : b.attemptOnSession;
      if (b.attemptPaymentMethodId === null) {
        await tx.contractBuyer.update({ where: { id: b.id }, data: { attemptPaymentMethodId: paymentMethodId, attemptOnSession: onSession } });
      }
      charges.push({
        buyerUserId: b.userId,
        amount: left,
        customerId,
        paymentMethodId,
        attempt: b.attempts,
        idempotencyKey: chargeKey(c.id, b.userId, b.attempts),
        metadata: { contract_id: c.id, platform_id: c.platformId, mode: c.mode, user_id: b.userId, attempt: String(b.attempts) },
        // The buyer is there to authenticate: no return URL, so a repeat is the same request (Stripe.js confirms it with the client secret).
        ...(onSession ? { onSession: {} } : {}),
        ...(phase === "authorise" ? { captureMethod: "manual" as const } : {}),
      });
    }
    const transfers: Transfer[] = (partial ? [] : owed).map((s) => ({
      sellerUserId: s.userId,
      amount: s.amountOwed - s.amountReceived,
      destination: parties.payee(s.userId).connectId!,
      attempt: s.transferAttempts,
      idempotencyKey: transferKey(c.id, s.userId, s.transferAttempts),
      metadata: { contract_id: c.id, platform_id: c.platformId, mode: c.mode, user_id: s.userId },
    }));

    const leaseId = ctx.leases.newLeaseId();
    const lockedUntil = new Date(now.getTime() + leaseMs);
    await tx.contract.update({ where: { id: c.id }, data: { status: "processing", settlementLeaseId: leaseId, settlementLockedUntil: lockedUntil } });
    // Should this settler die, the job resumes after the lease expired.
    await queueResume(tx, tenant, c.id, new Date(lockedUntil.getTime() + RESUME_GRACE_MS));
    return {
      ...tenant,
      contractId: c.id,
      currency: c.currency,
      leaseId,
      charges,
      transfers,
      phase,
      holdFunds: c.holdFunds,
      partial,
      requestId: settler.kind === "request" || settler.kind === "checkout" ? settler.auth.requestId : settler.kind === "order" ? settler.requestId : null,
    };
  });
}
