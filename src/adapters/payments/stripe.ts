import Stripe from "stripe";
import { systemClock, type Clock } from "../../lib/time.js";
import { PaymentsRequestError, fromStripeError } from "./errors.js";
import type {
  ConnectAccount,
  Dispute,
  Metadata,
  PaymentIntent,
  PaymentIntentStatus,
  PaymentMethodDetails,
  PaymentMethodInfo,
  PaymentsGateway,
  Payout,
  Refund,
  SetupIntentStatus,
} from "./gateway.js";
import { verifyStripeWebhook } from "./webhooks.js";

export interface StripeGatewayOptions {
  secretKey: string;
  webhookSecret?: string;
  /** Where the API is; tests point these at a stand-in on loopback. Default: api.stripe.com:443 over https. */
  host?: string;
  port?: number;
  protocol?: "http" | "https";
  /** Per attempt, ms. */
  timeoutMs?: number;
  /** Retries of failed connections and 409/5xx answers, with the same idempotency key. */
  maxNetworkRetries?: number;
  clock?: Clock;
}

// Three attempts of 8 s fit in the default 30 s REQUEST_TIMEOUT with room for backoff.
const DEFAULT_TIMEOUT_MS = 8_000;
const DEFAULT_MAX_NETWORK_RETRIES = 2;

/** The payments port on the `stripe` SDK: one thin function per operation. */
export function createStripeGateway(options: StripeGatewayOptions): PaymentsGateway {
  const clock = options.clock ?? systemClock;
  const stripe = new Stripe(options.secretKey, {
    host: options.host,
    port: options.port,
    protocol: options.protocol,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxNetworkRetries: options.maxNetworkRetries ?? DEFAULT_MAX_NETWORK_RETRIES,
    telemetry: false,
    appInfo: { name: "candle-marketplace-api" },
  });

  return {
    kind: "stripe",

    createCustomer: ({ email, name, metadata, idempotencyKey }) =>
      call(async () => {
        const customer = await stripe.customers.create({ email, ...(name ? { name } : {}), metadata }, { idempotencyKey });
        return { id: customer.id };
      }),

    createSetupIntent: ({ customerId, idempotencyKey }) =>
      call(async () => {
        const intent = await stripe.setupIntents.create({ customer: customerId, usage: "off_session" }, { idempotencyKey });
        return { id: intent.id, clientSecret: intent.client_secret! };
      }),

    retrieveSetupIntent: (setupIntentId) =>
      call(async () => {
        const intent = await stripe.setupIntents.retrieve(setupIntentId);
        return { id: intent.id, status: intent.status as SetupIntentStatus, customerId: idOf(intent.customer), paymentMethodId: idOf(intent.payment_method) };
      }),

    attachPaymentMethod: ({ customerId, paymentMethodId, idempotencyKey }) =>
      call(async () => toPaymentMethod(await stripe.paymentMethods.attach(paymentMethodId, { customer: customerId }, { idempotencyKey }))),

    retrievePaymentMethod: (paymentMethodId) =>
      call(async () => {
        const pm = await stripe.paymentMethods.retrieve(paymentMethodId);
        return { ...toPaymentMethod(pm), customerId: idOf(pm.customer) } satisfies PaymentMethodInfo;
      }),

    detachPaymentMethod: ({ paymentMethodId }) =>
      call(async () => {
        await stripe.paymentMethods.detach(paymentMethodId);
      }),

    setDefaultPaymentMethod: ({ customerId, paymentMethodId }) =>
      call(async () => {
        await stripe.customers.update(customerId, { invoice_settings: { default_payment_method: paymentMethodId } });
      }),

    createPaymentIntent: ({ amount, currency, customerId, paymentMethodId, transferGroup, captureMethod, metadata, idempotencyKey, onSession }) =>
      call(async () =>
        toPaymentIntent(
          await stripe.paymentIntents.create(
            {
              amount,
              currency,
              customer: customerId,
              payment_method: paymentMethodId,
              confirm: true,
              ...(onSession
                ? // The buyer is present: 3-D Secure answers `requires_action`; with a return URL its next action is Stripe's hosted page (`redirect_to_url`).
                  onSession.returnUrl
                  ? { return_url: onSession.returnUrl }
                  : { automatic_payment_methods: { enabled: true, allow_redirects: "never" as const } }
                : // Off-session, nobody is there to follow a redirect.
                  { off_session: true, automatic_payment_methods: { enabled: true, allow_redirects: "never" as const } }),
              ...(transferGroup ? { transfer_group: transferGroup } : {}),
              ...(captureMethod ? { capture_method: captureMethod } : {}),
              metadata,
            },
            { idempotencyKey },
          ),
          onSession !== undefined,
        ),
      ),

    capturePaymentIntent: ({ paymentIntentId, idempotencyKey }) => call(async () => toPaymentIntent(await stripe.paymentIntents.capture(paymentIntentId, {}, { idempotencyKey }))),

    cancelPaymentIntent: ({ paymentIntentId, idempotencyKey }) => call(async () => toPaymentIntent(await stripe.paymentIntents.cancel(paymentIntentId, {}, { idempotencyKey }))),

    retrievePaymentIntent: (paymentIntentId) => call(async () => toPaymentIntent(await stripe.paymentIntents.retrieve(paymentIntentId))),

    createConnectAccount: ({ email, country, metadata, idempotencyKey }) =>
      call(async () => {
        const account = await stripe.accounts.create(
          { type: "express", email, ...(country ? { country } : {}), metadata, capabilities: { card_payments: { requested: true }, transfers: { requested: true } } },
          { idempotencyKey },
        );
        return { id: account.id };
      }),

    createAccountLink: ({ accountId, refreshUrl, returnUrl }) =>
      call(async () => {
        const link = await stripe.accountLinks.create({ account: accountId, refresh_url: refreshUrl, return_url: returnUrl, type: "account_onboarding" });
        return { url: link.url, expiresAt: new Date(link.expires_at * 1000) };
      }),

    retrieveAccount: (accountId) => call(async () => toAccount(await stripe.accounts.retrieve(accountId))),

    updateAccount: ({ accountId, payoutSchedule: s, defaultCurrency }) =>
      call(async () =>
        toAccount(
          await stripe.accounts.update(accountId, {
            ...(defaultCurrency !== undefined ? { default_currency: defaultCurrency } : {}),
            ...(s
              ? {
                  settings: {
                    payouts: {
                      schedule: {
                        interval: s.interval,
                        ...(s.delayDays !== undefined ? { delay_days: s.delayDays } : {}),
                        ...(s.weeklyAnchor !== undefined ? { weekly_anchor: s.weeklyAnchor as Stripe.AccountUpdateParams.Settings.Payouts.Schedule.WeeklyAnchor } : {}),
                        ...(s.monthlyAnchor !== undefined ? { monthly_anchor: s.monthlyAnchor } : {}),
                      },
                    },
                  },
                }
              : {}),
          }),
        ),
      ),

    deleteAccount: (accountId) =>
      call(async () => {
        await stripe.accounts.del(accountId);
      }),

    createTransfer: ({ amount, currency, destination, transferGroup, sourceTransaction, metadata, idempotencyKey }) =>
      call(async () => {
        const transfer = await stripe.transfers.create(
          {
            amount,
            currency,
            destination,
            ...(transferGroup ? { transfer_group: transferGroup } : {}),
            ...(sourceTransaction ? { source_transaction: sourceTransaction } : {}),
            metadata,
          },
          { idempotencyKey },
        );
        return { id: transfer.id };
      }),

    retrieveTransfer: (transferId) =>
      call(async () => {
        const transfer = await stripe.transfers.retrieve(transferId);
        const destination = idOf(transfer.destination)!;
        const base = { id: transfer.id, amount: transfer.amount, currency: transfer.currency, destination };
        const paymentId = idOf(transfer.destination_payment);
        if (!paymentId) return { ...base, destinationAmount: transfer.amount, destinationCurrency: transfer.currency, exchangeRate: null };
        // What arrived is the balance transaction of the transfer's payment on the connected account.
        const payment = await stripe.charges.retrieve(paymentId, { expand: ["balance_transaction"] }, { stripeAccount: destination });
        const bt = payment.balance_transaction as Stripe.BalanceTransaction | string | null;
        if (!bt || typeof bt === "string") return { ...base, destinationAmount: transfer.amount, destinationCurrency: transfer.currency, exchangeRate: null };
        return {
          ...base,
          destinationAmount: bt.amount,
          destinationCurrency: bt.currency,
          exchangeRate: bt.exchange_rate === null || bt.exchange_rate === undefined ? null : String(bt.exchange_rate),
        };
      }),

    createRefund: ({ paymentIntentId, amount, metadata, idempotencyKey }) =>
      call(async () => {
        const refund = await stripe.refunds.create({ payment_intent: paymentIntentId, ...(amount === undefined ? {} : { amount }), metadata }, { idempotencyKey });
        return { id: refund.id, status: (refund.status ?? "pending") as Refund["status"], amount: refund.amount };
      }),

    retrieveRefund: (refundId) => call(async () => toRefund(await stripe.refunds.retrieve(refundId))),

    retrieveDispute: (disputeId) =>
      call(async () => {
        const d = await stripe.disputes.retrieve(disputeId);
        return {
          id: d.id,
          chargeId: idOf(d.charge)!,
          paymentIntentId: idOf(d.payment_intent),
          amount: d.amount,
          currency: d.currency,
          status: d.status as Dispute["status"],
          // Stripe's fee is charged as a balance transaction's fee (given back on one when won).
          fee: Math.max(
            0,
            (d.balance_transactions ?? []).reduce((sum, bt) => sum + bt.fee, 0),
          ),
        };
      }),

    createTransferReversal: ({ transferId, amount, idempotencyKey }) =>
      call(async () => {
        const reversal = await stripe.transfers.createReversal(transferId, { amount }, { idempotencyKey });
        return { id: reversal.id, amount: reversal.amount };
      }),

    retrieveBalance: (accountId) =>
      call(async () => {
        const b = await stripe.balance.retrieve({}, { stripeAccount: accountId });
        const rows = (list: { amount: number; currency: string }[]) => list.map((x) => ({ amount: x.amount, currency: x.currency }));
        return { available: rows(b.available), pending: rows(b.pending) };
      }),

    createPayout: ({ accountId, amount, currency, metadata, idempotencyKey }) =>
      call(async () => toPayout(accountId, await stripe.payouts.create({ amount, currency, metadata }, { stripeAccount: accountId, idempotencyKey }))),

    retrievePayout: ({ accountId, payoutId }) => call(async () => toPayout(accountId, await stripe.payouts.retrieve(payoutId, {}, { stripeAccount: accountId }))),

    verifyWebhook: async (rawBody, signatureHeader) => verifyStripeWebhook(rawBody, signatureHeader, options.webhookSecret, clock.now()),
  };
}

function toPayout(accountId: string, p: Stripe.Payout): Payout {
  return {
    id: p.id,
    accountId,
    amount: p.amount,
    currency: p.currency,
    status: p.status as Payout["status"],
    automatic: p.automatic,
    arrivalDate: new Date(p.arrival_date * 1000),
    failureCode: p.failure_code ?? null,
    failureMessage: p.failure_message ?? null,
    metadata: (p.metadata ?? {}) as Metadata,
  };
}

function toRefund(refund: Stripe.Refund): Refund {
  return { id: refund.id, status: (refund.status ?? "pending") as Refund["status"], amount: refund.amount, metadata: (refund.metadata ?? {}) as Metadata };
}

async function call<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw fromStripeError(err);
  }
}

function idOf(value: string | { id: string } | null | undefined): string | null {
  if (!value) return null;
  return typeof value === "string" ? value : value.id;
}

function toPaymentMethod(pm: Stripe.PaymentMethod): PaymentMethodDetails {
  if (pm.type === "card" && pm.card) {
    const { card } = pm;
    return { id: pm.id, type: "card", brand: card.brand, last4: card.last4, expMonth: card.exp_month, expYear: card.exp_year, funding: card.funding, accountHolderType: null };
  }
  if (pm.type === "us_bank_account" && pm.us_bank_account) {
    const bank = pm.us_bank_account;
    return {
      id: pm.id,
      type: "us_bank_account",
      brand: bank.bank_name,
      last4: bank.last4 ?? "",
      expMonth: null,
      expYear: null,
      funding: null,
      accountHolderType: bank.account_holder_type,
    };
  }
  throw new PaymentsRequestError("payment_method_type_unsupported", `Payment methods of type \`${pm.type}\` are not supported; use a card or a US bank account.`, {
    param: "payment_method",
  });
}

function toPaymentIntent(pi: Stripe.PaymentIntent, withSecret = false): PaymentIntent {
  const error = pi.last_payment_error;
  return {
    ...(withSecret ? { clientSecret: pi.client_secret, nextActionUrl: pi.next_action?.redirect_to_url?.url ?? null } : {}),
    id: pi.id,
    status: pi.status as PaymentIntentStatus,
    amount: pi.amount,
    currency: pi.currency,
    chargeId: idOf(pi.latest_charge),
    customerId: idOf(pi.customer),
    paymentMethodId: idOf(pi.payment_method),
    lastPaymentError: error ? { code: error.code ?? "card_declined", declineCode: error.decline_code ?? null, message: error.message ?? "" } : null,
    metadata: pi.metadata ?? {},
  };
}

function toAccount(account: Stripe.Account): ConnectAccount {
  const schedule = account.settings?.payouts?.schedule;
  const external = account.external_accounts?.data ?? [];
  const bank = external.find((a) => a.default_for_currency) ?? external[0];
  return {
    id: account.id,
    chargesEnabled: account.charges_enabled ?? false,
    detailsSubmitted: account.details_submitted ?? false,
    payoutSchedule: schedule
      ? {
          interval: schedule.interval,
          delayDays: schedule.delay_days,
          ...(schedule.weekly_anchor ? { weeklyAnchor: schedule.weekly_anchor } : {}),
          ...(schedule.monthly_anchor ? { monthlyAnchor: schedule.monthly_anchor } : {}),
        }
      : null,
    bankLast4: bank?.last4 ?? null,
    country: account.country ?? null,
    defaultCurrency: account.default_currency ?? null,
  };
}
