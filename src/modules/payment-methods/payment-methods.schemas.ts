import { z } from "zod";
import { idParam } from "../../lib/schemas.js";
import { paymentMethodSchema, userSchema } from "../users/index.js";

/** A Stripe PaymentMethod id (`pm_…`), or one of Stripe's test tokens (`pm_card_visa`, `pm_usBankAccount` …). */
export const stripePaymentMethodId = z
  .string()
  .trim()
  .regex(/^pm_[A-Za-z0-9_]{1,100}$/, "must be a Stripe PaymentMethod id such as pm_1Nv… or a test token such as pm_card_visa")
  .describe("A PaymentMethod id confirmed client-side by Stripe.js, or a Stripe test token such as `pm_card_visa`");

export const attachPaymentMethodBody = z.object({ payment_method: stripePaymentMethodId }).strict();

const paymentMethodRef = z.string().min(1).max(255).describe("The payment method: our id (`pmeth_…`) or its Stripe id (`pm_…`)");

export const selfPaymentMethodParams = z.object({ payment_method_id: paymentMethodRef }).strict();
export const userPaymentMethodParams = z.object({ id: idParam("user"), payment_method_id: paymentMethodRef }).strict();

export const userWithPaymentMethodSchema = userSchema
  .extend({ paymentMethod: paymentMethodSchema.describe("The payment method this request attached (also listed in `paymentMethods`)") })
  .meta({ id: "UserWithAttachedPaymentMethod" });

export const userWithClientSecretSchema = userSchema
  .extend({
    clientSecret: z.string().describe("The SetupIntent's client secret, for Stripe.js (`stripe.confirmCardSetup(clientSecret, …)`)"),
    setupIntentId: z.string().describe("The SetupIntent (`seti_…`)"),
  })
  .meta({ id: "UserWithClientSecret" });
