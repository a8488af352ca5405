import { randomBase62, sha256Hex } from "../../../lib/crypto.js";
import { PaymentsRequestError } from "../errors.js";
import { ACCOUNT_LINK_TTL_MS, ONBOARDED, Simulator } from "./simulator.js";
import { assertAmount, assertCurrency, assertEmail, assertUrl, drawFromCharge, missing, stripeId } from "./helpers.js";
import type { OfflinePaymentsGateway } from "./types.js";
import type { SimAccount } from "../../../generated/prisma/client.js";
import type { ConnectAccount, TransferArrival } from "../gateway.js";
import { CONNECT_COUNTRIES, convertAmount, settlementCurrencies } from "../../../lib/currency.js";
import { crossRate } from "./rates.js";

/** What Stripe answers of a simulated account. */
function toAccount(account: SimAccount): ConnectAccount {
  return {
    id: account.id,
    chargesEnabled: account.chargesEnabled,
    detailsSubmitted: account.detailsSubmitted,
    payoutSchedule:
      account.payoutInterval === null
        ? null
        : {
            interval: account.payoutInterval,
            delayDays: account.payoutDelayDays ?? 0,
            ...(account.payoutWeeklyAnchor ? { weeklyAnchor: account.payoutWeeklyAnchor } : {}),
            ...(account.payoutMonthlyAnchor ? { monthlyAnchor: account.payoutMonthlyAnchor } : {}),
          },
    bankLast4: account.bankLast4,
    country: account.country,
    defaultCurrency: account.defaultCurrency,
  };
}

/** Connect: accounts, onboarding links, transfers and their reversals. */
export function connectOperations(
  sim: Simulator,
  /** Units of each currency per US dollar (offline/rates.ts): transfers to an account of another currency are converted with them. */
  ratesPerUsd: Readonly<Record<string, string>>,
): Pick<
  OfflinePaymentsGateway,
  | "createConnectAccount"
  | "createAccountLink"
  | "retrieveAccount"
  | "updateAccount"
  | "deleteAccount"
  | "completeOnboarding"
  | "createTransfer"
  | "retrieveTransfer"
  | "createTransferReversal"
> {
  const { db, clock, publicUrl, idempotent } = sim;
  return {
    createConnectAccount: ({ email, country, metadata, idempotencyKey }) =>
      idempotent(idempotencyKey, "accounts.create", { email, country: country ?? null, metadata }, async (tx, now) => {
        assertEmail(email);
        // The simulated platform is in the US: an account opens there unless told, in its country's currency.
        const code = (country ?? "US").toUpperCase();
        if (!CONNECT_COUNTRIES.includes(code)) throw new PaymentsRequestError("country_unsupported", `Country ${country} is unsupported.`, { param: "country" });
        const account = await tx.simAccount.create({
          data: { id: stripeId("acct", 16), email, metadata, country: code, defaultCurrency: settlementCurrencies(code)[0]!, created: now },
        });
        return { id: account.id };
      }),

    createAccountLink: async ({ accountId, refreshUrl, returnUrl }) => {
      assertUrl(refreshUrl, "refresh_url");
      assertUrl(returnUrl, "return_url");
      const account = await db.simAccount.findUnique({ where: { id: accountId } });
      if (!account || account.deleted) throw missing("account", accountId, "account");
      const now = clock.now();
      const token = randomBase62(32);
      const expires = new Date(now.getTime() + ACCOUNT_LINK_TTL_MS);
      await db.simAccountLink.create({
        data: { id: stripeId("acctlink"), accountId, tokenHash: sha256Hex(token), refreshUrl, returnUrl, expires, created: now },
      });
      return { url: `${publicUrl}/offline/connect/onboard/${encodeURIComponent(accountId)}?token=${token}`, expiresAt: expires };
    },

    retrieveAccount: async (accountId) => {
      const account = await db.simAccount.findUnique({ where: { id: accountId } });
      // A deleted account is gone for Stripe too: "No such account".
      if (!account || account.deleted) throw missing("account", accountId);
      return toAccount(account);
    },

    updateAccount: async ({ accountId, payoutSchedule: s, defaultCurrency }) => {
      const account = await db.simAccount.findUnique({ where: { id: accountId } });
      if (!account || account.deleted) throw missing("account", accountId);
      if (s?.interval === "weekly" && !s.weeklyAnchor)
        throw new PaymentsRequestError("parameter_missing", "A weekly schedule needs a weekly_anchor.", { param: "settings[payouts][schedule][weekly_anchor]" });
      if (s?.interval === "monthly" && !s.monthlyAnchor)
        throw new PaymentsRequestError("parameter_missing", "A monthly schedule needs a monthly_anchor.", { param: "settings[payouts][schedule][monthly_anchor]" });
      if (s?.interval === "daily" && s.delayDays !== undefined && (!Number.isInteger(s.delayDays) || s.delayDays < 1 || s.delayDays > 365))
        throw new PaymentsRequestError("parameter_invalid_integer", "delay_days must be between 1 and 365.", { param: "settings[payouts][schedule][delay_days]" });
      if (defaultCurrency !== undefined && !settlementCurrencies(account.country).includes(defaultCurrency)) {
        throw new PaymentsRequestError("parameter_invalid", `${defaultCurrency} is not a supported currency for accounts in ${account.country}.`, { param: "default_currency" });
      }
      const schedule = s
        ? {
            payoutInterval: s.interval,
            // Stripe keeps the delay when it is not sent (its minimum, 2 days here, on a new schedule).
            payoutDelayDays: s.delayDays ?? account.payoutDelayDays ?? ONBOARDED.payoutDelayDays,
            payoutWeeklyAnchor: s.interval === "weekly" ? (s.weeklyAnchor ?? null) : null,
            payoutMonthlyAnchor: s.interval === "monthly" ? (s.monthlyAnchor ?? null) : null,
          }
        : {};
      const updated = await db.simAccount.update({ where: { id: accountId }, data: { ...schedule, ...(defaultCurrency !== undefined ? { defaultCurrency } : {}) } });
      return toAccount(updated);
    },

    deleteAccount: async (accountId) => {
      // Test mode: Stripe deletes an account whatever its balance (the API refuses earlier while money is pending).
      const { count } = await db.simAccount.updateMany({ where: { id: accountId, deleted: null }, data: { deleted: clock.now(), chargesEnabled: false } });
      if (count !== 1) throw missing("account", accountId);
    },

    completeOnboarding: ({ accountId, token }) =>
      db.$transaction(async (tx) => {
        const now = clock.now();
        const link = await tx.simAccountLink.findUnique({ where: { tokenHash: sha256Hex(token) } });
        if (!link || link.accountId !== accountId) return null;
        // Spent atomically: of two visits racing with one token, one wins.
        const spent = await tx.simAccountLink.updateMany({ where: { id: link.id, used: null, expires: { gt: now } }, data: { used: now } });
        if (spent.count !== 1) return null;
        const onboarded = await tx.simAccount.updateMany({ where: { id: accountId, deleted: null }, data: { chargesEnabled: true, detailsSubmitted: true, ...ONBOARDED } });
        if (onboarded.count !== 1) return null;
        return { returnUrl: link.returnUrl };
      }),

    createTransfer: ({ amount, currency, destination, transferGroup, sourceTransaction, metadata, idempotencyKey }) =>
      idempotent(
        idempotencyKey,
        "transfers.create",
        { amount, currency, destination, transferGroup: transferGroup ?? null, sourceTransaction: sourceTransaction ?? null, metadata },
        async (tx, now) => {
          assertCurrency(currency);
          assertAmount(amount);
          const account = await tx.simAccount.findUnique({ where: { id: destination } });
          if (!account || account.deleted) throw missing("destination", destination, "destination");
          if (!account.chargesEnabled) {
            throw new PaymentsRequestError(
              "insufficient_capabilities_for_transfer",
              "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments",
              { param: "destination" },
            );
          }
          if (sourceTransaction) await drawFromCharge(tx, sourceTransaction, amount, currency);
          // Stripe converts a transfer into the account's currency as it arrives, at the day's rate (here the table's).
          let arrival: { destinationAmount: number; destinationCurrency: string; exchangeRate: string } | null = null;
          if (account.defaultCurrency !== currency) {
            const rate = crossRate(ratesPerUsd, currency, account.defaultCurrency);
            if (!rate) throw new PaymentsRequestError("parameter_invalid", `No exchange rate from ${currency} to ${account.defaultCurrency}.`, { param: "currency" });
            arrival = { destinationAmount: convertAmount(amount, currency, account.defaultCurrency, rate), destinationCurrency: account.defaultCurrency, exchangeRate: rate };
          }
          const transfer = await tx.simTransfer.create({
            data: {
              id: stripeId("tr"),
              amount,
              currency,
              ...(arrival ?? {}),
              destinationId: destination,
              transferGroup: transferGroup ?? null,
              sourceTransaction: sourceTransaction ?? null,
              metadata,
              created: now,
            },
          });
          return { id: transfer.id };
        },
      ),

    retrieveTransfer: async (transferId) => {
      const t = await db.simTransfer.findUnique({ where: { id: transferId } });
      if (!t) throw missing("transfer", transferId);
      return toArrival(t);
    },

    createTransferReversal: ({ transferId, amount, idempotencyKey }) =>
      idempotent(idempotencyKey, "transfers.reversals.create", { transferId, amount }, async (tx, now) => {
        assertAmount(amount);
        const transfer = await tx.simTransfer.findUnique({ where: { id: transferId } });
        if (!transfer) throw missing("transfer", transferId);
        const taken = await tx.simTransfer.updateMany({
          where: { id: transfer.id, amountReversed: { lte: transfer.amount - amount } },
          data: { amountReversed: { increment: amount } },
        });
        if (taken.count !== 1) {
          throw new PaymentsRequestError(
            "amount_too_large",
            `Reversal amount (${amount}) is greater than the amount left on transfer ${transfer.id} (${transfer.amount - transfer.amountReversed}).`,
            { param: "amount" },
          );
        }
        const reversal = await tx.simTransferReversal.create({ data: { id: stripeId("trr"), transferId: transfer.id, amount, created: now } });
        return { id: reversal.id, amount: reversal.amount };
      }),
  };
}

function toArrival(t: {
  id: string;
  amount: number;
  currency: string;
  destinationId: string;
  destinationAmount: number | null;
  destinationCurrency: string | null;
  exchangeRate: string | null;
}): TransferArrival {
  return {
    id: t.id,
    amount: t.amount,
    currency: t.currency,
    destination: t.destinationId,
    destinationAmount: t.destinationAmount ?? t.amount,
    destinationCurrency: t.destinationCurrency ?? t.currency,
    exchangeRate: t.exchangeRate,
  };
}
