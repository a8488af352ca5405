import Stripe from "stripe";
import { WebhookSecretMissingError, WebhookSignatureError, fromStripeError } from "./errors.js";
import { WEBHOOK_TOLERANCE_SECONDS, type WebhookEvent } from "./gateway.js";

/**
 * Verifies a `Stripe-Signature` header with the `stripe` SDK's own checker (no network involved),
 * so both gateways accept and refuse exactly what Stripe's libraries do.
 */
export function verifyStripeWebhook(rawBody: string | Buffer, signatureHeader: string, secret: string | undefined, now: Date): WebhookEvent {
  if (!secret) throw new WebhookSecretMissingError();
  let event: unknown;
  try {
    event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, secret, WEBHOOK_TOLERANCE_SECONDS, undefined, now.getTime());
  } catch (err) {
    if (err instanceof SyntaxError) throw new WebhookSignatureError("The webhook body is not JSON.", "webhook_payload_invalid");
    throw fromStripeError(err);
  }
  const e = event as { id?: unknown; type?: unknown; livemode?: unknown; data?: { object?: { id?: unknown } } } | null;
  if (!e || typeof e.id !== "string" || typeof e.type !== "string") {
    throw new WebhookSignatureError("The webhook body is not a Stripe event.", "webhook_payload_invalid");
  }
  const objectId = e.data?.object?.id;
  return { id: e.id, type: e.type, objectId: typeof objectId === "string" ? objectId : null, livemode: e.livemode === true };
}
