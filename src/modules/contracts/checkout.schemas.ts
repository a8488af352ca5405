import { z } from "zod";
import { idParam, instant, optionalBody } from "../../lib/schemas.js";
import { contractSchema } from "./contracts.schemas.js";

/** `POST /contracts/:id/checkout`: a buyer's share paid with them present (3-D Secure). */

export const checkoutBody = optionalBody(
  z
    .object({
      user_id: idParam("user").optional().describe("The buyer whose share to pay: the signed-in buyer by default; the key, an owner or an admin name one"),
    })
    .strict(),
);
export type CheckoutInput = NonNullable<z.infer<typeof checkoutBody>>;

export const contractPaymentSchema = z
  .object({
    object: z.literal("contract_payment"),
    contract: contractSchema,
    payment: z
      .object({
        user_id: z.string().describe("The buyer paying"),
        status: z
          .enum(["succeeded", "requires_capture", "requires_action", "processing"])
          .describe(
            "`succeeded`: their share is paid; `requires_capture`: their card is authorised for it, captured when the seller accepts the order (platforms requiring the seller's acceptance); " +
              "`requires_action`: they must authenticate (3-D Secure) with `client_secret` or at `next_action_url`; `processing`: a bank debit",
          ),
        amount: z.int().describe("Their share, in cents"),
        currency: z.string(),
        payment_intent: z.string().nullable().describe("The Stripe PaymentIntent (`pi_…`) still to finish; null once paid (the `incoming` transaction names it)"),
        client_secret: z
          .string()
          .nullable()
          .describe("For Stripe.js's `confirmCardPayment` / `handleNextAction` (only while `requires_action`); the buyer's to use, no one else's"),
        next_action_url: z.string().nullable().describe("A page where the buyer authenticates (the offline simulator's; with Stripe null: confirm with Stripe.js)"),
      })
      .strict(),
  })
  .strict()
  .meta({ id: "ContractPayment" });
export type ContractPaymentResponse = z.infer<typeof contractPaymentSchema>;

/** `PUT /contracts/:id/item/:item_id/booking`: a booked item moved to other dates. */
export const rescheduleBody = z
  .object({
    startDate: instant.describe("The booking's new start"),
    endDate: instant.describe("The booking's new end, after its start"),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.endDate instanceof Date && b.startDate instanceof Date && b.endDate.getTime() <= b.startDate.getTime())
      ctx.addIssue({ code: "custom", path: ["endDate"], message: "must be after startDate" });
  });
export type RescheduleInput = z.infer<typeof rescheduleBody>;
