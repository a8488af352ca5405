import type { Db } from "../../db/client.js";
import type { Prisma, SimPaymentIntent, SimPaymentMethod, SimSetupIntent } from "../../generated/prisma/client.js";
import { randomBase62, sha256Hex } from "../../lib/crypto.js";
import { systemClock, type Clock } from "../../lib/time.js";
import { CardError, PaymentsIdempotencyError, PaymentsRequestError } from "./errors.js";
import {
  MAXIMUM_AMOUNT,
  minimumChargeAmount,
  type Metadata,
  type PaymentIntent,
  type PaymentMethodDetails,
  type PaymentMethodInfo,
  type PaymentsGateway,
  type SetupIntent,
  type SetupIntentStatus,
} from "./gateway.js";
import { verifyStripeWebhook } from "./webhooks.js";
import type { Tx } from "../../db/tenant.js";

/**
 * The offline payments simulator: the PaymentsGateway with Stripe test-mode semantics, persisted
 * in our PostgreSQL (the `sim_*` tables), so the whole API runs and is tested without a network.
 *
 * - Test payment methods (TEST_PAYMENT_METHODS) attach like Stripe's tokens: attaching
 *   `pm_card_visa` makes a new `pm_…`. Charges on the `…chargeDeclined…` ones decline with
 *   Stripe's `code` / `decline_code`; other `pm_…` ids that the simulator did not make are unknown.
 * - Stripe's rules are kept: refunds cannot exceed the charge, reversals the transfer, transfers
 *   need an account with charges enabled; idempotency keys replay the first result (declines
 *   included) and refuse a different request.
 * - Connect onboarding happens on our own server: the account link points at
 *   `/offline/connect/onboard/<account>?token=…` (offline-connect.routes.ts), where
 *   `completeOnboarding` enables the account.
 * - What Stripe.js does in a browser with a SetupIntent's client secret (`confirmCardSetup`) is
 *   `confirmSetupIntent`, served at `/offline/setup_intents/<id>/confirm`.
 * - Webhook signatures are checked exactly as Stripe's SDK checks them, with the configured secret.
 */

export interface OfflinePaymentsGateway extends PaymentsGateway {
  readonly kind: "offline";
  /**
   * The onboarding page's work: spends the link's single-use token and enables the account
   * (charges, details, a daily payout schedule, a test bank account). Null when the token is not a
   * live link of this account.
   */
  completeOnboarding(input: { accountId: string; token: string }): Promise<{ returnUrl: string } | null>;
  /**
   * Stripe.js's `confirmCardSetup`: saves `paymentMethod` (a test token, or a payment method
   * already attached to the intent's customer) on the intent's customer and marks the intent
   * `succeeded`. Null when the client secret is not this intent's.
   */
  confirmSetupIntent(input: { setupIntentId: string; clientSecret: string; paymentMethod: string }): Promise<SetupIntent | null>;
}

export interface OfflineGatewayOptions {
  db: Db;
  /** Base URL of this server, for onboarding links. */
  publicUrl: string;
  webhookSecret: string;
  clock?: Clock;
}

interface Decline {
  code: string;
  declineCode: string;
  message: string;
}

interface TestPaymentMethod extends Omit<PaymentMethodDetails, "id"> {
  decline?: Decline;
}

const DECLINED: Decline = { code: "card_declined", declineCode: "generic_decline", message: "Your card was declined." };
const INSUFFICIENT_FUNDS: Decline = { code: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds." };
const EXPIRED: Decline = { code: "expired_card", declineCode: "expired_card", message: "Your card has expired." };
const LOST: Decline = { code: "card_declined", declineCode: "lost_card", message: "Your card was declined." };
const AUTHENTICATION_REQUIRED: Decline = {
  code: "authentication_required",
  declineCode: "authentication_required",
  message: "Your card was declined. This transaction requires authentication.",
};

const card = (brand: string, last4: string, funding = "credit", decline?: Decline): TestPaymentMethod => ({
  type: "card",
  brand,
  last4,
  // Fixed, so the simulator's answers do not depend on the date.
  expMonth: 12,
  expYear: 2034,
  funding,
  accountHolderType: null,
  decline,
});
const bankAccount: TestPaymentMethod = {
  type: "us_bank_account",
  brand: "STRIPE TEST BANK",
  last4: "6789",
  expMonth: null,
  expYear: null,
  funding: null,
  accountHolderType: "individual",
};

/** Stripe's test PaymentMethod tokens (https://docs.stripe.com/testing), as the simulator knows them. */
export const TEST_PAYMENT_METHODS: Readonly<Record<string, TestPaymentMethod>> = {
  pm_card_visa: card("visa", "4242"),
  pm_card_visa_debit: card("visa", "5556", "debit"),
  pm_card_mastercard: card("mastercard", "4444"),
  pm_card_amex: card("amex", "8431"),
  pm_card_discover: card("discover", "1117"),
  pm_card_chargeDeclined: card("visa", "0002", "credit", DECLINED),
  pm_card_insufficientFunds: card("visa", "9995", "credit", INSUFFICIENT_FUNDS),
  pm_card_chargeDeclinedInsufficientFunds: card("visa", "9995", "credit", INSUFFICIENT_FUNDS),
  pm_card_visa_chargeDeclinedInsufficientFunds: card("visa", "9995", "credit", INSUFFICIENT_FUNDS),
  pm_card_chargeDeclinedExpiredCard: card("visa", "0069", "credit", EXPIRED),
  pm_card_chargeDeclinedLostCard: card("visa", "9987", "credit", LOST),
  pm_card_authenticationRequired: card("visa", "3184", "credit", AUTHENTICATION_REQUIRED),
  pm_usBankAccount: bankAccount,
  pm_usBankAccount_success: bankAccount,
};

const ACCOUNT_LINK_TTL_MS = 5 * 60 * 1000;
const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
// A retry waits here for the first request with its key to finish; give it room.
const IDEMPOTENT_TRANSACTION = { maxWait: 5_000, timeout: 15_000 };
const ONBOARDED = { payoutInterval: "daily", payoutDelayDays: 2, bankLast4: "6789" } as const;

type Outcome = { ok: unknown } | { error: { code: string; declineCode: string | null; message: string; paymentIntentId: string | null; chargeId: string | null } };

/** Deletes the simulator's idempotency keys past their 24 hours (the `sweep-idempotency` job); answers how many. */
export async function sweepSimulatorIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const { count } = await db.simIdempotencyKey.deleteMany({ where: { created: { lt: new Date(now.getTime() - IDEMPOTENCY_TTL_MS) } } });
  return count;
}

export function createOfflineGateway(options: OfflineGatewayOptions): OfflinePaymentsGateway {
  const { db, webhookSecret } = options;
  const clock = options.clock ?? systemClock;
  const publicUrl = options.publicUrl.replace(/\/+$/, "");

  /**
   * Runs `run` once per idempotency key, like Stripe: a retry with the same request gets the
   * first result (or the first decline) again; a different request with the key is refused.
   * Same-key calls are serialized by an advisory lock, so concurrent retries cannot both run.
   */
  async function idempotent<T>(key: string, operation: string, params: unknown, run: (tx: Tx, now: Date) => Promise<T>): Promise<T> {
    if (typeof key !== "string" || key.length === 0 || key.length > 255) {
      throw new PaymentsRequestError("idempotency_key_invalid", "Idempotency keys must be 1 to 255 characters long.", { param: "idempotencyKey" });
    }
    const requestHash = sha256Hex(JSON.stringify(canonical({ operation, params })));
    const outcome = await db.$transaction(async (tx): Promise<Outcome> => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`sim-idempotency:${key}`}, 0))`;
      const now = clock.now();
      const existing = await tx.simIdempotencyKey.findUnique({ where: { key } });
      if (existing && existing.created.getTime() > now.getTime() - IDEMPOTENCY_TTL_MS) {
        if (existing.operation !== operation || existing.requestHash !== requestHash) {
          throw new PaymentsIdempotencyError(
            "idempotency_key_reused",
            `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
          );
        }
        return existing.outcome as Outcome;
      }
      let result: Outcome;
      try {
        result = { ok: await run(tx, now) };
      } catch (err) {
        // Stripe keeps a decline as the key's answer (the declined PaymentIntent exists); other errors are not kept.
        if (!(err instanceof CardError)) throw err;
        result = { error: { code: err.code, declineCode: err.declineCode, message: err.message, paymentIntentId: err.paymentIntentId, chargeId: err.chargeId } };
      }
      const record = { operation, requestHash, outcome: result as Prisma.InputJsonValue, created: now };
      await tx.simIdempotencyKey.upsert({ where: { key }, create: { key, ...record }, update: record });
      return result;
    }, IDEMPOTENT_TRANSACTION);
    if ("error" in outcome) throw new CardError(outcome.error);
    return outcome.ok as T;
  }

  async function customerOrFail(tx: Tx, customerId: string, param?: string) {
    const customer = await tx.simCustomer.findUnique({ where: { id: customerId } });
    if (!customer) throw missing("customer", customerId, param);
    return customer;
  }

  async function paymentIntentOrFail(tx: Tx | Db, id: string, param?: string) {
    const intent = await tx.simPaymentIntent.findUnique({ where: { id } });
    if (!intent) throw missing("payment_intent", id, param);
    return intent;
  }

  return {
    kind: "offline",

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
          const { decline: _decline, ...details } = test;
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
          const { decline: _decline, ...details } = test;
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

    createPaymentIntent: ({ amount, currency, customerId, paymentMethodId, transferGroup, metadata, idempotencyKey }) =>
      idempotent(
        idempotencyKey,
        "payment_intents.create",
        { amount, currency, customerId, paymentMethodId, transferGroup: transferGroup ?? null, metadata },
        async (tx, now): Promise<PaymentIntent> => {
          assertCurrency(currency);
          assertAmount(amount);
          const minimum = minimumChargeAmount(currency);
          if (minimum !== undefined && amount < minimum) {
            throw new PaymentsRequestError("amount_too_small", `Amount must be at least ${minimum} ${currency} (minor units).`, { param: "amount" });
          }
          await customerOrFail(tx, customerId, "customer");
          const pm = await chargeablePaymentMethod(tx, customerId, paymentMethodId, now);
          const decline = TEST_PAYMENT_METHODS[pm.token]?.decline;
          const intent = await tx.simPaymentIntent.create({
            data: {
              id: stripeId("pi"),
              customerId,
              paymentMethodId: pm.id,
              amount,
              currency,
              status: decline ? "requires_payment_method" : "succeeded",
              chargeId: stripeId("ch"),
              chargeSucceeded: !decline,
              transferGroup: transferGroup ?? null,
              metadata,
              errorCode: decline?.code ?? null,
              declineCode: decline?.declineCode ?? null,
              errorMessage: decline?.message ?? null,
              created: now,
            },
          });
          if (decline) throw new CardError({ ...decline, paymentIntentId: intent.id, chargeId: intent.chargeId });
          return toPaymentIntent(intent);
        },
      ),

    retrievePaymentIntent: async (paymentIntentId) => toPaymentIntent(await paymentIntentOrFail(db, paymentIntentId)),

    createConnectAccount: ({ email, metadata, idempotencyKey }) =>
      idempotent(idempotencyKey, "accounts.create", { email, metadata }, async (tx, now) => {
        assertEmail(email);
        const account = await tx.simAccount.create({ data: { id: stripeId("acct", 16), email, metadata, created: now } });
        return { id: account.id };
      }),

    createAccountLink: async ({ accountId, refreshUrl, returnUrl }) => {
      assertUrl(refreshUrl, "refresh_url");
      assertUrl(returnUrl, "return_url");
      const account = await db.simAccount.findUnique({ where: { id: accountId } });
      if (!account) throw missing("account", accountId, "account");
      const now = clock.now();
      const token = randomBase62(32);
      const expires = new Date(now.getTime() + ACCOUNT_LINK_TTL_MS);
      await db.simAccountLink.create({
        data: { id: stripeId("acctlink"), accountId, tokenHash: sha256Hex(token), refreshUrl, returnUrl, expires, created: now },
      });
      return { url: `${publicUrl}/offline/connect/onboard/${encodeURIComponent(accountId)}?token=${token}`, expiresAt: expires };
    },

    retrieveAccount: async (accountId) => {
      const account = await db.simAccount.findUnique({ where: { id: accountId } });
      if (!account) throw missing("account", accountId);
      return {
        id: account.id,
        chargesEnabled: account.chargesEnabled,
        detailsSubmitted: account.detailsSubmitted,
        payoutSchedule:
          account.payoutInterval === null
            ? null
            : {
                interval: account.payoutInterval,
                delayDays: account.payoutDelayDays ?? 0,
                ...(account.payoutWeeklyAnchor ? { weeklyAnchor: account.payoutWeeklyAnchor } : {}),
                ...(account.payoutMonthlyAnchor ? { monthlyAnchor: account.payoutMonthlyAnchor } : {}),
              },
        bankLast4: account.bankLast4,
      };
    },

    completeOnboarding: ({ accountId, token }) =>
      db.$transaction(async (tx) => {
        const now = clock.now();
        const link = await tx.simAccountLink.findUnique({ where: { tokenHash: sha256Hex(token) } });
        if (!link || link.accountId !== accountId) return null;
        // Spent atomically: of two visits racing with one token, one wins.
        const spent = await tx.simAccountLink.updateMany({ where: { id: link.id, used: null, expires: { gt: now } }, data: { used: now } });
        if (spent.count !== 1) return null;
        await tx.simAccount.update({ where: { id: accountId }, data: { chargesEnabled: true, detailsSubmitted: true, ...ONBOARDED } });
        return { returnUrl: link.returnUrl };
      }),

    createTransfer: ({ amount, currency, destination, transferGroup, sourceTransaction, metadata, idempotencyKey }) =>
      idempotent(
        idempotencyKey,
        "transfers.create",
        { amount, currency, destination, transferGroup: transferGroup ?? null, sourceTransaction: sourceTransaction ?? null, metadata },
        async (tx, now) => {
          assertCurrency(currency);
          assertAmount(amount);
          const account = await tx.simAccount.findUnique({ where: { id: destination } });
          if (!account) throw missing("destination", destination, "destination");
          if (!account.chargesEnabled) {
            throw new PaymentsRequestError(
              "insufficient_capabilities_for_transfer",
              "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments",
              { param: "destination" },
            );
          }
          if (sourceTransaction) await drawFromCharge(tx, sourceTransaction, amount, currency);
          const transfer = await tx.simTransfer.create({
            data: {
              id: stripeId("tr"),
              amount,
              currency,
              destinationId: destination,
              transferGroup: transferGroup ?? null,
              sourceTransaction: sourceTransaction ?? null,
              metadata,
              created: now,
            },
          });
          return { id: transfer.id };
        },
      ),

    createRefund: ({ paymentIntentId, amount, metadata, idempotencyKey }) =>
      idempotent(idempotencyKey, "refunds.create", { paymentIntentId, amount: amount ?? null, metadata }, async (tx, now) => {
        if (amount !== undefined) assertAmount(amount);
        const intent = await paymentIntentOrFail(tx, paymentIntentId, "payment_intent");
        if (!intent.chargeSucceeded) {
          throw new PaymentsRequestError("payment_intent_unexpected_state", `This PaymentIntent (${intent.id}) does not have a successful charge to refund.`, {
            param: "payment_intent",
          });
        }
        const remaining = intent.amount - intent.amountRefunded;
        if (remaining <= 0) throw new PaymentsRequestError("charge_already_refunded", `Charge ${intent.chargeId} has already been refunded.`);
        const refundAmount = amount ?? remaining;
        const taken = await tx.simPaymentIntent.updateMany({
          where: { id: intent.id, amountRefunded: { lte: intent.amount - refundAmount } },
          data: { amountRefunded: { increment: refundAmount } },
        });
        if (taken.count !== 1) {
          throw new PaymentsRequestError(
            "amount_too_large",
            `Refund amount (${money(refundAmount, intent.currency)}) is greater than unrefunded amount on charge (${money(remaining, intent.currency)})`,
            { param: "amount" },
          );
        }
        const refund = await tx.simRefund.create({ data: { id: stripeId("re"), paymentIntentId: intent.id, amount: refundAmount, status: "succeeded", metadata, created: now } });
        return { id: refund.id, status: "succeeded" as const, amount: refund.amount };
      }),

    createTransferReversal: ({ transferId, amount, idempotencyKey }) =>
      idempotent(idempotencyKey, "transfers.reversals.create", { transferId, amount }, async (tx, now) => {
        assertAmount(amount);
        const transfer = await tx.simTransfer.findUnique({ where: { id: transferId } });
        if (!transfer) throw missing("transfer", transferId);
        const taken = await tx.simTransfer.updateMany({
          where: { id: transfer.id, amountReversed: { lte: transfer.amount - amount } },
          data: { amountReversed: { increment: amount } },
        });
        if (taken.count !== 1) {
          throw new PaymentsRequestError(
            "amount_too_large",
            `Reversal amount (${amount}) is greater than the amount left on transfer ${transfer.id} (${transfer.amount - transfer.amountReversed}).`,
            { param: "amount" },
          );
        }
        const reversal = await tx.simTransferReversal.create({ data: { id: stripeId("trr"), transferId: transfer.id, amount, created: now } });
        return { id: reversal.id, amount: reversal.amount };
      }),

    verifyWebhook: async (rawBody, signatureHeader) => verifyStripeWebhook(rawBody, signatureHeader, webhookSecret, clock.now()),
  };
}

/** The payment method a charge will use: an attached one of this customer, or a test token used directly. */
async function chargeablePaymentMethod(tx: Tx, customerId: string, paymentMethodId: string, now: Date): Promise<SimPaymentMethod> {
  const test = TEST_PAYMENT_METHODS[paymentMethodId];
  if (test) {
    const { decline: _decline, ...details } = test;
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
async function drawFromCharge(tx: Tx, chargeId: string, amount: number, currency: string): Promise<void> {
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

function toDetails(pm: SimPaymentMethod): PaymentMethodDetails {
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

function toSetupIntent(intent: SimSetupIntent): SetupIntent {
  return { id: intent.id, status: intent.status as SetupIntentStatus, customerId: intent.customerId, paymentMethodId: intent.paymentMethodId };
}

function toPaymentIntent(intent: SimPaymentIntent): PaymentIntent {
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
function money(amount: number, currency: string): string {
  return ZERO_DECIMAL.has(currency) ? `${amount} ${currency}` : `${(amount / 100).toFixed(2)} ${currency}`;
}
const ZERO_DECIMAL = new Set(["bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"]);

function stripeId(prefix: string, length = 24): string {
  return `${prefix}_${randomBase62(length)}`;
}

/** Stripe's answer for an unknown id: 400 naming the parameter, or 404 when the id is the object asked for. */
function missing(what: string, id: string, param?: string): PaymentsRequestError {
  return new PaymentsRequestError("resource_missing", `No such ${what}: '${id}'`, param ? { param } : { status: 404 });
}

function detachedPaymentMethod(): PaymentsRequestError {
  return new PaymentsRequestError(
    "payment_method_unexpected_state",
    "This PaymentMethod was previously used without being attached to a Customer or was detached from a Customer, and may not be used again.",
    { param: "payment_method" },
  );
}

function assertAmount(amount: number, param = "amount"): void {
  if (!Number.isInteger(amount) || amount < 1) throw new PaymentsRequestError("parameter_invalid_integer", `Invalid positive integer: ${amount}`, { param });
  if (amount > MAXIMUM_AMOUNT) throw new PaymentsRequestError("amount_too_large", `Amount must be no more than ${MAXIMUM_AMOUNT}.`, { param });
}

function assertCurrency(currency: string): void {
  if (!/^[a-z]{3}$/.test(currency)) throw new PaymentsRequestError("parameter_invalid", `Invalid currency: ${currency}.`, { param: "currency" });
}

function assertEmail(email: string): void {
  if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 512) throw new PaymentsRequestError("email_invalid", `Invalid email address: ${email}`, { param: "email" });
}

function assertUrl(url: string, param: string): void {
  let ok = false;
  try {
    ok = ["http:", "https:"].includes(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw new PaymentsRequestError("url_invalid", `Not a valid URL: ${param}.`, { param });
}

function canonical(value: unknown): unknown {
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
