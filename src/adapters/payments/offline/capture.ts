import { CardError, PaymentsRequestError } from "../errors.js";
import { toPaymentIntent } from "./helpers.js";
import { TEST_PAYMENT_METHODS } from "./test-methods.js";
import type { Simulator } from "./simulator.js";
import type { OfflinePaymentsGateway } from "./types.js";

/** Stripe releases an uncaptured authorisation after 7 days: the intent is then `canceled`, and a capture refused. */
export const AUTHORISATION_LIFETIME_MS = 7 * 86_400_000;

/**
 * Manual capture: an authorised intent (`requires_capture`) is captured or canceled, once, as on Stripe.
 * An authorisation older than 7 days (by the simulator's clock) has lapsed: it is canceled and its
 * capture refused (`payment_intent_unexpected_state`); `pm_card_captureDeclined` declines its capture.
 */
export function captureOperations(sim: Simulator): Pick<OfflinePaymentsGateway, "capturePaymentIntent" | "cancelPaymentIntent"> {
  const { idempotent, paymentIntentOrFail } = sim;
  return {
    capturePaymentIntent: async ({ paymentIntentId, idempotencyKey }) => {
      // Lapsed first, in a transaction of its own: the refused capture does not undo it.
      const lapsedBefore = new Date(sim.clock.now().getTime() - AUTHORISATION_LIFETIME_MS);
      await sim.db.simPaymentIntent.updateMany({ where: { id: paymentIntentId, status: "requires_capture", created: { lte: lapsedBefore } }, data: { status: "canceled" } });
      return idempotent(idempotencyKey, "payment_intents.capture", { paymentIntentId }, async (tx) => {
        const intent = await paymentIntentOrFail(tx, paymentIntentId, "intent");
        if (intent.status === "requires_capture") {
          const pm = await tx.simPaymentMethod.findUniqueOrThrow({ where: { id: intent.paymentMethodId } });
          if (TEST_PAYMENT_METHODS[pm.token]?.captureDeclines) {
            throw new CardError({
              code: "card_declined",
              declineCode: "generic_decline",
              message: "Your card was declined.",
              paymentIntentId: intent.id,
              chargeId: intent.chargeId,
            });
          }
        }
        // Under the row's lock: of two captures with different keys, one captures and the other is refused.
        const taken = await tx.simPaymentIntent.updateMany({ where: { id: intent.id, status: "requires_capture" }, data: { status: "succeeded", chargeSucceeded: true } });
        if (taken.count !== 1) throw unexpectedState(intent.id, "captured", (await paymentIntentOrFail(tx, intent.id)).status);
        return toPaymentIntent(await paymentIntentOrFail(tx, intent.id));
      });
    },

    cancelPaymentIntent: ({ paymentIntentId, idempotencyKey }) =>
      idempotent(idempotencyKey, "payment_intents.cancel", { paymentIntentId }, async (tx) => {
        const intent = await paymentIntentOrFail(tx, paymentIntentId, "intent");
        const taken = await tx.simPaymentIntent.updateMany({
          where: { id: intent.id, status: { in: ["requires_capture", "requires_payment_method", "requires_confirmation", "requires_action"] } },
          data: { status: "canceled" },
        });
        if (taken.count !== 1) throw unexpectedState(intent.id, "canceled", (await paymentIntentOrFail(tx, intent.id)).status);
        return toPaymentIntent(await paymentIntentOrFail(tx, intent.id));
      }),
  };
}

function unexpectedState(id: string, verb: string, status: string): PaymentsRequestError {
  return new PaymentsRequestError("payment_intent_unexpected_state", `This PaymentIntent (${id}) could not be ${verb} because it has a status of ${status}.`, { param: "intent" });
}
