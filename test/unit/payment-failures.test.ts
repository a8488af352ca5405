import { describe, expect, it } from "vitest";
import {
  CardError,
  PaymentsAuthenticationError,
  PaymentsIdempotencyError,
  PaymentsRateLimitError,
  PaymentsRequestError,
  PaymentsTimeoutError,
  PaymentsUnavailableError,
} from "../../src/adapters/payments/errors.js";
import { isDefinitive } from "../../src/modules/settlement/index.js";

describe("isDefinitive: a payment failure is final when the same call under the same key cannot answer otherwise", () => {
  it("a decline, a refused request, and a key reused with another request are final", () => {
    expect(isDefinitive(new CardError({ code: "card_declined", message: "declined" }))).toBe(true);
    expect(isDefinitive(new PaymentsRequestError("resource_missing", "no such customer", { status: 404 }))).toBe(true);
    expect(isDefinitive(new PaymentsRequestError("parameter_invalid", "bad"))).toBe(true);
    // Where the two former rules differed: the engine's said "unknown outcome", refunds' said "final".
    expect(isDefinitive(new PaymentsIdempotencyError("idempotency_key_reused", "key reused", 400))).toBe(true);
  });

  it("an unknown outcome or a request still running under the key is not", () => {
    expect(isDefinitive(new PaymentsIdempotencyError("idempotency_key_in_use", "in use", 409))).toBe(false);
    expect(isDefinitive(new PaymentsUnavailableError())).toBe(false);
    expect(isDefinitive(new PaymentsTimeoutError())).toBe(false);
    expect(isDefinitive(new PaymentsRateLimitError())).toBe(false);
    expect(isDefinitive(new PaymentsAuthenticationError())).toBe(false);
    expect(isDefinitive(new Error("socket hang up"))).toBe(false);
  });
});
