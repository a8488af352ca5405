import { PaymentsRequestError } from "../../adapters/payments/errors.js";
import type { Metadata, PaymentIntent, PaymentsGateway } from "../../adapters/payments/gateway.js";
import type { AppError } from "../../lib/errors.js";
import { isDefinitive } from "./payment-failures.js";

/**
 * The one path money moves through: a settlement charges its payers, then transfers its payees'
 * shares, then finishes (fees, books, status). Contract settlement (the contracts module's `settle`)
 * and subscription charges (the subscriptions module's billing — a subscription's first cycle and
 * every renewal) both run here; what differs is only how each records its steps, which they hand
 * in as `steps`.
 *
 * The rules: no database transaction is open during a gateway call; the lease is short, renewed
 * by a heartbeat while the work runs and before each call, so a settler that lost it (another took over after it lapsed) stops;
 * every call carries an idempotency key the caller derives from its own ids, so repeating a step
 * after a crash or a lost answer repeats the first result instead of moving money again; each
 * outcome is recorded in its own transaction as soon as it is known.
 */

export interface EngineCharge {
  amount: number;
  customerId: string;
  paymentMethodId: string;
  idempotencyKey: string;
  metadata: Metadata;
  /** Only authorise the card (capture_method manual): `requires_capture` is this charge's success. */
  captureMethod?: "manual";
  /** Capture this authorised PaymentIntent instead of creating one. */
  capture?: string;
}

type EnginePayments = Pick<PaymentsGateway, "createPaymentIntent" | "createTransfer"> & Partial<Pick<PaymentsGateway, "capturePaymentIntent">>;

export interface EngineTransfer {
  amount: number;
  destination: string;
  idempotencyKey: string;
  metadata: Metadata;
}

export interface SettlementSteps<C extends EngineCharge, T extends EngineTransfer> {
  currency: string;
  /** Stripe's `transfer_group` of every charge and transfer (and the transactions' group). */
  transferGroup: string;
  /** Charges still to make, in order. */
  charges: readonly C[];
  /** Transfers still to make, in order, once every charge is in. */
  transfers: readonly T[];
  /** Extends the lease before a gateway call (and on each heartbeat); throws when it was lost. */
  renewLease(): Promise<void>;
  /**
   * Renews the lease every `everyMs` while the settlement runs, so a short lease outlives slow
   * gateway calls — but not past `maxStepMs` of one step (by `now`, the settler's clock): a call
   * hung longer than any gateway timeout is taken for a dead settler, and its lease left to lapse.
   */
  heartbeat?: { everyMs: number; maxStepMs: number; now(): number };
  /** Lets the next settler start at once (the outcome of the last call is unknown, or it is pending). */
  releaseLease(): Promise<void>;
  /** A definitive failure (`isDefinitive`: a decline, a refused request): the attempt is over. The engine rethrows `err` after. */
  chargeFailed(charge: C, err: AppError): Promise<void>;
  /** Records a successful charge. */
  chargeSucceeded(charge: C, intent: PaymentIntent): Promise<void>;
  /** Before the transfers: checks every payer has paid, and names the charge they may draw on (`source_transaction`). */
  transferSource(): Promise<string | undefined>;
  /** Stripe refused a transfer (so none was made): record it and answer the error to throw. */
  transferRefused(transfer: T, err: PaymentsRequestError): Promise<Error>;
  /** Records a transfer. */
  transferMade(transfer: T, made: { id: string }): Promise<void>;
  /** Fees, the books, the final status — and the lease's release. */
  finish(): Promise<void>;
}

/**
 * Runs a settlement's remaining steps. `"pending"` when a charge is still processing at Stripe (a
 * bank debit): its webhook carries on. Gateway failures are rethrown after they were recorded.
 */
export async function runSettlement<C extends EngineCharge, T extends EngineTransfer>(payments: EnginePayments, steps: SettlementSteps<C, T>): Promise<"complete" | "pending"> {
  const beat = steps.heartbeat;
  if (!beat) return runSteps(payments, steps);
  let stepStarted = beat.now();
  const renewLease = () => {
    stepStarted = beat.now();
    return steps.renewLease();
  };
  // A lost lease stops the heartbeat quietly; the next renewLease before a gateway call throws.
  const timer = setInterval(() => {
    if (beat.now() - stepStarted > beat.maxStepMs) clearInterval(timer);
    else void steps.renewLease().catch(() => clearInterval(timer));
  }, beat.everyMs);
  timer.unref();
  try {
    return await runSteps(payments, { ...steps, renewLease });
  } finally {
    clearInterval(timer);
  }
}

async function runSteps<C extends EngineCharge, T extends EngineTransfer>(payments: EnginePayments, steps: SettlementSteps<C, T>): Promise<"complete" | "pending"> {
  for (const charge of steps.charges) {
    await steps.renewLease();
    let intent: PaymentIntent;
    try {
      intent = charge.capture
        ? await payments.capturePaymentIntent!({ paymentIntentId: charge.capture, idempotencyKey: charge.idempotencyKey })
        : await payments.createPaymentIntent({
            amount: charge.amount,
            currency: steps.currency,
            customerId: charge.customerId,
            paymentMethodId: charge.paymentMethodId,
            transferGroup: steps.transferGroup,
            ...(charge.captureMethod ? { captureMethod: charge.captureMethod } : {}),
            metadata: charge.metadata,
            idempotencyKey: charge.idempotencyKey,
          });
    } catch (err) {
      if (isDefinitive(err)) await steps.chargeFailed(charge, err);
      // Otherwise the outcome is unknown (Stripe unreachable, too slow): the next settler repeats
      // the attempt under the same key.
      else await steps.releaseLease();
      throw err;
    }
    const authorised = charge.captureMethod === "manual" && !charge.capture && intent.status === "requires_capture";
    if (intent.status !== "succeeded" && !authorised) {
      // A bank debit takes days: the payment_intent.succeeded webhook records it and resumes.
      await steps.releaseLease();
      return "pending";
    }
    await steps.chargeSucceeded(charge, intent);
  }
  const source = await steps.transferSource();
  for (const transfer of steps.transfers) {
    await steps.renewLease();
    let made: { id: string };
    try {
      made = await payments.createTransfer({
        amount: transfer.amount,
        currency: steps.currency,
        destination: transfer.destination,
        transferGroup: steps.transferGroup,
        ...(source ? { sourceTransaction: source } : {}),
        metadata: transfer.metadata,
        idempotencyKey: transfer.idempotencyKey,
      });
    } catch (err) {
      // Stripe refused it, so nothing moved: the next try is a new transfer under a new key.
      if (err instanceof PaymentsRequestError) throw await steps.transferRefused(transfer, err);
      await steps.releaseLease();
      throw err;
    }
    await steps.transferMade(transfer, made);
  }
  await steps.finish();
  return "complete";
}
