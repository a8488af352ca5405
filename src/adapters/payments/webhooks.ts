import Stripe from "stripe";
import { WebhookSecretMissingError, WebhookSignatureError, fromStripeError } from "./errors.js";
import { WEBHOOK_TOLERANCE_SECONDS, type WebhookEvent } from "./gateway.js";

/**
 * Verifies a `Stripe-Signature` header with the `stripe` SDK's own checker (no network involved),
 * so both gateways accept and refuse exactly what Stripe's libraries do. `secret` may list several
 * secrets separated by commas — one per Stripe endpoint posting here (a Connect platform's own
 * account's, and its connected accounts'): a delivery verifies if one of them signed it.
 */
export function verifyStripeWebhook(rawBody: string | Buffer, signatureHeader: string, secret: string | undefined, now: Date): WebhookEvent {
  const secrets = (secret ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (secrets.length === 0) throw new WebhookSecretMissingError();
  let event: unknown;
  let refusal: unknown;
  for (const candidate of secrets) {
    try {
      event = Stripe.webhooks.constructEvent(rawBody, signatureHeader, candidate, WEBHOOK_TOLERANCE_SECONDS, undefined, now.getTime());
      break;
    } catch (err) {
      if (err instanceof SyntaxError) throw new WebhookSignatureError("webhook_payload_invalid", "The webhook body is not JSON.");
      // The SDK checks the timestamp only once the signature matched: that refusal says the most.
      if (!refusal || /tolerance/i.test((err as Error).message)) refusal = err;
    }
  }
  if (event === undefined) throw fromStripeError(refusal);
  const e = event as { id?: unknown; type?: unknown; livemode?: unknown; account?: unknown; data?: { object?: { id?: unknown } } } | null;
  if (!e || typeof e.id !== "string" || typeof e.type !== "string") {
    throw new WebhookSignatureError("webhook_payload_invalid", "The webhook body is not a Stripe event.");
  }
  const objectId = e.data?.object?.id;
  return {
    id: e.id,
    type: e.type,
    objectId: typeof objectId === "string" ? objectId : null,
    livemode: e.livemode === true,
    account: typeof e.account === "string" ? e.account : null,
  };
}
