import Stripe from "stripe";
import { isErrorCode, type ErrorCode } from "../../lib/error-codes.js";
import { AppError } from "../../lib/errors.js";

/**
 * Stripe's code when it is one of ours (src/lib/error-codes.ts), else the family's generic one:
 * every code answered is documented. The processor's own code is kept as `stripe_code`.
 */
function known(code: string | undefined, fallback: ErrorCode): { code: ErrorCode; extra?: { stripe_code: string } } {
  if (isErrorCode(code)) return { code };
  return code ? { code: fallback, extra: { stripe_code: code } } : { code: fallback };
}

/**
 * What a PaymentsGateway throws. Both implementations throw these and nothing else for a payments
 * failure, so services handle one set of errors and the error handler renders them in our
 * envelope with Stripe's `code`, `decline_code` and message (README, "Conventions"). Failures on Stripe's
 * side or in our own Stripe credentials are 5xx with no detail: the client cannot fix them.
 */

/** 402: the card (or bank) was declined. `code` and `decline_code` are Stripe's. */
export class CardError extends AppError {
  readonly declineCode: string | null;
  /** The PaymentIntent left in `requires_payment_method`, when the decline happened while paying. */
  readonly paymentIntentId: string | null;
  /** The failed charge, when there is one. */
  readonly chargeId: string | null;

  constructor(input: { code: string; declineCode?: string | null; message: string; param?: string; paymentIntentId?: string | null; chargeId?: string | null }) {
    const { code, extra } = known(input.code, "card_declined");
    super(402, "card_error", code, input.message, {
      param: input.param,
      extra: input.declineCode || extra ? { ...extra, ...(input.declineCode ? { decline_code: input.declineCode } : {}) } : undefined,
    });
    this.declineCode = input.declineCode ?? null;
    this.paymentIntentId = input.paymentIntentId ?? null;
    this.chargeId = input.chargeId ?? null;
  }
}

/** 400 (or 404 for an unknown object in the path): Stripe refused the request's parameters or state. */
export class PaymentsRequestError extends AppError {
  constructor(code: string, message: string, options: { param?: string; status?: 400 | 404 } = {}) {
    const known_ = known(code, "invalid_request");
    super(options.status ?? 400, "invalid_request_error", known_.code, message, { param: options.param, extra: known_.extra });
  }
}

/** An idempotency key reused for a different request (400), or while its first request still runs (409). */
export class PaymentsIdempotencyError extends AppError {
  constructor(code: string | undefined, message: string, status: 400 | 409 = 400) {
    const fallback = status === 409 ? "idempotency_key_in_use" : "idempotency_key_reused";
    super(status, "idempotency_error", known(code, fallback).code, message);
  }
}

/** 502: Stripe refused our own credentials (a wrong, revoked or restricted STRIPE_SECRET_KEY). */
export class PaymentsAuthenticationError extends AppError {
  constructor(cause?: unknown) {
    super(502, "api_error", "payments_misconfigured", "The payment processor refused the server's credentials. Contact the operator.", { cause });
  }
}

/** 502: Stripe could not be reached or failed. Retrying later (with the same idempotency key) is safe. */
export class PaymentsUnavailableError extends AppError {
  constructor(cause?: unknown) {
    super(502, "api_error", "payments_unavailable", "The payment processor is unavailable. Retry shortly.", { cause, headers: { "retry-after": "1" } });
  }
}

/** 504: Stripe did not answer in time; the operation may or may not have happened, so retry with the same key. */
export class PaymentsTimeoutError extends AppError {
  constructor(cause?: unknown) {
    super(504, "api_error", "payments_timeout", "The payment processor did not answer in time. Retry with the same idempotency key.", {
      cause,
      headers: { "retry-after": "1" },
    });
  }
}

/** 503: Stripe is rate limiting this server. */
export class PaymentsRateLimitError extends AppError {
  constructor(cause?: unknown) {
    super(503, "api_error", "payments_rate_limited", "The payment processor is busy. Retry shortly.", { cause, headers: { "retry-after": "2" } });
  }
}

/** 400: a webhook whose `Stripe-Signature` does not verify, is too old, or whose body is not an event. */
export class WebhookSignatureError extends AppError {
  constructor(code: ErrorCode, message: string) {
    super(400, "invalid_request_error", code, message, { param: "Stripe-Signature" });
  }
}

/** 503: webhooks arrive but STRIPE_WEBHOOK_SECRET is not set; Stripe retries them once it is. */
export class WebhookSecretMissingError extends AppError {
  constructor() {
    super(503, "api_error", "webhook_secret_missing", "Webhooks cannot be verified: STRIPE_WEBHOOK_SECRET is not configured.", {
      headers: { "retry-after": "60" },
    });
  }
}

/**
 * The one translation of the `stripe` SDK's errors into ours. Anything that is not a Stripe error
 * (a bug of ours) is returned unchanged.
 */
export function fromStripeError(err: unknown): unknown {
  const E = Stripe.errors;
  if (!(err instanceof E.StripeError)) return err;
  if (err instanceof E.StripeCardError) {
    return new CardError({
      code: err.code ?? "card_declined",
      declineCode: err.decline_code || null,
      message: err.message,
      param: err.param,
      paymentIntentId: err.payment_intent?.id ?? null,
      chargeId: err.charge ?? null,
    });
  }
  if (err instanceof E.StripeIdempotencyError) return new PaymentsIdempotencyError((err.code ?? "idempotency_key_reused") as ErrorCode, err.message, 400);
  if (err instanceof E.StripeRateLimitError) return new PaymentsRateLimitError(err);
  if (err instanceof E.StripeInvalidRequestError) {
    return new PaymentsRequestError((err.code ?? "invalid_request") as ErrorCode, err.message, { param: err.param, status: err.statusCode === 404 ? 404 : 400 });
  }
  if (err instanceof E.StripeAuthenticationError || err instanceof E.StripePermissionError) return new PaymentsAuthenticationError(err);
  if (err instanceof E.StripeConnectionError) {
    const detail = err.detail as { code?: string } | undefined;
    return detail?.code === "ETIMEDOUT" ? new PaymentsTimeoutError(err) : new PaymentsUnavailableError(err);
  }
  if (err instanceof E.StripeSignatureVerificationError) {
    return /tolerance/i.test(err.message)
      ? new WebhookSignatureError("webhook_timestamp_too_old", "The webhook's timestamp is more than 5 minutes old.")
      : new WebhookSignatureError("webhook_signature_invalid", "The Stripe-Signature header is missing, malformed, or does not match the body.");
  }
  // A concurrent request with the same key arrives as a 409 `idempotency_error`.
  if (err.statusCode === 409 && err.rawType === "idempotency_error") return new PaymentsIdempotencyError("idempotency_key_in_use", err.message, 409);
  // StripeAPIError (5xx) and anything newer than this code: Stripe's side failed.
  return new PaymentsUnavailableError(err);
}
