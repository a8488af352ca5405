import type { PaymentMethodDetails } from "../gateway.js";

export interface Decline {
  code: string;
  declineCode: string;
  message: string;
}

export interface TestPaymentMethod extends Omit<PaymentMethodDetails, "id"> {
  decline?: Decline;
  /** Refunds of its charges start `pending` and stay so until `finishRefund` (the offline hook) ends them. */
  refundsPending?: boolean;
  /** Its charges succeed, and the buyer disputes each at once (`charge.dispute.created`); `finishDispute` closes it. */
  disputed?: boolean;
  /**
   * 3-D Secure: `always` (Stripe's 4000 0027 6000 3184) wants its holder to authenticate every charge — on-session the
   * intent is `requires_action`, off-session it declines `authentication_required`; `on_setup` (4000 0025 0000 3155)
   * wants it on-session only, and off-session charges of the saved card go through.
   */
  authentication?: "always" | "on_setup";
  /** Authorises (manual capture), but its capture declines (`card_declined`): the simulator's way to a capture Stripe refuses. */
  captureDeclines?: boolean;
}

export const DECLINED: Decline = { code: "card_declined", declineCode: "generic_decline", message: "Your card was declined." };
export const INSUFFICIENT_FUNDS: Decline = { code: "card_declined", declineCode: "insufficient_funds", message: "Your card has insufficient funds." };
export const EXPIRED: Decline = { code: "expired_card", declineCode: "expired_card", message: "Your card has expired." };
export const LOST: Decline = { code: "card_declined", declineCode: "lost_card", message: "Your card was declined." };
export const AUTHENTICATION_REQUIRED: Decline = {
  code: "authentication_required",
  declineCode: "authentication_required",
  message: "Your card was declined. This transaction requires authentication.",
};

export const card = (brand: string, last4: string, funding = "credit", decline?: Decline): TestPaymentMethod => ({
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
export const bankAccount: TestPaymentMethod = {
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
  pm_card_authenticationRequired: { ...card("visa", "3184", "credit", AUTHENTICATION_REQUIRED), authentication: "always" },
  pm_card_authenticationRequiredOnSetup: { ...card("visa", "3155"), authentication: "on_setup" },
  // Not one of Stripe's tokens: the simulator's way to a refund that stays `pending` (as a bank debit's does on Stripe).
  pm_card_refundPending: { ...card("visa", "7726"), refundsPending: true },
  pm_card_createDispute: { ...card("visa", "0259"), disputed: true },
  // Not one of Stripe's tokens either: authorises, then refuses the capture (as a card blocked after its authorisation would).
  pm_card_captureDeclined: { ...card("visa", "0341"), captureDeclines: true },
  pm_usBankAccount: bankAccount,
  pm_usBankAccount_success: bankAccount,
};
