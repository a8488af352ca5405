import { timingSafeEqual } from "node:crypto";
import type { SimPaymentIntent } from "../../../generated/prisma/client.js";
import type { Simulator, SignedEvent } from "./simulator.js";
import type { OfflinePaymentsGateway } from "./types.js";

/**
 * 3-D Secure, as the simulator plays it. An on-session charge of a card that wants authentication
 * (`pm_card_authenticationRequired`, `pm_card_authenticationRequiredOnSetup`) waits in
 * `requires_action`; its `nextActionUrl` is the simulator's authentication page (offline-connect
 * routes), where the buyer completes or fails it — Stripe's hosted 3-D Secure page, or Stripe.js's
 * `confirmCardPayment` with the client secret. Either way Stripe's webhook follows.
 */

/** The simulator's authentication page of an intent; the client secret is the buyer's capability, as with Stripe.js. */
export function authenticationUrl(publicUrl: string, paymentIntentId: string, clientSecret: string): string {
  return `${publicUrl}/offline/payment_intents/${encodeURIComponent(paymentIntentId)}/authenticate?client_secret=${encodeURIComponent(clientSecret)}`;
}

function secretMatches(intent: Pick<SimPaymentIntent, "clientSecret">, clientSecret: string): boolean {
  if (!intent.clientSecret) return false;
  const a = Buffer.from(intent.clientSecret);
  const b = Buffer.from(clientSecret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A payment intent as Stripe's webhooks carry it (the fields we read; the endpoint re-reads it anyway). */
function intentObject(intent: SimPaymentIntent): Record<string, unknown> {
  return {
    id: intent.id,
    object: "payment_intent",
    status: intent.status,
    amount: intent.amount,
    currency: intent.currency,
    metadata: intent.metadata,
    customer: intent.customerId,
  };
}

export function authenticationOperations(sim: Simulator): Pick<OfflinePaymentsGateway, "paymentIntentAwaitingAuthentication" | "authenticatePaymentIntent"> {
  const { db } = sim;
  return {
    paymentIntentAwaitingAuthentication: async ({ paymentIntentId, clientSecret }) => {
      const intent = await db.simPaymentIntent.findUnique({ where: { id: paymentIntentId } });
      if (!intent || !secretMatches(intent, clientSecret)) return null;
      return { id: intent.id, amount: intent.amount, currency: intent.currency, status: intent.status, returnUrl: intent.returnUrl };
    },

    authenticatePaymentIntent: async ({ paymentIntentId, clientSecret, outcome }) => {
      const done = await db.$transaction(async (tx) => {
        // Under the row lock: two clicks authenticate once.
        await tx.$queryRaw`SELECT id FROM sim_payment_intents WHERE id = ${paymentIntentId} FOR UPDATE`;
        const intent = await tx.simPaymentIntent.findUnique({ where: { id: paymentIntentId } });
        if (!intent || !secretMatches(intent, clientSecret) || intent.status !== "requires_action") return null;
        return tx.simPaymentIntent.update({
          where: { id: intent.id },
          data:
            outcome === "complete"
              ? // A manual-capture intent is then authorised (Stripe's `payment_intent.amount_capturable_updated`), not charged.
                intent.captureMethod === "manual"
                ? { status: "requires_capture" }
                : { status: "succeeded", chargeSucceeded: true }
              : {
                  status: "requires_payment_method",
                  errorCode: "payment_intent_authentication_failure",
                  declineCode: null,
                  errorMessage:
                    "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
                },
        });
      });
      if (!done) return null;
      const type =
        outcome === "fail" ? "payment_intent.payment_failed" : done.status === "requires_capture" ? "payment_intent.amount_capturable_updated" : "payment_intent.succeeded";
      const event: SignedEvent = sim.signedEvent(type, intentObject(done));
      return { status: done.status, returnUrl: done.returnUrl, event };
    },
  };
}
