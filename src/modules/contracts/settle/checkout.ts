import type { AuthContext } from "../../../plugins/auth.js";
import type { ContractPaymentResponse } from "../checkout.schemas.js";
import { settle } from "./run.js";
import type { SettleContext } from "./plan.js";

/**
 * `POST /contracts/:id/checkout`: one buyer pays their share with them present. It is the
 * settlement (claim, engine, records) for that buyer alone, charged on-session: the card may ask
 * for 3-D Secure, and the charge then waits in `requires_action` — the buyer's entry names the
 * intent (`actionPaymentIntentId`), the contract stays `processing`, and the intent's webhook
 * carries on (settle/payment-outcome.ts: paid, or the attempt ended and the contract `open`).
 * With the platform requiring the seller's acceptance the charge is an authorisation (manual
 * capture), on-session all the same: it ends `requires_capture` — at once, or on
 * `payment_intent.amount_capturable_updated` after 3-D Secure — and the seller's acceptance captures it.
 * Asking again repeats the same attempt under the same idempotency key, so Stripe answers the same
 * intent and client secret: a reloaded checkout page never makes a second charge.
 */
export async function checkout(ctx: SettleContext, auth: AuthContext, id: string, userId: string | undefined): Promise<ContractPaymentResponse> {
  // A key names the buyer; its absence is a 400 once the contract was found (assertMayCheckout).
  const buyerUserId = userId ?? auth.user?.id ?? null;
  const result = (await settle(ctx, { platformId: auth.platformId, mode: auth.mode }, id, { kind: "checkout", auth, buyerUserId }))!;
  const buyer = result.contract.buyers.find((b) => b.user_id === buyerUserId)!;
  const pending = result.pending;
  const paid = buyer.amountPaid >= buyer.amountDue && buyer.amountDue > 0;
  // Seller acceptance: the card is authorised, captured when the seller accepts.
  const authorised = !paid && buyer.amountAuthorized > 0 && buyer.amountPaid + buyer.amountAuthorized >= buyer.amountDue;
  return {
    object: "contract_payment",
    contract: result.contract,
    payment: {
      user_id: buyer.user_id,
      status: paid ? "succeeded" : authorised ? "requires_capture" : pending?.status === "requires_action" ? "requires_action" : "processing",
      amount: buyer.amountDue,
      currency: result.contract.currency,
      payment_intent: pending?.id ?? null,
      client_secret: !paid && pending?.status === "requires_action" ? (pending.clientSecret ?? null) : null,
      next_action_url: !paid && pending?.status === "requires_action" ? (pending.nextActionUrl ?? null) : null,
    },
  };
}
