import { PaymentsRequestError } from "../errors.js";
import { toPaymentIntent } from "./helpers.js";
import type { Simulator } from "./simulator.js";
import type { OfflinePaymentsGateway } from "./types.js";

/** Manual capture: an authorised intent (`requires_capture`) is captured or canceled, once, as on Stripe. */
export function captureOperations(sim: Simulator): Pick<OfflinePaymentsGateway, "capturePaymentIntent" | "cancelPaymentIntent"> {
  const { idempotent, paymentIntentOrFail } = sim;
  return {
    capturePaymentIntent: ({ paymentIntentId, idempotencyKey }) =>
      idempotent(idempotencyKey, "payment_intents.capture", { paymentIntentId }, async (tx) => {
        const intent = await paymentIntentOrFail(tx, paymentIntentId, "intent");
        // Under the row's lock: of two captures with different keys, one captures and the other is refused.
        const taken = await tx.simPaymentIntent.updateMany({ where: { id: intent.id, status: "requires_capture" }, data: { status: "succeeded", chargeSucceeded: true } });
        if (taken.count !== 1) throw unexpectedState(intent.id, "captured", (await paymentIntentOrFail(tx, intent.id)).status);
        return toPaymentIntent(await paymentIntentOrFail(tx, intent.id));
      }),

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
