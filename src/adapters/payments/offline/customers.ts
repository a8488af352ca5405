import type { SimPaymentMethod } from "../../../generated/prisma/client.js";
import { randomBase62 } from "../../../lib/crypto.js";
import { PaymentsRequestError } from "../errors.js";
import type { PaymentMethodInfo } from "../gateway.js";
import { TEST_PAYMENT_METHODS } from "./test-methods.js";
import { Simulator } from "./simulator.js";
import { assertEmail, detachedPaymentMethod, missing, stripeId, toDetails, toSetupIntent } from "./helpers.js";
import type { OfflinePaymentsGateway } from "./types.js";

/** Customers, setup intents and payment methods. */
export function customersOperations(
  sim: Simulator,
): Pick<
  OfflinePaymentsGateway,
  | "createCustomer"
  | "createSetupIntent"
  | "retrieveSetupIntent"
  | "confirmSetupIntent"
  | "attachPaymentMethod"
  | "retrievePaymentMethod"
  | "detachPaymentMethod"
  | "setDefaultPaymentMethod"
> {
  const { db, clock, idempotent, customerOrFail } = sim;
  return {
    createCustomer: ({ email, name, metadata, idempotencyKey }) =>
      idempotent(idempotencyKey, "customers.create", { email, name: name ?? null, metadata }, async (tx, now) => {
        assertEmail(email);
        const customer = await tx.simCustomer.create({ data: { id: stripeId("cus", 14), email, name: name ?? null, metadata, created: now } });
        return { id: customer.id };
      }),

    createSetupIntent: ({ customerId, idempotencyKey }) =>
      idempotent(idempotencyKey, "setup_intents.create", { customerId }, async (tx, now) => {
        await customerOrFail(tx, customerId, "customer");
        const id = stripeId("seti");
        const intent = await tx.simSetupIntent.create({
          data: { id, customerId, clientSecret: `${id}_secret_${randomBase62(25)}`, status: "requires_payment_method", created: now },
        });
        return { id: intent.id, clientSecret: intent.clientSecret };
      }),

    retrieveSetupIntent: async (setupIntentId) => {
      const intent = await db.simSetupIntent.findUnique({ where: { id: setupIntentId } });
      if (!intent) throw missing("setup_intent", setupIntentId);
      return toSetupIntent(intent);
    },

    confirmSetupIntent: ({ setupIntentId, clientSecret, paymentMethod }) =>
      db.$transaction(async (tx) => {
        const now = clock.now();
        const intent = await tx.simSetupIntent.findUnique({ where: { id: setupIntentId } });
        if (!intent || intent.clientSecret !== clientSecret) return null;
        let pm: SimPaymentMethod | null;
        const test = TEST_PAYMENT_METHODS[paymentMethod];
        if (test) {
          const { decline: _decline, refundsPending: _refundsPending, disputed: _disputed, authentication: _authentication, captureDeclines: _captureDeclines, ...details } = test;
          pm = await tx.simPaymentMethod.create({ data: { id: stripeId("pm"), customerId: intent.customerId, token: paymentMethod, ...details, created: now } });
        } else {
          pm = await tx.simPaymentMethod.findUnique({ where: { id: paymentMethod } });
          if (!pm) throw missing("PaymentMethod", paymentMethod, "payment_method");
          if (pm.detached || pm.customerId === null) throw detachedPaymentMethod();
          if (pm.customerId !== intent.customerId) {
            throw new PaymentsRequestError("payment_method_unexpected_state", "The payment method you provided has already been attached to a customer.", {
              param: "payment_method",
            });
          }
        }
        // Conditional, so of two confirmations racing one wins and the other's payment method is rolled back.
        const confirmed = await tx.simSetupIntent.updateMany({
          where: { id: intent.id, status: "requires_payment_method" },
          data: { status: "succeeded", paymentMethodId: pm.id },
        });
        if (confirmed.count !== 1) {
          throw new PaymentsRequestError("setup_intent_unexpected_state", "You cannot confirm this SetupIntent because it has already succeeded.");
        }
        return { id: intent.id, status: "succeeded" as const, customerId: intent.customerId, paymentMethodId: pm.id };
      }),

    attachPaymentMethod: ({ customerId, paymentMethodId, idempotencyKey }) =>
      idempotent(idempotencyKey, "payment_methods.attach", { customerId, paymentMethodId }, async (tx, now) => {
        await customerOrFail(tx, customerId, "customer");
        const test = TEST_PAYMENT_METHODS[paymentMethodId];
        if (test) {
          const { decline: _decline, refundsPending: _refundsPending, disputed: _disputed, authentication: _authentication, captureDeclines: _captureDeclines, ...details } = test;
          const created = await tx.simPaymentMethod.create({ data: { id: stripeId("pm"), customerId, token: paymentMethodId, ...details, created: now } });
          return toDetails(created);
        }
        const existing = await tx.simPaymentMethod.findUnique({ where: { id: paymentMethodId } });
        if (!existing) throw missing("PaymentMethod", paymentMethodId, "payment_method");
        if (existing.detached || existing.customerId === null) throw detachedPaymentMethod();
        if (existing.customerId === customerId) return toDetails(existing);
        throw new PaymentsRequestError("payment_method_unexpected_state", "The payment method you provided has already been attached to a customer.", {
          param: "payment_method",
        });
      }),

    retrievePaymentMethod: async (paymentMethodId) => {
      const pm = await db.simPaymentMethod.findUnique({ where: { id: paymentMethodId } });
      if (!pm) throw missing("PaymentMethod", paymentMethodId);
      return { ...toDetails(pm), customerId: pm.customerId } satisfies PaymentMethodInfo;
    },

    detachPaymentMethod: ({ paymentMethodId }) =>
      db.$transaction(async (tx) => {
        const pm = await tx.simPaymentMethod.findUnique({ where: { id: paymentMethodId } });
        if (!pm) throw missing("PaymentMethod", paymentMethodId);
        if (!pm.customerId) {
          throw new PaymentsRequestError("payment_method_unexpected_state", "The payment method you provided is not attached to a customer so detachment is impossible.");
        }
        await tx.simPaymentMethod.update({ where: { id: pm.id }, data: { customerId: null, detached: clock.now() } });
        await tx.simCustomer.updateMany({ where: { id: pm.customerId, defaultPaymentMethodId: pm.id }, data: { defaultPaymentMethodId: null } });
      }),

    setDefaultPaymentMethod: ({ customerId, paymentMethodId }) =>
      db.$transaction(async (tx) => {
        await customerOrFail(tx, customerId);
        const pm = await tx.simPaymentMethod.findFirst({ where: { id: paymentMethodId, customerId } });
        if (!pm) {
          throw new PaymentsRequestError(
            "resource_missing",
            `The customer does not have a payment method with the ID ${paymentMethodId}. The payment method must be attached to the customer.`,
            { param: "invoice_settings[default_payment_method]" },
          );
        }
        await tx.simCustomer.update({ where: { id: customerId }, data: { defaultPaymentMethodId: pm.id } });
      }),
  };
}
