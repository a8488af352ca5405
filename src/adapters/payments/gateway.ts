/**
 * The payments port (docs/architecture.md, "Payments port"): everything the API asks of Stripe, in our own words. Two
 * implementations — `stripe.ts` (the `stripe` SDK) and `offline.ts` (a simulator persisted in our
 * database, with Stripe test-mode semantics) — are chosen by config (`config.payments.kind`).
 *
 * Rules every caller relies on:
 * - Every call that creates something takes an `idempotencyKey`, derived by the caller from our own
 *   ids (e.g. `charge:<buyer id>:<attempt>`), so a retry never charges, pays or refunds twice. The
 *   same key with the same request returns the first result (or the first decline) again; the same
 *   key with another request is a `PaymentsIdempotencyError`.
 * - Failures are the errors of `errors.ts`: `CardError` (402) for a decline,
 *   `PaymentsRequestError` (400/404) for a refused request, 5xx ones when Stripe is unreachable.
 * - Amounts are integers in the currency's minor unit; currencies are lower-case ISO 4217 codes.
 * - Webhooks are only verified here; acting on one means re-reading its object with a
 *   `retrieve…` method first (a payload proves only that Stripe sent it, not that it is current).
 */

export type Metadata = Record<string, string>;

export interface PaymentMethodDetails {
  /** The attached PaymentMethod's own id (attaching the test token `pm_card_visa` yields a new `pm_…`). */
  id: string;
  type: "card" | "us_bank_account";
  /** Card brand (`visa`, `mastercard`, …), or the bank's name for a bank account. */
  brand: string | null;
  last4: string;
  expMonth: number | null;
  expYear: number | null;
  /** `credit`, `debit`, `prepaid` or `unknown` for cards; null for bank accounts. */
  funding: string | null;
  /** `individual` or `company` for bank accounts; null for cards. */
  accountHolderType: string | null;
}

export interface PaymentMethodInfo extends PaymentMethodDetails {
  /** The customer it is attached to; null once detached. */
  customerId: string | null;
}

export type PaymentIntentStatus = "succeeded" | "processing" | "requires_payment_method" | "requires_confirmation" | "requires_action" | "requires_capture" | "canceled";

export interface PaymentIntent {
  id: string;
  status: PaymentIntentStatus;
  amount: number;
  currency: string;
  /** The latest charge (`ch_…`): the successful one, or the failed one after a decline. */
  chargeId: string | null;
  customerId: string | null;
  paymentMethodId: string | null;
  /** Why the latest attempt failed, with Stripe's codes. */
  lastPaymentError: { code: string; declineCode: string | null; message: string } | null;
  metadata: Metadata;
  /** Stripe.js's handle on an on-session intent (`pi_…_secret_…`): the buyer's browser confirms it. Only on-session answers carry it. */
  clientSecret?: string | null;
  /** Where to send the buyer to authenticate a `requires_action` intent (3-D Secure): Stripe's hosted page, or the simulator's. */
  nextActionUrl?: string | null;
}

export type SetupIntentStatus = "requires_payment_method" | "requires_confirmation" | "requires_action" | "processing" | "canceled" | "succeeded";

export interface SetupIntent {
  id: string;
  status: SetupIntentStatus;
  customerId: string | null;
  /** The payment method it saved (attached to `customerId`), once confirmed. */
  paymentMethodId: string | null;
}

export interface PayoutSchedule {
  interval: string;
  delayDays: number;
  weeklyAnchor?: string;
  monthlyAnchor?: number;
}

/** A payout schedule to set: `weekly` needs `weeklyAnchor`, `monthly` needs `monthlyAnchor`; `manual` pays out only when asked. */
export interface PayoutScheduleUpdate {
  interval: "manual" | "daily" | "weekly" | "monthly";
  delayDays?: number;
  weeklyAnchor?: string;
  monthlyAnchor?: number;
}

export interface ConnectAccount {
  id: string;
  chargesEnabled: boolean;
  detailsSubmitted: boolean;
  payoutSchedule: PayoutSchedule | null;
  bankLast4: string | null;
  /** ISO 3166-1 alpha-2 (`US`, `DE`): what it may be paid out in follows from it (src/lib/currency.ts). */
  country: string | null;
  /** The currency its balance settles in and is paid out in (lower-case); transfers in another are converted on arrival. */
  defaultCurrency: string | null;
}

/** A transfer as it reached the connected account: its balance transaction there says what it became. */
export interface TransferArrival {
  id: string;
  amount: number;
  currency: string;
  destination: string;
  /** What the connected account's balance got, in its own currency (`amount` when no conversion). */
  destinationAmount: number;
  destinationCurrency: string;
  /** Stripe's `exchange_rate` (units of `destinationCurrency` per unit of `currency`) as a decimal string; null without conversion. */
  exchangeRate: string | null;
}

export interface Refund {
  id: string;
  /** `pending` until the money reached the buyer (a bank debit's refund takes days); its `refund.updated` webhook says how it ended. */
  status: "pending" | "requires_action" | "succeeded" | "failed" | "canceled";
  amount: number;
  /** The metadata it was created with (our ids: `refund_transaction_id` names its `incoming:refund`). */
  metadata: Metadata;
}

export type DisputeStatus = "warning_needs_response" | "warning_under_review" | "warning_closed" | "needs_response" | "under_review" | "won" | "lost";

/** A buyer's dispute of a charge with their bank (a chargeback): Stripe takes `amount` and its `fee` from the platform until it is won. */
export interface Dispute {
  id: string;
  chargeId: string;
  paymentIntentId: string | null;
  amount: number;
  currency: string;
  status: DisputeStatus;
  /** What Stripe charged the platform for the dispute (its balance transactions' fees). */
  fee: number;
}

export interface WebhookEvent {
  id: string;
  type: string;
  /** `data.object.id`: the object to re-read before acting. */
  objectId: string | null;
  livemode: boolean;
  /** The connected account an event of a Connect account is about (`account`), e.g. its payouts; null for the platform's own. */
  account: string | null;
}

export type PayoutStatus = "pending" | "in_transit" | "paid" | "failed" | "canceled";

/** A payout from a connected account's balance to its bank. */
export interface Payout {
  id: string;
  accountId: string;
  amount: number;
  currency: string;
  status: PayoutStatus;
  /** Made by the account's payout schedule, not asked for. */
  automatic: boolean;
  arrivalDate: Date;
  failureCode: string | null;
  failureMessage: string | null;
  metadata: Metadata;
}

/** A connected account's balance per currency: `available` may be paid out now, `pending` not yet. */
export interface AccountBalance {
  available: { amount: number; currency: string }[];
  pending: { amount: number; currency: string }[];
}

export interface PaymentsGateway {
  readonly kind: "stripe" | "offline";

  createCustomer(input: { email: string; name?: string | null; metadata: Metadata; idempotencyKey: string }): Promise<{ id: string }>;
  /** A SetupIntent for saving a payment method client-side (Stripe.js), for later off-session use. */
  createSetupIntent(input: { customerId: string; idempotencyKey: string }): Promise<{ id: string; clientSecret: string }>;
  retrieveSetupIntent(setupIntentId: string): Promise<SetupIntent>;

  attachPaymentMethod(input: { customerId: string; paymentMethodId: string; idempotencyKey: string }): Promise<PaymentMethodDetails>;
  retrievePaymentMethod(paymentMethodId: string): Promise<PaymentMethodInfo>;
  detachPaymentMethod(input: { paymentMethodId: string }): Promise<void>;
  /** The customer's default for invoices and off-session payments. */
  setDefaultPaymentMethod(input: { customerId: string; paymentMethodId: string }): Promise<void>;

  /**
   * An off-session payment, confirmed at once. A decline throws `CardError` (and leaves the intent `requires_payment_method`);
   * a card that wants its holder to authenticate declines with `authentication_required`.
   * With `onSession` the buyer is present: a card that wants 3-D Secure answers `requires_action` with the intent's
   * `clientSecret` and a `nextActionUrl`, and its webhook (`payment_intent.succeeded` / `payment_failed`) says how it ended;
   * `returnUrl` is where the authentication page sends the buyer back to.
   * With `captureMethod: "manual"` the card is only authorised: the intent ends `requires_capture` and
   * `capturePaymentIntent` takes the money (or `cancelPaymentIntent` releases it; Stripe releases it by itself after 7 days).
   */
  createPaymentIntent(input: {
    amount: number;
    currency: string;
    customerId: string;
    paymentMethodId: string;
    transferGroup?: string;
    captureMethod?: "manual";
    metadata: Metadata;
    idempotencyKey: string;
    onSession?: { returnUrl?: string };
  }): Promise<PaymentIntent>;
  /** Captures an authorised (`requires_capture`) intent in full: it is `succeeded`. Another state: `PaymentsRequestError` `payment_intent_unexpected_state`. */
  capturePaymentIntent(input: { paymentIntentId: string; idempotencyKey: string }): Promise<PaymentIntent>;
  /** Releases an authorisation (or ends an unpaid intent): `canceled`. A succeeded one: `PaymentsRequestError` `payment_intent_unexpected_state`. */
  cancelPaymentIntent(input: { paymentIntentId: string; idempotencyKey: string }): Promise<PaymentIntent>;
  retrievePaymentIntent(paymentIntentId: string): Promise<PaymentIntent>;

  /** A Connect Express account for a seller. */
  createConnectAccount(input: { email: string; country?: string; metadata: Metadata; idempotencyKey: string }): Promise<{ id: string }>;
  /** A short-lived onboarding link; Stripe sends the seller to `returnUrl` when done, `refreshUrl` when the link is stale. */
  createAccountLink(input: { accountId: string; refreshUrl: string; returnUrl: string }): Promise<{ url: string; expiresAt: Date }>;
  retrieveAccount(accountId: string): Promise<ConnectAccount>;
  /**
   * Changes what the platform sets of a Connect account — its payout schedule, its default (payout)
   * currency — and answers the account as it is then. The one way to set either: the payout
   * settings and the bank account routes both come here.
   */
  updateAccount(input: { accountId: string; payoutSchedule?: PayoutScheduleUpdate; defaultCurrency?: string }): Promise<ConnectAccount>;
  /**
   * Deletes a Connect account: transfers to it fail from then on and it cannot be read again. Stripe
   * deletes a test-mode account at any time, a live-mode one only once its balances are zero.
   */
  deleteAccount(accountId: string): Promise<void>;

  /** Moves funds to a connected account; `sourceTransaction` (a `ch_…`) ties it to the charge that funds it. */
  createTransfer(input: {
    amount: number;
    currency: string;
    destination: string;
    transferGroup?: string;
    sourceTransaction?: string;
    metadata: Metadata;
    idempotencyKey: string;
  }): Promise<{ id: string }>;
  /** Refunds part (`amount`) or, without `amount`, the rest of a payment. */
  createRefund(input: { paymentIntentId: string; amount?: number; metadata: Metadata; idempotencyKey: string }): Promise<Omit<Refund, "metadata">>;
  retrieveRefund(refundId: string): Promise<Refund>;
  retrieveDispute(disputeId: string): Promise<Dispute>;
  createTransferReversal(input: { transferId: string; amount: number; idempotencyKey: string }): Promise<{ id: string; amount: number }>;

  /** A transfer and what it became on the connected account (converted when the account's currency differs). */
  retrieveTransfer(transferId: string): Promise<TransferArrival>;
  retrieveBalance(accountId: string): Promise<AccountBalance>;
  /** A payout of `amount` of the account's available balance to its bank (for accounts on a manual schedule). */
  createPayout(input: { accountId: string; amount: number; currency: string; metadata: Metadata; idempotencyKey: string }): Promise<Payout>;
  retrievePayout(input: { accountId: string; payoutId: string }): Promise<Payout>;

  /**
   * Checks a webhook's `Stripe-Signature` (HMAC-SHA256 of `"<t>.<raw body>"` with the webhook
   * secret; at most 5 minutes old) and returns what the event names. Throws `WebhookSignatureError`.
   */
  verifyWebhook(rawBody: string | Buffer, signatureHeader: string): Promise<WebhookEvent>;
}

/** How old a webhook's signature timestamp may be, as Stripe's SDK checks it. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** Stripe's minimum charge per currency (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts), for the common ones. */
const MINIMUM_CHARGE: Readonly<Record<string, number>> = { usd: 50, eur: 50, cad: 50, aud: 50, chf: 50, nzd: 50, sgd: 50, gbp: 30, jpy: 50 };

/**
 * The smallest amount Stripe charges in `currency` (minor units), where we know it: the simulator
 * refuses smaller charges as Stripe does, and settlement checks it before charging anyone.
 */
export function minimumChargeAmount(currency: string): number | undefined {
  return MINIMUM_CHARGE[currency];
}

/** The largest amount Stripe charges or transfers at once, in minor units (999 999.99 in two-decimal currencies). */
export const MAXIMUM_AMOUNT = 99_999_999;
