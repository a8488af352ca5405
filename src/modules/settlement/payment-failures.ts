import { AppError } from "../../lib/errors.js";

/**
 * When a payment failure is final. Every gateway call carries an idempotency key derived from our
 * own ids, and repeating it repeats the first answer; so the one question after a failure is
 * whether repeating the call under the same key could ever answer differently.
 *
 * - Definitive (4xx): a decline (`CardError`), a request Stripe refused (`PaymentsRequestError`),
 *   and a key Stripe already saw with another request (`PaymentsIdempotencyError`, 400). The same
 *   call would be refused again, so the attempt is over: record it, and a new attempt takes a new
 *   key. (Repeating a reused key would be refused for as long as Stripe keeps it — a settlement
 *   stuck on it — and then, once Stripe forgets it, run as a new request.)
 * - Not definitive: the outcome is unknown (Stripe unreachable, too slow, failing: 5xx), or
 *   another request under the same key is still running (409 `idempotency_error`), which decides.
 *   Repeat the call under the same key later.
 *
 * The settlement engine (a charge) and refunds (a refund, a transfer reversal) both decide with it.
 */
export function isDefinitive(err: unknown): err is AppError {
  if (!(err instanceof AppError) || err.status >= 500) return false;
  return !(err.type === "idempotency_error" && err.status === 409);
}
