import { CardError, PaymentsRequestError } from "../errors.js";
import type { SimPaymentIntent, SimRefund } from "../../../generated/prisma/client.js";
import { minimumChargeAmount, type Dispute, type Metadata, type PaymentIntent, type Refund } from "../gateway.js";
import { TEST_PAYMENT_METHODS } from "./test-methods.js";
import { Simulator } from "./simulator.js";
import { randomBase62 } from "../../../lib/crypto.js";
import { assertAmount, assertCurrency, chargeablePaymentMethod, missing, money, stripeId, toPaymentIntent } from "./helpers.js";
import { authenticationUrl } from "./authentication.js";
import type { OfflinePaymentsGateway } from "./types.js";

/** Payment intents (charges) and refunds. */
export function chargesOperations(
  sim: Simulator,
): Pick<OfflinePaymentsGateway, "createPaymentIntent" | "retrievePaymentIntent" | "createRefund" | "retrieveRefund" | "finishRefund" | "retrieveDispute" | "finishDispute"> {
  const { db, idempotent, customerOrFail, paymentIntentOrFail } = sim;
  return {
    createPaymentIntent: async ({ amount, currency, customerId, paymentMethodId, transferGroup, captureMethod, metadata, idempotencyKey, onSession }) => {
      let disputed: SimPaymentIntent | null = null;
      const manual = captureMethod === "manual";
      const answer = await idempotent(
        idempotencyKey,
        "payment_intents.create",
        {
          amount,
          currency,
          customerId,
          paymentMethodId,
          transferGroup: transferGroup ?? null,
          metadata,
          ...(manual ? { captureMethod } : {}),
          ...(onSession ? { onSession } : {}),
        },
        async (tx, now): Promise<PaymentIntent> => {
          assertCurrency(currency);
          assertAmount(amount);
          const minimum = minimumChargeAmount(currency);
          if (minimum !== undefined && amount < minimum) {
            throw new PaymentsRequestError("amount_too_small", `Amount must be at least ${minimum} ${currency} (minor units).`, { param: "amount" });
          }
          await customerOrFail(tx, customerId, "customer");
          const pm = await chargeablePaymentMethod(tx, customerId, paymentMethodId, now);
          const test = TEST_PAYMENT_METHODS[pm.token];
          // On-session, a card that wants 3-D Secure waits for its holder (the authentication page) instead of declining.
          const authenticate = onSession !== undefined && test?.authentication !== undefined;
          const decline = authenticate ? undefined : test?.decline;
          // An authorisation is disputed only once captured: the simulator disputes immediate charges alone.
          const disputes = !decline && !authenticate && !manual && test?.disputed === true;
          const id = stripeId("pi");
          const clientSecret = onSession ? `${id}_secret_${randomBase62(24)}` : null;
          const intent = await tx.simPaymentIntent.create({
            data: {
              id,
              customerId,
              paymentMethodId: pm.id,
              amount,
              currency,
              status: authenticate ? "requires_action" : decline ? "requires_payment_method" : manual ? "requires_capture" : "succeeded",
              chargeId: stripeId("ch"),
              // An authorisation's charge exists uncaptured: nothing can be refunded or transferred from it yet.
              chargeSucceeded: !decline && !authenticate && !manual,
              clientSecret,
              returnUrl: onSession?.returnUrl ?? null,
              captureMethod: manual ? "manual" : "automatic",
              ...(disputes ? { disputeId: stripeId("dp"), disputeStatus: "needs_response" } : {}),
              transferGroup: transferGroup ?? null,
              metadata,
              errorCode: decline?.code ?? null,
              declineCode: decline?.declineCode ?? null,
              errorMessage: decline?.message ?? null,
              created: now,
            },
          });
          if (decline) throw new CardError({ ...decline, paymentIntentId: intent.id, chargeId: intent.chargeId });
          if (disputes) disputed = intent;
          return onSession
            ? { ...toPaymentIntent(intent), clientSecret, nextActionUrl: authenticate ? authenticationUrl(sim.publicUrl, intent.id, clientSecret!) : null }
            : toPaymentIntent(intent);
        },
      );
      // The buyer disputes it right away: Stripe's `charge.dispute.created`, sent once (not on an idempotent replay).
      if (disputed) sim.emit(sim.signedEvent("charge.dispute.created", disputeObject(disputed)));
      return answer;
    },

    retrievePaymentIntent: async (paymentIntentId) => toPaymentIntent(await paymentIntentOrFail(db, paymentIntentId)),

    createRefund: ({ paymentIntentId, amount, metadata, idempotencyKey }) =>
      idempotent(idempotencyKey, "refunds.create", { paymentIntentId, amount: amount ?? null, metadata }, async (tx, now) => {
        if (amount !== undefined) assertAmount(amount);
        const intent = await paymentIntentOrFail(tx, paymentIntentId, "payment_intent");
        if (!intent.chargeSucceeded) {
          throw new PaymentsRequestError("payment_intent_unexpected_state", `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
            param: "payment_intent",
          });
        }
        const remaining = intent.amount - intent.amountRefunded;
        if (remaining <= 0) throw new PaymentsRequestError("charge_already_refunded", `Charge ${intent.chargeId} has already been refunded.`);
        const refundAmount = amount ?? remaining;
        const taken = await tx.simPaymentIntent.updateMany({
          where: { id: intent.id, amountRefunded: { lte: intent.amount - refundAmount } },
          data: { amountRefunded: { increment: refundAmount } },
        });
        if (taken.count !== 1) {
          throw new PaymentsRequestError(
            "amount_too_large",
            `Refund amount (${money(refundAmount, intent.currency)}) is greater than unrefunded amount on charge (${money(remaining, intent.currency)})`,
            { param: "amount" },
          );
        }
        const pm = await tx.simPaymentMethod.findUniqueOrThrow({ where: { id: intent.paymentMethodId } });
        const status = TEST_PAYMENT_METHODS[pm.token]?.refundsPending ? "pending" : "succeeded";
        const refund = await tx.simRefund.create({ data: { id: stripeId("re"), paymentIntentId: intent.id, amount: refundAmount, status, metadata, created: now } });
        return { id: refund.id, status: refund.status as Refund["status"], amount: refund.amount };
      }),

    retrieveRefund: async (refundId) => {
      const refund = await db.simRefund.findUnique({ where: { id: refundId } });
      if (!refund) throw missing("refund", refundId);
      return toRefund(refund);
    },

    retrieveDispute: async (disputeId) => {
      const intent = await db.simPaymentIntent.findUnique({ where: { disputeId } });
      if (!intent) throw missing("dispute", disputeId);
      return toDispute(intent);
    },

    finishDispute: async ({ disputeId, outcome }) => {
      const closed = await db.simPaymentIntent.updateManyAndReturn({ where: { disputeId, disputeStatus: { in: OPEN_DISPUTE } }, data: { disputeStatus: outcome } });
      return closed[0] ? sim.signedEvent("charge.dispute.closed", disputeObject(closed[0])) : null;
    },

    finishRefund: async ({ refundId, outcome }) => {
      const finished = await db.$transaction(async (tx) => {
        // Under a row lock: two finishes of one refund end it once.
        const locked = await tx.$queryRaw<{ status: string }[]>`SELECT status FROM sim_refunds WHERE id = ${refundId} FOR UPDATE`;
        if (locked[0]?.status !== "pending") return null;
        const refund = await tx.simRefund.update({ where: { id: refundId }, data: { status: outcome } });
        // A failed refund gives the charge back its refundable amount, as on Stripe.
        if (outcome === "failed") await tx.simPaymentIntent.update({ where: { id: refund.paymentIntentId }, data: { amountRefunded: { decrement: refund.amount } } });
        return refund;
      });
      if (!finished) return null;
      return sim.signedEvent("refund.updated", { ...refundObject(finished), status: outcome });
    },
  };
}

/** Stripe's dispute fee in the US, charged when a dispute opens (and, as the simulator keeps it, not given back when won). */
export const DISPUTE_FEE = 1_500;
const OPEN_DISPUTE = ["warning_needs_response", "needs_response", "under_review"];

function toDispute(intent: SimPaymentIntent): Dispute {
  return {
    id: intent.disputeId!,
    chargeId: intent.chargeId,
    paymentIntentId: intent.id,
    amount: intent.amount,
    currency: intent.currency,
    status: intent.disputeStatus as Dispute["status"],
    fee: DISPUTE_FEE,
  };
}

function disputeObject(intent: SimPaymentIntent) {
  const d = toDispute(intent);
  return { id: d.id, object: "dispute", amount: d.amount, currency: d.currency, charge: d.chargeId, payment_intent: d.paymentIntentId, status: d.status };
}

function toRefund(refund: SimRefund): Refund {
  return { id: refund.id, status: refund.status as Refund["status"], amount: refund.amount, metadata: refund.metadata as Metadata };
}

/** A refund as Stripe's webhooks carry it (the fields we read, and a few more for a person reading a log). */
function refundObject(refund: SimRefund) {
  return { id: refund.id, object: "refund", amount: refund.amount, payment_intent: refund.paymentIntentId, status: refund.status, metadata: refund.metadata };
}
