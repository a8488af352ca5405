import type { AccountBalance, ConnectAccount, PaymentsGateway, Payout as GatewayPayout, PayoutScheduleUpdate } from "../../adapters/payments/gateway.js";
import type { Db, Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { Payout, PayoutSetting } from "../../generated/prisma/client.js";
import { convertAmount, rateNumber, settlementCurrencies } from "../../lib/currency.js";
import { currencyTotals, wantsMetadata } from "../../lib/list-metadata.js";
import { UnprocessableError, ConflictError, NotFoundError, PermissionError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, parseSort, type Page } from "../../lib/pagination.js";
import { mayActOn, roleAtLeast } from "../../lib/roles.js";
import { toApiDate, type Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { type EventType, recordEvent } from "../events/index.js";
import { recordTransferArrival, sellerMovements, transfersById } from "../settlement/index.js";
import { connectAccountOf, findMembership, usersOfConnectAccount } from "../users/index.js";
import { PAYOUT_TOTALS, type ListPayoutsQuery, type PayoutSettingsInput, type StatementQuery } from "./payouts.schemas.js";

/**
 * Payouts: the money leaving a seller's Connect account for their bank. Stripe makes them (on the
 * account's schedule) and reports each change with a `payout.*` webhook of the connected account;
 * we keep a row per payout, record an event per change, and let the platform and the seller read
 * them. A seller's payout settings set that schedule, or a threshold: then the account's schedule is
 * manual and the hourly `pay-out-thresholds` job pays out the available balance once it reaches it.
 * Balances are read from Stripe; statements from our own records (transfers, reversals, payouts).
 *
 * The payout settings are the one place a seller's schedule and payout currency are set: the bank
 * account route's `payoutSchedule` comes here too (`setSchedule`), and both are applied with the
 * gateway's `updateAccount`, whose answer the bank account records (`recordAccount`), so
 * `GET …/payout_settings` and `GET …/bank_account` say the same.
 */

type Gateway = Pick<PaymentsGateway, "retrieveAccount" | "updateAccount" | "retrieveTransfer" | "retrieveBalance" | "createPayout">;
/** Writes what the gateway answered of an account onto its user (the bank-accounts module's, given by the app). */
export type RecordAccount = (tx: Prisma.TransactionClient, account: ConnectAccount, requestId?: string) => Promise<void>;

const DEFAULT_SCHEDULE: PayoutScheduleUpdate = { interval: "daily", delayDays: 2 };
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;

export function toPayoutResponse(p: Payout) {
  return {
    id: p.id,
    platform_id: p.platformId,
    mode: p.mode,
    user_id: p.userId,
    stripe_payout_id: p.stripePayoutId,
    amount: p.amount,
    currency: p.currency,
    status: p.status as GatewayPayout["status"],
    automatic: p.automatic,
    arrival_date: toApiDate(p.arrivalDate),
    failure_code: p.failureCode,
    failure_message: p.failureMessage,
    created: toApiDate(p.created),
    updated: toApiDate(p.updated),
  };
}

/** The Connect schedule a seller's settings stand for: a threshold makes it manual (this API pays out). */
export function scheduleOf(s: Pick<PayoutSetting, "measurement" | "frequency" | "threshold"> | null): PayoutScheduleUpdate {
  if (!s) return DEFAULT_SCHEDULE;
  if (s.threshold !== null || s.measurement === "manual") return { interval: "manual" };
  if (s.measurement === "day") return { interval: "daily", delayDays: s.frequency };
  if (s.measurement === "week") return { interval: "weekly", weeklyAnchor: WEEKDAYS[s.frequency - 1]! };
  // Stripe's monthly anchor 31 pays out on the last day of shorter months.
  return { interval: "monthly", monthlyAnchor: s.frequency === -1 ? 31 : s.frequency };
}

function stripeScheduleResponse(s: PayoutScheduleUpdate) {
  if (s.interval === "daily") return { interval: s.interval, delay_days: s.delayDays };
  if (s.interval === "weekly") return { interval: s.interval, weekly_anchor: s.weeklyAnchor };
  if (s.interval === "monthly") return { interval: s.interval, monthly_anchor: s.monthlyAnchor };
  return { interval: s.interval };
}

function assertFrequency(measurement: PayoutSettingsInput["measurement"], frequency: number): void {
  const ok =
    measurement === "manual" ||
    (measurement === "day" && frequency >= 1 && frequency <= 365) ||
    (measurement === "week" && frequency >= 1 && frequency <= 7) ||
    ((measurement === "month" || measurement === "month_day") && ((frequency >= 1 && frequency <= 31) || frequency === -1));
  if (!ok) {
    throw new ValidationError(
      "parameter_invalid",
      `frequency ${frequency} does not fit measurement \`${measurement}\`: day 1–365, week 1–7 (Monday … Sunday), month / month_day 1–31 (29–31: the last day of a shorter month) or -1 (the last day).`,
      "frequency",
    );
  }
}

/** A movement in the charge currency as it reached the seller's balance in theirs. */
export interface Conversion {
  original_amount: number;
  original_currency: string;
  converted_amount: number;
  converted_currency: string;
  exchange_rate: number;
}

/** The conversion of `amount` at a transfer's rate (src/lib/currency.ts's one formula); null when the transfer was not converted. */
function conversionOf(amount: number, currency: string, convertedCurrency: string | null, rate: string | null): Conversion | null {
  if (!convertedCurrency || !rate || convertedCurrency === currency) return null;
  return {
    original_amount: amount,
    original_currency: currency,
    converted_amount: convertAmount(amount, currency, convertedCurrency, rate),
    converted_currency: convertedCurrency,
    exchange_rate: rateNumber(rate),
  };
}

const PAYOUT_EVENTS: Record<string, EventType> = {
  paid: "payout.paid",
  failed: "payout.failed",
  canceled: "payout.canceled",
};

/** The settings that stand for a Connect schedule set through the bank account route (a schedule replaces a threshold). */
function settingsOfSchedule(s: PayoutScheduleUpdate, storedDelay: number | null): { measurement: PayoutSettingsInput["measurement"]; frequency: number } {
  if (s.interval === "manual") return { measurement: "manual", frequency: 0 };
  // Stripe keeps the delay it has when none is sent.
  if (s.interval === "daily") return { measurement: "day", frequency: s.delayDays ?? storedDelay ?? 2 };
  if (s.interval === "weekly") return { measurement: "week", frequency: WEEKDAYS.indexOf(s.weeklyAnchor as (typeof WEEKDAYS)[number]) + 1 };
  return { measurement: "month_day", frequency: s.monthlyAnchor === 31 ? -1 : s.monthlyAnchor! };
}

export function createPayoutsService(deps: { db: Db; clock: Clock; payments: Gateway; recordAccount?: RecordAccount }) {
  const { db, clock, payments } = deps;
  const recordAccount: RecordAccount = deps.recordAccount ?? (async () => {});

  /** Who may see a seller's money (their payouts, settings, balance, statement): the platform's key, owner, admin, and the seller. */
  function assertMaySee(auth: AuthContext, userId: string): void {
    if (auth.via === "api_key" || roleAtLeast(auth.role, "admin") || auth.user?.id === userId) return;
    throw new NotFoundError("user", userId, "id");
  }

  /** The seller with a Connect account, seen by the caller; 404 / 409 otherwise. */
  async function seller(
    client: Db | Tx,
    auth: AuthContext,
    userId: string,
  ): Promise<{ id: string; connectId: string; storedDelay: number | null; role: Awaited<ReturnType<typeof findMembership>> }> {
    assertMaySee(auth, userId);
    const tenant: Tenant = { platformId: auth.platformId, mode: auth.mode };
    const user = await connectAccountOf(client, tenant, userId);
    if (!user) throw new NotFoundError("user", userId, "id");
    if (!user.stripeConnectId) {
      throw new ConflictError("bank_account_missing", `User ${userId} has no payout account yet (POST /v1/users/auth/bank_account starts one).`, "id");
    }
    const stored = user.payoutSchedule as { delay_days?: number } | null;
    return { id: user.id, connectId: user.stripeConnectId, storedDelay: stored?.delay_days ?? null, role: await findMembership(client, tenant, userId) };
  }

  async function settingsResponse(userId: string, s: PayoutSetting | null) {
    return {
      user_id: userId,
      measurement: (s?.measurement ?? "day") as PayoutSettingsInput["measurement"],
      frequency: s?.frequency ?? 2,
      threshold: s?.threshold ?? null,
      currency: s?.currency ?? null,
      stripe_schedule: stripeScheduleResponse(scheduleOf(s)),
      updated: s ? toApiDate(s.updated) : null,
    };
  }

  function assertMayChange(auth: AuthContext, userId: string, role: Parameters<typeof mayActOn>[1]["role"]): void {
    if (auth.user?.id === userId || auth.via === "api_key") return;
    if (!mayActOn({ viaKey: false, userId: auth.user?.id ?? null, role: auth.role }, { id: userId, role })) {
      throw new PermissionError("user_role_protected", `User ${userId} has a role equal to or above yours: only they or the platform key change their payout settings.`);
    }
  }

  /**
   * Applies settings: the gateway first (`updateAccount`: the schedule, and the default currency when
   * it changes — refused with 422 naming `currency` when the account's country cannot be paid out in
   * it), then the row, the user's bank account as the gateway answered, and `payout_settings.updated`.
   */
  async function apply(
    auth: AuthContext,
    s: { id: string; connectId: string },
    next: { measurement: PayoutSettingsInput["measurement"]; frequency: number; threshold: number | null; currency?: string },
    delayDays?: number,
  ) {
    const current = await db.payoutSetting.findUnique({ where: { userId: s.id } });
    const currency = next.currency ?? current?.currency ?? null;
    const currencyChanged = next.currency !== undefined && next.currency !== current?.currency;
    if (currencyChanged) {
      const account = await payments.retrieveAccount(s.connectId);
      const allowed = settlementCurrencies(account.country);
      if (account.country && !allowed.includes(next.currency!)) {
        throw new UnprocessableError(
          "currency_unsupported",
          `A Connect account in ${account.country} cannot be paid out in ${next.currency}: it may be paid out in ${allowed.join(", ") || "its country's currency only"}.`,
          "currency",
        );
      }
    }
    const schedule = scheduleOf(next);
    const account = await payments.updateAccount({
      accountId: s.connectId,
      payoutSchedule: { ...schedule, ...(delayDays !== undefined ? { delayDays } : {}) },
      ...(currencyChanged ? { defaultCurrency: next.currency! } : {}),
    });
    return db.$transaction(async (tx) => {
      const fields = { measurement: next.measurement, frequency: next.frequency, threshold: next.threshold, currency };
      const row = await tx.payoutSetting.upsert({
        where: { userId: s.id },
        create: { id: newId("payoutSetting"), platformId: auth.platformId, mode: auth.mode, userId: s.id, ...fields },
        update: fields,
      });
      await recordAccount(tx, account, auth.requestId ?? undefined);
      const body = await settingsResponse(s.id, row);
      await recordEvent(tx, { platformId: auth.platformId, mode: auth.mode, type: "payout_settings.updated", object: { id: s.id, ...body }, requestId: auth.requestId });
      return body;
    });
  }

  /**
   * What the seller's transfers became on their Connect account, for those not known yet: read from
   * the gateway once (the transfer's balance transaction there) and kept on the transfer's row.
   * Asked only when some may have been converted: the seller set a payout currency, or their
   * account's currency (its country's) is not the transfers'. One account read a statement otherwise.
   */
  async function learnArrivals(
    tenant: Tenant,
    userId: string,
    rows: {
      id: string;
      type: string;
      currency: string;
      stripeTransferId: string | null;
      convertedCurrency: string | null;
      convertedAmount: number | null;
      exchangeRate: string | null;
    }[],
  ) {
    const unknown = rows.filter((r) => r.type === "outgoing" && r.stripeTransferId && !r.convertedCurrency);
    if (unknown.length === 0) return;
    const chosen = (await db.payoutSetting.findUnique({ where: { userId }, select: { currency: true } }))?.currency;
    let wanted = unknown;
    if (!chosen) {
      const connectId = (await connectAccountOf(db, tenant, userId))?.stripeConnectId;
      const account = connectId ? await payments.retrieveAccount(connectId).catch(() => null) : null;
      const own = account?.defaultCurrency;
      wanted = own ? unknown.filter((r) => r.currency !== own) : [];
    }
    for (const row of wanted) {
      const arrival = await payments.retrieveTransfer(row.stripeTransferId!);
      const record = { convertedAmount: arrival.destinationAmount, convertedCurrency: arrival.destinationCurrency, exchangeRate: arrival.exchangeRate };
      await recordTransferArrival(db, tenant, row.id, record);
      Object.assign(row, record);
    }
  }

  return {
    /**
     * A payout as Stripe reports it (re-read from Stripe), inside the webhook's transaction: the row
     * of each user of its account is created or brought up to date, with `payout.created` for a new
     * one and `payout.paid` / `.failed` / `.canceled` (else `payout.updated`) when its status changed.
     */
    async recordPayout(payout: GatewayPayout, tx: Prisma.TransactionClient): Promise<void> {
      const owners = await usersOfConnectAccount(tx, payout.accountId);
      for (const owner of owners) {
        const data = {
          amount: payout.amount,
          currency: payout.currency,
          status: payout.status,
          automatic: payout.automatic,
          arrivalDate: payout.arrivalDate,
          failureCode: payout.failureCode,
          failureMessage: payout.failureMessage,
        };
        const existing = await tx.payout.findUnique({ where: { stripePayoutId: payout.id } });
        let row: Payout;
        let type: EventType;
        if (!existing) {
          row = await tx.payout.create({
            data: { id: newId("payout"), platformId: owner.platformId, mode: owner.mode, userId: owner.id, stripePayoutId: payout.id, stripeAccountId: payout.accountId, ...data },
          });
          type = "payout.created";
        } else {
          if (existing.status === payout.status && existing.arrivalDate.getTime() === payout.arrivalDate.getTime()) continue;
          row = await tx.payout.update({ where: { id: existing.id }, data });
          type = existing.status !== payout.status ? (PAYOUT_EVENTS[payout.status] ?? "payout.updated") : "payout.updated";
        }
        await recordEvent(tx, { platformId: row.platformId, mode: row.mode, type, object: toPayoutResponse(row) });
        // A payout's row is the one seller's: an account shared by several users (never, in practice) keeps the first.
        break;
      }
    },

    async list(auth: AuthContext, query: ListPayoutsQuery): Promise<Page<Payout> & { metadata?: ReturnType<typeof currencyTotals<typeof PAYOUT_TOTALS>> }> {
      const where: Prisma.PayoutWhereInput = { platformId: auth.platformId, mode: auth.mode };
      const own = auth.via === "user" && !roleAtLeast(auth.role, "admin");
      const wanted = query["filter[user_id]"];
      if (own) {
        // A member's list is theirs alone; asking for another seller's finds nothing.
        where.userId = auth.user!.id;
        if (wanted && wanted !== auth.user!.id)
          return { data: [], meta: pageMeta(0, query.page, query.per_page, 0), ...(wantsMetadata(query) ? { metadata: { totals: [] } } : {}) };
      } else if (wanted) where.userId = wanted;
      if (query["filter[status]"]) where.status = query["filter[status]"];
      const { field, direction } = parseSort<"created" | "arrival_date" | "amount">(query.sort);
      const column = field === "arrival_date" ? "arrivalDate" : field;
      const orderBy: Prisma.PayoutOrderByWithRelationInput[] = [{ [column]: direction }, { id: direction }];
      const [data, total, groups] = await Promise.all([
        db.payout.findMany({ where, orderBy, ...pageWindow(query.page, query.per_page) }),
        db.payout.count({ where }),
        wantsMetadata(query) ? db.payout.groupBy({ by: ["currency"], where, _count: { _all: true }, _sum: { amount: true } }) : null,
      ]);
      const page = { data, meta: pageMeta(total, query.page, query.per_page, data.length) };
      return groups ? { ...page, metadata: currencyTotals(groups, PAYOUT_TOTALS) } : page;
    },

    async retrieve(auth: AuthContext, id: string): Promise<Payout> {
      const payout = await db.payout.findFirst({ where: { id, platformId: auth.platformId, mode: auth.mode } });
      if (!payout) throw new NotFoundError("payout", id, "id");
      try {
        assertMaySee(auth, payout.userId);
      } catch {
        throw new NotFoundError("payout", id, "id");
      }
      return payout;
    },

    async settings(auth: AuthContext, userId: string) {
      const s = await seller(db, auth, userId);
      return settingsResponse(s.id, await db.payoutSetting.findUnique({ where: { userId: s.id } }));
    },

    /**
     * Sets how a seller is paid out: the platform (key, owner, admin — not over a user of equal or
     * higher rank) or the seller themself. The Connect account's schedule (and payout currency) is
     * set first: when Stripe refuses, nothing is saved.
     */
    async updateSettings(auth: AuthContext, userId: string, input: PayoutSettingsInput) {
      const s = await seller(db, auth, userId);
      assertMayChange(auth, userId, s.role?.role ?? "member");
      assertFrequency(input.measurement, input.frequency);
      const frequency = input.measurement === "manual" ? 0 : input.frequency;
      return apply(auth, s, { measurement: input.measurement, frequency, threshold: input.threshold ?? null, currency: input.currency });
    },

    /**
     * The bank account route's `payoutSchedule`, as payout settings: the same checks, the same
     * gateway call, the same row (a schedule replaces a threshold; `delayDays` of a weekly or
     * monthly schedule goes to Stripe, which shows it in the bank account's `payoutSchedule`).
     */
    async setSchedule(auth: AuthContext, userId: string, schedule: PayoutScheduleUpdate) {
      const s = await seller(db, auth, userId);
      assertMayChange(auth, userId, s.role?.role ?? "member");
      const { measurement, frequency } = settingsOfSchedule(schedule, s.storedDelay);
      return apply(auth, s, { measurement, frequency, threshold: null }, schedule.interval === "weekly" || schedule.interval === "monthly" ? schedule.delayDays : undefined);
    },

    async balance(auth: AuthContext, userId: string): Promise<{ user_id: string; payout_currency: string | null } & AccountBalance> {
      const s = await seller(db, auth, userId);
      const settings = await db.payoutSetting.findUnique({ where: { userId: s.id }, select: { currency: true } });
      return { user_id: s.id, payout_currency: settings?.currency ?? null, ...(await payments.retrieveBalance(s.connectId)) };
    },

    /**
     * A seller's statement for a period: every transfer of a sale's share to them, every reversal,
     * every payout (and a failed or cancelled one coming back), oldest first, with totals per currency.
     * Fees and refunds to buyers are the platform's and the buyers' movements: the seller's side of a
     * refund is the reversal of their transfer.
     */
    async statement(auth: AuthContext, userId: string, query: StatementQuery) {
      assertMaySee(auth, userId);
      const tenant: Tenant = { platformId: auth.platformId, mode: auth.mode };
      const owner = await connectAccountOf(db, tenant, userId);
      if (!owner) throw new NotFoundError("user", userId, "id");
      const from = new Date(`${query.from}T00:00:00.000Z`);
      const to = new Date(new Date(`${query.to}T00:00:00.000Z`).getTime() + 86_400_000);
      if (to <= from) throw new ValidationError("parameter_invalid", "`to` must be the same day as `from` or later.", "to");
      if (to.getTime() - from.getTime() > 366 * 86_400_000) throw new ValidationError("parameter_invalid", "A statement covers at most 366 days.", "to");
      const transactions = await sellerMovements(db, tenant, userId, from, to);
      await learnArrivals(tenant, userId, transactions);
      // A reversal converts at its transfer's rate (Stripe's reversal of a converted transfer takes back that share).
      const parents = new Map(
        (
          await transfersById(
            db,
            tenant,
            transactions.filter((t) => t.type === "outgoing_refund" && t.refundOfId).map((t) => t.refundOfId!),
          )
        ).map((p) => [p.id, p]),
      );
      const payouts = await db.payout.findMany({ where: { ...tenant, userId, created: { gte: from, lt: to } }, orderBy: [{ created: "asc" }, { id: "asc" }] });
      type Line = {
        date: string;
        kind: "transfer" | "transfer_reversal" | "payout" | "payout_returned";
        amount: number;
        currency: string;
        conversion: Conversion | null;
        reference: string;
        contract_id: string | null;
        subscription_id: string | null;
        description: string | null;
        at: number;
      };
      const lines: Line[] = [];
      for (const t of transactions) {
        const reversal = t.type === "outgoing_refund";
        const signed = reversal ? -t.amount : t.amount;
        const transfer = reversal ? parents.get(t.refundOfId ?? "") : t;
        const computed = conversionOf(signed, t.currency, transfer?.convertedCurrency ?? null, transfer?.exchangeRate ?? null);
        // A transfer shows what arrived, as the gateway said; a reversal, its share at the transfer's rate.
        const conversion = computed && !reversal && t.convertedAmount !== null ? { ...computed, converted_amount: t.convertedAmount } : computed;
        lines.push({
          date: toApiDate(t.created),
          kind: reversal ? "transfer_reversal" : "transfer",
          amount: conversion ? conversion.converted_amount : signed,
          currency: conversion ? conversion.converted_currency : t.currency,
          conversion,
          reference: t.id,
          contract_id: t.contractId,
          subscription_id: t.subscriptionId,
          description: t.description,
          at: t.created.getTime(),
        });
      }
      for (const p of payouts) {
        const base = { currency: p.currency, conversion: null, reference: p.id, contract_id: null, subscription_id: null };
        lines.push({ ...base, date: toApiDate(p.created), kind: "payout", amount: -p.amount, description: `Payout to the bank (${p.status})`, at: p.created.getTime() });
        if (p.status === "failed" || p.status === "canceled") {
          lines.push({
            ...base,
            date: toApiDate(p.updated),
            kind: "payout_returned",
            amount: p.amount,
            description: `Payout ${p.status}: back in the balance`,
            at: p.updated.getTime(),
          });
        }
      }
      lines.sort((a, b) => a.at - b.at || a.reference.localeCompare(b.reference));
      const totals = new Map<string, { currency: string; in: number; out: number; net: number }>();
      for (const l of lines) {
        const t = totals.get(l.currency) ?? { currency: l.currency, in: 0, out: 0, net: 0 };
        if (l.amount >= 0) t.in += l.amount;
        else t.out += -l.amount;
        t.net += l.amount;
        totals.set(l.currency, t);
      }
      return { user_id: userId, from: query.from, to: query.to, totals: [...totals.values()], lines: lines.map(({ at: _at, ...l }) => l) };
    },

    /**
     * The `pay-out-thresholds` job: each seller with a threshold whose available balance reached it
     * is paid out that balance (one payout per currency, keyed by the amount and the hour, so a
     * retried run makes none twice). Stripe's `payout.*` webhooks then record it. Returns the payouts made.
     */
    async payOutThresholds(): Promise<number> {
      const settings = await db.payoutSetting.findMany({ where: { threshold: { not: null } } });
      let made = 0;
      const hour = Math.floor(clock.now().getTime() / 3_600_000);
      for (const s of settings) {
        const user = await connectAccountOf(db, { platformId: s.platformId, mode: s.mode }, s.userId);
        if (!user?.stripeConnectId || user.suspended) continue;
        const balance = await payments.retrieveBalance(user.stripeConnectId);
        for (const b of balance.available) {
          if (b.amount < s.threshold! || b.amount <= 0) continue;
          await payments.createPayout({
            accountId: user.stripeConnectId,
            amount: b.amount,
            currency: b.currency,
            metadata: { user_id: s.userId, platform_id: s.platformId, reason: "threshold" },
            idempotencyKey: `payout:threshold:${s.userId}:${b.currency}:${b.amount}:${hour}`,
          });
          made += 1;
        }
      }
      return made;
    },
  };
}

export type PayoutsService = ReturnType<typeof createPayoutsService>;
