import type { Prisma, SimPayout } from "../../../generated/prisma/client.js";
import { PaymentsRequestError } from "../errors.js";
import type { AccountBalance, Metadata, Payout } from "../gateway.js";
import type { SignedEvent, Simulator } from "./simulator.js";
import { assertAmount, assertCurrency, missing, stripeId } from "./helpers.js";
import { convertAmount } from "../../../lib/currency.js";
import type { OfflinePaymentsGateway } from "./types.js";

type Tx = Prisma.TransactionClient;

const DAY_MS = 86_400_000;
/** Stripe's standard rolling availability, when the account's schedule names none. */
const DEFAULT_DELAY_DAYS = 2;
/** A payout reaches the bank the next business day or so; the simulator says one day. */
const ARRIVAL_MS = DAY_MS;
const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

/**
 * Payouts of connected accounts, as Stripe makes them: an account's balance is what was transferred
 * to it (less reversals), available once `delay_days` old, less what was paid out (a failed or
 * cancelled payout gives it back). `runScheduledPayouts` is what Stripe does each day for accounts
 * on an automatic schedule (daily, weekly on the anchor day, monthly on the anchor date — the last
 * day of a shorter month); `finishPayout` is the bank's answer days later. Each change is sent as
 * Stripe sends it: a `payout.*` event naming the connected `account`.
 */
export function payoutsOperations(sim: Simulator): Pick<OfflinePaymentsGateway, "retrieveBalance" | "createPayout" | "retrievePayout" | "runScheduledPayouts" | "finishPayout"> {
  const { db, clock, idempotent, signedEvent, emit } = sim;

  async function balance(tx: Tx | typeof db, accountId: string, now: Date): Promise<AccountBalance> {
    const account = await tx.simAccount.findUnique({ where: { id: accountId } });
    if (!account) throw missing("account", accountId, "account");
    const availableBefore = new Date(now.getTime() - (account.payoutDelayDays ?? DEFAULT_DELAY_DAYS) * DAY_MS);
    const transfers = await tx.simTransfer.findMany({
      where: { destinationId: accountId },
      select: { amount: true, amountReversed: true, currency: true, destinationCurrency: true, exchangeRate: true, created: true },
    });
    const payouts = await tx.simPayout.findMany({ where: { accountId, status: { notIn: ["failed", "canceled"] } }, select: { amount: true, currency: true } });
    const available = new Map<string, number>();
    const pending = new Map<string, number>();
    for (const t of transfers) {
      const into = t.created <= availableBefore ? available : pending;
      // A converted transfer counts in the account's currency: what is left of it, at its own rate.
      const left = t.amount - t.amountReversed;
      const currency = t.destinationCurrency ?? t.currency;
      const amount = t.exchangeRate ? convertAmount(left, t.currency, currency, t.exchangeRate) : left;
      into.set(currency, (into.get(currency) ?? 0) + amount);
    }
    for (const p of payouts) available.set(p.currency, (available.get(p.currency) ?? 0) - p.amount);
    const rows = (m: Map<string, number>) => [...m].map(([currency, amount]) => ({ currency, amount })).sort((a, b) => a.currency.localeCompare(b.currency));
    return { available: rows(available), pending: rows(pending) };
  }

  const event = (type: string, p: SimPayout): SignedEvent => signedEvent(type, stripeObject(p), p.accountId);

  async function payOut(tx: Tx, input: { accountId: string; amount: number; currency: string; automatic: boolean; metadata: Metadata }, now: Date): Promise<SimPayout> {
    return tx.simPayout.create({
      data: {
        id: stripeId("po"),
        accountId: input.accountId,
        amount: input.amount,
        currency: input.currency,
        status: "pending",
        automatic: input.automatic,
        arrivalDate: new Date(now.getTime() + ARRIVAL_MS),
        metadata: input.metadata,
        created: now,
      },
    });
  }

  return {
    retrieveBalance: (accountId) => balance(db, accountId, clock.now()),

    createPayout: async ({ accountId, amount, currency, metadata, idempotencyKey }) => {
      const made = await idempotent(idempotencyKey, "payouts.create", { accountId, amount, currency, metadata }, async (tx, now) => {
        assertAmount(amount);
        assertCurrency(currency);
        // One payout at a time per account: two racing for the same balance cannot both draw it.
        await tx.$queryRaw`SELECT id FROM sim_accounts WHERE id = ${accountId} FOR UPDATE`;
        const left = (await balance(tx, accountId, now)).available.find((b) => b.currency === currency)?.amount ?? 0;
        if (amount > left) {
          throw new PaymentsRequestError("balance_insufficient", `You have insufficient funds in your Stripe account for this payout (${left} ${currency} available).`, {
            param: "amount",
          });
        }
        return { id: (await payOut(tx, { accountId, amount, currency, automatic: false, metadata }, now)).id };
      });
      const payout = await db.simPayout.findUniqueOrThrow({ where: { id: made.id } });
      emit(event("payout.created", payout));
      return toPayout(payout);
    },

    retrievePayout: async ({ accountId, payoutId }) => {
      const payout = await db.simPayout.findUnique({ where: { id: payoutId } });
      if (!payout || payout.accountId !== accountId) throw missing("payout", payoutId);
      return toPayout(payout);
    },

    runScheduledPayouts: async () => {
      const now = clock.now();
      const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
      const lastDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 0)).getUTCDate();
      const accounts = await db.simAccount.findMany({ where: { chargesEnabled: true, payoutInterval: { in: ["daily", "weekly", "monthly"] } } });
      const made: SimPayout[] = [];
      for (const account of accounts) {
        const due =
          account.payoutInterval === "daily" ||
          (account.payoutInterval === "weekly" && account.payoutWeeklyAnchor === WEEKDAYS[now.getUTCDay()]) ||
          (account.payoutInterval === "monthly" && Math.min(account.payoutMonthlyAnchor ?? 1, lastDay) === now.getUTCDate());
        if (!due) continue;
        const payouts = await db.$transaction(async (tx) => {
          await tx.$queryRaw`SELECT id FROM sim_accounts WHERE id = ${account.id} FOR UPDATE`;
          // Once a day: a second run the same day pays out nothing more.
          if (await tx.simPayout.findFirst({ where: { accountId: account.id, automatic: true, created: { gte: today } }, select: { id: true } })) return [];
          const out: SimPayout[] = [];
          for (const b of (await balance(tx, account.id, now)).available) {
            if (b.amount > 0) out.push(await payOut(tx, { accountId: account.id, amount: b.amount, currency: b.currency, automatic: true, metadata: {} }, now));
          }
          return out;
        });
        made.push(...payouts);
      }
      return made.map((p) => ({ payout: toPayout(p), event: event("payout.created", p) }));
    },

    finishPayout: async ({ payoutId, outcome }) => {
      const failureCode = outcome === "failed" ? "account_closed" : null;
      const { count } = await db.simPayout.updateMany({ where: { id: payoutId, status: "pending" }, data: { status: outcome, failureCode } });
      if (count === 0) return null;
      return event(`payout.${outcome}`, await db.simPayout.findUniqueOrThrow({ where: { id: payoutId } }));
    },
  };
}

function toPayout(p: SimPayout): Payout {
  return {
    id: p.id,
    accountId: p.accountId,
    amount: p.amount,
    currency: p.currency,
    status: p.status as Payout["status"],
    automatic: p.automatic,
    arrivalDate: p.arrivalDate,
    failureCode: p.failureCode,
    failureMessage: p.failureCode ? "The bank account has been closed." : null,
    metadata: p.metadata as Metadata,
  };
}

/** The payout as Stripe's event carries it. */
function stripeObject(p: SimPayout): Record<string, unknown> {
  return {
    id: p.id,
    object: "payout",
    amount: p.amount,
    currency: p.currency,
    status: p.status,
    automatic: p.automatic,
    arrival_date: Math.floor(p.arrivalDate.getTime() / 1000),
    failure_code: p.failureCode,
    metadata: p.metadata,
    created: Math.floor(p.created.getTime() / 1000),
  };
}
