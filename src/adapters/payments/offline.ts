import { systemClock } from "../../lib/time.js";
import { verifyStripeWebhook } from "./webhooks.js";
import { authenticationOperations } from "./offline/authentication.js";
import { captureOperations } from "./offline/capture.js";
import { chargesOperations } from "./offline/charges.js";
import { connectOperations } from "./offline/connect.js";
import { customersOperations } from "./offline/customers.js";
import { payoutsOperations } from "./offline/payouts.js";
import { createSimulator } from "./offline/simulator.js";
import { OFFLINE_RATES_PER_USD } from "./offline/rates.js";
import type { OfflineGatewayOptions, OfflinePaymentsGateway } from "./offline/types.js";

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
 * - 3-D Secure: an on-session charge of `pm_card_authenticationRequired` (or `…OnSetup`) waits in
 *   `requires_action` for the buyer at `/offline/payment_intents/<id>/authenticate` (`authenticatePaymentIntent`),
 *   whose Complete / Fail sends `payment_intent.succeeded` / `payment_failed` (offline/authentication.ts).
 * - Webhook signatures are checked exactly as Stripe's SDK checks them, with the configured secret.
 * - What happens later at Stripe is played by test hooks: refunds on `pm_card_refundPending` stay
 *   `pending` until `finishRefund` ends them, which answers the signed `refund.updated` event
 *   Stripe would send (the offline route hands it to the Stripe webhook endpoint's service).
 *
 * - A transfer to an account whose default currency is not the transfer's is converted as it arrives, with the fixed
 *   table of offline/rates.ts (or `exchangeRates`); `retrieveTransfer` answers what it became, as Stripe's balance transaction does.
 * - Payouts of connected accounts follow their schedule when `runScheduledPayouts` plays Stripe's
 *   day (the offline route `/offline/payouts/run`), and end when `finishPayout` plays the bank.
 *
 * One family of operations a file, under offline/: `customers.ts`, `charges.ts`, `capture.ts`, `connect.ts`, `payouts.ts`, on
 * `simulator.ts` (idempotency keys, lookups), `helpers.ts` and `test-methods.ts`.
 */

export type { OfflineGatewayOptions, OfflinePaymentsGateway } from "./offline/types.js";
export { TEST_PAYMENT_METHODS } from "./offline/test-methods.js";
export { sweepSimulatorIdempotencyKeys, type SignedEvent } from "./offline/simulator.js";

export function createOfflineGateway(options: OfflineGatewayOptions): OfflinePaymentsGateway {
  const { webhookSecret } = options;
  const clock = options.clock ?? systemClock;
  const sim = createSimulator(options.db, clock, options.publicUrl.replace(/\/+$/, ""), webhookSecret);
  return {
    kind: "offline",
    ...customersOperations(sim),
    ...chargesOperations(sim),
    ...captureOperations(sim),
    ...connectOperations(sim, options.exchangeRates ?? OFFLINE_RATES_PER_USD),
    ...authenticationOperations(sim),
    ...payoutsOperations(sim),
    deliverEventsTo: sim.deliverEventsTo,
    idle: sim.idle,
    verifyWebhook: async (rawBody, signatureHeader) => verifyStripeWebhook(rawBody, signatureHeader, webhookSecret, clock.now()),
  };
}
