import { errors } from "../../../lib/route.js";
import { requireAuth } from "../../../plugins/auth.js";
import { checkoutBody, contractPaymentSchema } from "../checkout.schemas.js";
import { contractParams } from "../contracts.schemas.js";
import { tags, signedIn, type ContractsApp, type ContractsRoutesDeps } from "./shared.js";

/** The on-session checkout: a buyer pays their share with them present, so their bank may ask for 3-D Secure. */
export function checkoutRoutes(app: ContractsApp, { settlement }: ContractsRoutesDeps): void {
  app.post(
    "/contracts/:id/checkout",
    {
      schema: {
        operationId: "checkoutContract",
        tags,
        summary: "Pay a buyer's share on-session (3-D Secure)",
        description:
          "Charges one buyer's default payment method for their share with them present — the settlement of `PUT …/settle` for that buyer alone, on-session. " +
          "A card that needs no authentication is charged at once: 200 with `payment.status` `succeeded` (the contract `paid` when that was the last share). " +
          "A card that wants 3-D Secure answers 202 with `payment.status` `requires_action`, the PaymentIntent's `client_secret` (Stripe.js) and, offline, a `next_action_url`; the contract stays `processing` " +
          "until `payment_intent.succeeded` (the contract proceeds to `paid`) or `payment_intent.payment_failed` (it is `open` again) arrives. Calling again meanwhile answers the same intent. " +
          "On a platform requiring the seller's acceptance the card is only authorised: 202 with `payment.status` `requires_capture` (after 3-D Secure: on `payment_intent.amount_capturable_updated`), " +
          "the contract `authorized` awaiting the seller once every buyer's card is; accepting captures, declining or the timeout releases it. " +
          "Only the buyer themself, or the key, an owner or an admin naming them in `user_id` (403 `not_contract_buyer` otherwise): a client secret is handed to the buyer alone. " +
          "Checked as a settle is (409 `seller_not_ready`, `no_payment_method`, `already_paid`, 422 `contract_incomplete`); 409 `settlement_in_progress` while another settlement runs; 402 on a decline.",
        params: contractParams,
        body: checkoutBody,
        response: { 200: contractPaymentSchema, 202: contractPaymentSchema, ...errors(400, 401, 402, 403, 404, 409, 422, 502, 504) },
      },
      config: signedIn,
    },
    async (request, reply) => {
      const auth = requireAuth(request);
      const answer = await settlement.checkout(auth, request.params.id, request.body?.user_id);
      return reply.code(answer.payment.status === "succeeded" ? 200 : 202).send(answer);
    },
  );
}
