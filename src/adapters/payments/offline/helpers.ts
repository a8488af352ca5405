import type { SimPaymentIntent, SimPaymentMethod, SimSetupIntent } from "../../../generated/prisma/client.js";
import { randomBase62 } from "../../../lib/crypto.js";
import { PaymentsRequestError } from "../errors.js";
import { MAXIMUM_AMOUNT, type Metadata, type PaymentIntent, type PaymentMethodDetails, type SetupIntent, type SetupIntentStatus } from "../gateway.js";
import type { Tx } from "../../../db/tenant.js";
import { TEST_PAYMENT_METHODS } from "./test-methods.js";

/** The payment method a charge will use: an attached one of this customer, or a test token used directly. */
export async function chargeablePaymentMethod(tx: Tx, customerId: string, paymentMethodId: string, now: Date): Promise<SimPaymentMethod> {
  const test = TEST_PAYMENT_METHODS[paymentMethodId];
  if (test) {
    const { decline: _decline, refundsPending: _refundsPending, disputed: _disputed, authentication: _authentication, captureDeclines: _captureDeclines, ...details } = test;
    return tx.simPaymentMethod.create({ data: { id: stripeId("pm"), customerId: null, token: paymentMethodId, ...details, created: now } });
  }
  const pm = await tx.simPaymentMethod.findUnique({ where: { id: paymentMethodId } });
  if (!pm) throw missing("PaymentMethod", paymentMethodId, "payment_method");
  if (pm.detached || pm.customerId === null) throw detachedPaymentMethod();
  if (pm.customerId !== customerId) {
    throw new PaymentsRequestError("payment_method_unexpected_state", `The provided PaymentMethod ${pm.id} is not attached to customer ${customerId}.`, {
      param: "payment_method",
    });
  }
  return pm;
}

/** A transfer funded by a charge (`source_transaction`): at most what is left of it after refunds and earlier transfers. */
export async function drawFromCharge(tx: Tx, chargeId: string, amount: number, currency: string): Promise<void> {
  const intent = await tx.simPaymentIntent.findUnique({ where: { chargeId } });
  if (!intent) throw missing("charge", chargeId, "source_transaction");
  if (!intent.chargeSucceeded) {
    throw new PaymentsRequestError("charge_invalid_parameter", `The source transaction ${chargeId} did not succeed, so it cannot fund a transfer.`, {
      param: "source_transaction",
    });
  }
  if (intent.currency !== currency) {
    throw new PaymentsRequestError("parameter_invalid", `The currency of the transfer (${currency}) must match the currency of the source transaction (${intent.currency}).`, {
      param: "currency",
    });
  }
  const taken = await tx.simPaymentIntent.updateMany({
    where: { id: intent.id, amountTransferred: { lte: intent.amount - intent.amountRefunded - amount } },
    data: { amountTransferred: { increment: amount } },
  });
  if (taken.count !== 1) {
    throw new PaymentsRequestError("amount_too_large", `The transfer amount (${amount}) is greater than what is left of the source transaction ${chargeId}.`, {
      param: "amount",
    });
  }
}

export function toDetails(pm: SimPaymentMethod): PaymentMethodDetails {
  return {
    id: pm.id,
    type: pm.type,
    brand: pm.brand,
    last4: pm.last4,
    expMonth: pm.expMonth,
    expYear: pm.expYear,
    funding: pm.funding,
    accountHolderType: pm.accountHolderType,
  };
}

export function toSetupIntent(intent: SimSetupIntent): SetupIntent {
  return { id: intent.id, status: intent.status as SetupIntentStatus, customerId: intent.customerId, paymentMethodId: intent.paymentMethodId };
}

export function toPaymentIntent(intent: SimPaymentIntent): PaymentIntent {
  return {
    id: intent.id,
    status: intent.status as PaymentIntent["status"],
    amount: intent.amount,
    currency: intent.currency,
    chargeId: intent.chargeId,
    customerId: intent.customerId,
    paymentMethodId: intent.paymentMethodId,
    lastPaymentError: intent.errorCode ? { code: intent.errorCode, declineCode: intent.declineCode, message: intent.errorMessage ?? "" } : null,
    metadata: intent.metadata as Metadata,
  };
}

/** Amounts in errors, as Stripe words them: "12.50 usd" (two-decimal currencies; others as they are). */
export function money(amount: number, currency: string): string {
  return ZERO_DECIMAL.has(currency) ? `${amount} ${currency}` : `${(amount / 100).toFixed(2)} ${currency}`;
}
export const ZERO_DECIMAL = new Set(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]);

export function stripeId(prefix: string, length = 24): string {
  return `${prefix}_${randomBase62(length)}`;
}

/** Stripe's answer for an unknown id: 400 naming the parameter, or 404 when the id is the object asked for. */
export function missing(what: string, id: string, param?: string): PaymentsRequestError {
  return new PaymentsRequestError("resource_missing", `No such ${what}: '${id}'`, param ? { param } : { status: 404 });
}

export function detachedPaymentMethod(): PaymentsRequestError {
  return new PaymentsRequestError(
    "payment_method_unexpected_state",
    "This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.",
    { param: "payment_method" },
  );
}

export function assertAmount(amount: number, param = "amount"): void {
  if (!Number.isInteger(amount) || amount < 1) throw new PaymentsRequestError("parameter_invalid_integer", `Invalid positive integer: ${amount}`, { param });
  if (amount > MAXIMUM_AMOUNT) throw new PaymentsRequestError("amount_too_large", `Amount must be no more than ${MAXIMUM_AMOUNT}.`, { param });
}

export function assertCurrency(currency: string): void {
  if (!/^[a-z]{3}$/.test(currency)) throw new PaymentsRequestError("parameter_invalid", `Invalid currency: ${currency}.`, { param: "currency" });
}

export function assertEmail(email: string): void {
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 512) throw new PaymentsRequestError("email_invalid", `Invalid email address: ${email}`, { param: "email" });
}

export function assertUrl(url: string, param: string): void {
  let ok = false;
  try {
    ok = ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new PaymentsRequestError("url_invalid", `Not a valid URL: ${param}.`, { param });
}

export function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
