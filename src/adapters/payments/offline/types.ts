import type { Db } from "../../../db/client.js";
import type { Clock } from "../../../lib/time.js";
import type { PaymentsGateway, Payout, SetupIntent } from "../gateway.js";
import type { SignedEvent } from "./simulator.js";

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
  /**
   * What Stripe does days after a `pending` refund: it ends `succeeded` or `failed` (a failed one
   * gives the charge its refundable amount back). Answers the `refund.updated` event Stripe would
   * send, signed; null when the refund is unknown or not pending.
   */
  finishRefund(input: { refundId: string; outcome: "succeeded" | "failed" }): Promise<SignedEvent | null>;
  /** Closes an open dispute as the bank decided; answers the signed `charge.dispute.closed` event, or null when it is unknown or closed. */
  finishDispute(input: { disputeId: string; outcome: "won" | "lost" }): Promise<SignedEvent | null>;
  /** The authentication page's view of an on-session intent: null unless `clientSecret` is the intent's. */
  paymentIntentAwaitingAuthentication(input: {
    paymentIntentId: string;
    clientSecret: string;
  }): Promise<{ id: string; amount: number; currency: string; status: string; returnUrl: string | null } | null>;
  /**
   * The buyer completes (or fails) 3-D Secure on an intent in `requires_action`: it succeeds (or goes back to
   * `requires_payment_method`), and the signed `payment_intent.succeeded` (`payment_failed`) event Stripe would send is
   * answered. Null when the client secret is not the intent's, or it is not waiting for authentication.
   */
  authenticatePaymentIntent(input: {
    paymentIntentId: string;
    clientSecret: string;
    outcome: "complete" | "fail";
  }): Promise<{ status: string; returnUrl: string | null; event: SignedEvent } | null>;
  /**
   * What Stripe does each day for connected accounts on an automatic payout schedule: pays out each
   * due account's available balance (once a day). Answers the payouts made with the signed
   * `payout.created` events, for the caller to deliver.
   */
  runScheduledPayouts(): Promise<{ payout: Payout; event: SignedEvent }[]>;
  /** The bank's answer to a pending payout; answers the signed `payout.paid` / `payout.failed` event, or null when it is unknown or not pending. */
  finishPayout(input: { payoutId: string; outcome: "paid" | "failed" }): Promise<SignedEvent | null>;
  /** Where the simulator sends the events of what happens on its own (a dispute opened after a charge): the Stripe webhook endpoint's service. */
  deliverEventsTo(sink: (event: SignedEvent) => Promise<unknown>): void;
  /** Resolves once the events sent so far were delivered (tests wait on it). */
  idle(): Promise<void>;
}

export interface OfflineGatewayOptions {
  db: Db;
  /** Base URL of this server, for onboarding links. */
  publicUrl: string;
  webhookSecret: string;
  clock?: Clock;
  /** Units of each currency per US dollar, for converting transfers; default offline/rates.ts's table. */
  exchangeRates?: Readonly<Record<string, string>>;
}
