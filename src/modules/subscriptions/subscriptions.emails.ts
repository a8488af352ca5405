import type { EmailMessage } from "../../adapters/mailer/mailer.js";
import { formatMoney } from "../../lib/money.js";
import type { SubscriptionResponse } from "./subscriptions.schemas.js";

/** To the subscriber, when the last retry of a renewal failed: the subscription is past due. */
export function pastDueEmail(input: { to: string; platformName: string; subscription: SubscriptionResponse; attempts: number; url: string | null }): EmailMessage {
  const s = input.subscription;
  const money = formatMoney(s.price, s.currency);
  const text = [
    `We could not charge your payment method for your ${s.cycle} subscription ${s.id} on ${input.platformName}.`,
    "",
    `Amount: ${money}`,
    `Attempts: ${input.attempts}`,
    `Paid through: ${s.currentPeriodEnd}`,
    "",
    "The subscription is past due: it will not be charged again automatically. Update your default payment method, then resume the subscription to pay what is due.",
    ...(input.url ? ["", `Manage it at ${input.url}`] : []),
    "",
  ].join("\n");
  return { to: input.to, subject: `${input.platformName}: your subscription payment of ${money} failed (${s.id})`, text };
}
