import type { ConnectAccount, PaymentsGateway, PayoutScheduleUpdate } from "../../adapters/payments/gateway.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { Db, Prisma } from "../../db/client.js";
import type { User } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, ValidationError } from "../../lib/errors.js";
import { toApiDate } from "../../lib/time.js";
import { recordEvent, type RecordEventInput, recordEvents } from "../events/index.js";
import { clearConnectAccount, lockUserRow, setConnectStatus, setStripeConnectId, usersOfConnectAccount, type UsersService, type UserView } from "../users/index.js";
import { PaymentsRequestError } from "../../adapters/payments/errors.js";
import type { UpdateBankAccountInput } from "./bank-accounts.schemas.js";
import type { Tenant } from "../../db/tenant.js";
import { defaultConnectPages } from "./bank-accounts.pages.js";

/**
 * A seller's bank account: a Stripe Connect Express account that Stripe onboards (identity, bank
 * details) on its own pages. We keep the account id and what Stripe last said of it on the user —
 * `chargesEnabled`, `detailsSubmitted`, the payout schedule and the bank's last 4 — refreshed when
 * the account is read here and when Stripe sends `account.updated`.
 *
 * Events (object: the bank account, which names its `user_id`): `bank_account.created` when the
 * account is created, `bank_account.updated` when what Stripe says of it changed — recorded in the
 * transaction that writes it, a request's or the Stripe webhook's.
 */

/** The payout schedule as stored on the user: Stripe's own shape. */
type StoredPayoutSchedule = {
  interval: string;
  delay_days: number;
  weekly_anchor?: string;
  monthly_anchor?: number;
};

type BankAccountFields = Pick<User, "id" | "stripeConnectId" | "chargesEnabled" | "detailsSubmitted" | "payoutSchedule" | "bankLast4">;

export function toBankAccountResponse(user: BankAccountFields) {
  const schedule = user.payoutSchedule as StoredPayoutSchedule | null;
  return {
    id: user.stripeConnectId ?? "",
    user_id: user.id,
    chargesEnabled: user.chargesEnabled,
    detailsSubmitted: user.detailsSubmitted,
    payoutSchedule: schedule
      ? {
          interval: schedule.interval,
          delayDays: schedule.delay_days,
          ...(schedule.weekly_anchor ? { weeklyAnchor: schedule.weekly_anchor } : {}),
          ...(schedule.monthly_anchor ? { monthlyAnchor: schedule.monthly_anchor } : {}),
        }
      : null,
    last4: user.bankLast4,
  };
}

function storedSchedule(account: ConnectAccount): StoredPayoutSchedule | null {
  const s = account.payoutSchedule;
  if (!s) return null;
  return {
    interval: s.interval,
    delay_days: s.delayDays,
    ...(s.weeklyAnchor ? { weekly_anchor: s.weeklyAnchor } : {}),
    ...(s.monthlyAnchor ? { monthly_anchor: s.monthlyAnchor } : {}),
  };
}

/** `base` with one query parameter added, or null without a base. */
function withQuery(base: string | null, name: string, value: string): string | null {
  if (!base) return null;
  try {
    const url = new URL(base);
    url.searchParams.set(name, value);
    return url.toString();
  } catch {
    return null;
  }
}

type Gateway = Pick<PaymentsGateway, "createConnectAccount" | "createAccountLink" | "retrieveAccount" | "deleteAccount">;

/**
 * Why a user's payout account may not be deleted now (money still coming to it, or at stake), as a
 * sentence naming what; null when nothing is. Answered by the contracts, settlement and
 * subscriptions modules (given by the app: they sit above this one).
 */
export type MoneyPending = (tx: Prisma.TransactionClient, tenant: Tenant, userId: string) => Promise<string | null>;

/**
 * Sets a seller's payout schedule through their payout settings (the payouts module's, given by the
 * app: it sits beside this one), so the two routes that set it cannot disagree.
 */
export type SetPayoutSchedule = (auth: AuthContext, userId: string, schedule: PayoutScheduleUpdate) => Promise<unknown>;

export function createBankAccountsService(deps: {
  db: Db;
  payments: Gateway;
  users: Pick<UsersService, "view">;
  publicUrl?: string;
  moneyPending?: MoneyPending;
  setPayoutSchedule?: SetPayoutSchedule;
}) {
  const { db, payments, users, publicUrl } = deps;
  const setPayoutSchedule: SetPayoutSchedule =
    deps.setPayoutSchedule ??
    (async () => {
      throw new Error("no payout settings to set a schedule through");
    });
  const moneyPending = deps.moneyPending ?? (async () => null);

  /** The user's account id; 409 `bank_account_missing` before `connect`. */
  function accountOf(user: UserView, self: boolean): string {
    if (user.stripeConnectId) return user.stripeConnectId;
    const where = self ? "POST /v1/users/auth/bank_account" : `POST /v1/users/${user.id}/bank_account`;
    throw new ConflictError("bank_account_missing", `The user has no bank account yet: call ${where} first, and send the user to the onboarding link it answers.`);
  }

  /**
   * Writes what the gateway says of an account onto its user(s), where it changed, and records
   * their `bank_account.updated` events last.
   */
  async function recordAccount(tx: Prisma.TransactionClient, account: ConnectAccount, requestId?: string): Promise<void> {
    const owners = await usersOfConnectAccount(tx, account.id);
    const schedule = storedSchedule(account);
    const events: RecordEventInput[] = [];
    for (const owner of owners) {
      const same =
        owner.chargesEnabled === account.chargesEnabled &&
        owner.detailsSubmitted === account.detailsSubmitted &&
        owner.bankLast4 === account.bankLast4 &&
        JSON.stringify(owner.payoutSchedule ?? null) === JSON.stringify(schedule);
      if (same) continue;
      const updated = await setConnectStatus(tx, owner.id, {
        chargesEnabled: account.chargesEnabled,
        detailsSubmitted: account.detailsSubmitted,
        bankLast4: account.bankLast4,
        payoutSchedule: schedule,
      });
      events.push({ platformId: updated.platformId, mode: updated.mode, requestId, type: "bank_account.updated", object: toBankAccountResponse(updated) });
    }
    await recordEvents(tx, events);
  }

  return {
    recordAccount,

    /**
     * Creates the user's Connect account on first use and answers a fresh onboarding link. The
     * account is created under a key derived from the user, so parallel first calls (and a retry
     * after a crash before the id was saved) make one account; the user's row is locked to save it.
     */
    async connect(input: {
      tenant: Tenant;
      platformUrl: string | null;
      userId: string;
      returnUrl?: string;
      refreshUrl?: string;
      country?: string;
    }): Promise<{ user: UserView; link: { url: string; expiresAt: string } }> {
      // Candle's docs give this call no parameters: without a URL from the body or the platform, this server's own pages.
      const pages = publicUrl ? defaultConnectPages(publicUrl, input.tenant.platformId) : undefined;
      const returnUrl = input.returnUrl ?? withQuery(input.platformUrl, "stripe_connect", "return") ?? pages?.returnUrl;
      if (!returnUrl) {
        throw new ValidationError("parameter_missing", "Send `return_url`: the platform has no `url` to send the user back to after onboarding.", "return_url");
      }
      const refreshUrl = input.refreshUrl ?? withQuery(input.platformUrl, "stripe_connect", "refresh") ?? input.returnUrl ?? pages?.refreshUrl ?? returnUrl;

      const user = await users.view(input.tenant, input.userId);
      let accountId = user.stripeConnectId;
      if (!accountId) {
        if (!user.email) throw new ConflictError("email_missing", "Stripe needs an email address for the account: give the user an email first.", "email");
        const created = await payments.createConnectAccount({
          email: user.email,
          ...(input.country ? { country: input.country } : {}),
          metadata: { user_id: user.id, platform_id: user.platformId, mode: user.mode },
          // One key per account the user has had: a retry makes no second account, a reconnection after a deletion makes a new one.
          idempotencyKey: user.connectAccountsDeleted === 0 ? `connect-account:${user.id}` : `connect-account:${user.id}:${user.connectAccountsDeleted}`,
        });
        accountId = await db.$transaction(async (tx) => {
          const locked = await lockUserRow(tx, user.id);
          if (!locked) throw new NotFoundError("user", input.userId, "id");
          if (locked.stripe_connect_id) return locked.stripe_connect_id;
          const updated = await setStripeConnectId(tx, user.id, created.id);
          await recordEvent(tx, {
            platformId: updated.platformId,
            mode: updated.mode,
            requestId: input.tenant.requestId,
            type: "bank_account.created",
            object: toBankAccountResponse(updated),
          });
          return created.id;
        });
      }
      const link = await payments.createAccountLink({ accountId, refreshUrl, returnUrl });
      return { user: await users.view(input.tenant, user.id), link: { url: link.url, expiresAt: toApiDate(link.expiresAt) } };
    },

    /** The account as the gateway has it now; the user's columns follow. 409 before `connect`. */
    async status(input: { tenant: Tenant; userId: string; self: boolean }): Promise<UserView> {
      const user = await users.view(input.tenant, input.userId);
      const account = await payments.retrieveAccount(accountOf(user, input.self));
      await db.$transaction((tx) => recordAccount(tx, account, input.tenant.requestId ?? undefined));
      return users.view(input.tenant, user.id);
    },

    /**
     * Sets the account's payout schedule — through the seller's payout settings, which call the
     * gateway and record what it answered here (`bank_account.updated`) and there
     * (`payout_settings.updated`). 409 before `connect`.
     */
    async update(input: { auth: AuthContext; userId: string; self: boolean; changes: UpdateBankAccountInput }): Promise<UserView> {
      const user = await users.view(input.auth, input.userId);
      accountOf(user, input.self);
      await setPayoutSchedule(input.auth, user.id, input.changes.payoutSchedule);
      return users.view(input.auth, user.id);
    },

    /**
     * Deletes the user's Connect account (disconnects their payouts): refused with 409
     * `bank_account_money_pending` while money is still coming to it or at stake. The account is
     * deleted at the gateway, then the user loses `stripeConnectId` and what Stripe said of it, and
     * `bank_account.deleted` is recorded. Connecting again creates a new account.
     */
    async remove(input: { tenant: Tenant; userId: string; self: boolean }): Promise<UserView> {
      const user = await users.view(input.tenant, input.userId);
      const accountId = accountOf(user, input.self);
      await db.$transaction(async (tx) => {
        if (!(await lockUserRow(tx, user.id))) throw new NotFoundError("user", input.userId, "id");
        const pending = await moneyPending(tx, input.tenant, user.id);
        if (pending) throw new ConflictError("bank_account_money_pending", `The bank account cannot be deleted while money is pending: ${pending}.`);
      });
      try {
        await payments.deleteAccount(accountId);
      } catch (err) {
        // Already gone at the gateway (deleted there, or by a request that failed before clearing it): clear it here too.
        if (!(err instanceof PaymentsRequestError && err.status === 404)) throw err;
      }
      await db.$transaction(async (tx) => {
        const locked = await lockUserRow(tx, user.id);
        if (!locked || locked.stripe_connect_id !== accountId) return;
        const before = toBankAccountResponse(user);
        const cleared = await clearConnectAccount(tx, user.id);
        await recordEvent(tx, { platformId: cleared.platformId, mode: cleared.mode, requestId: input.tenant.requestId, type: "bank_account.deleted", object: before });
      });
      return users.view(input.tenant, user.id);
    },
  };
}

export type BankAccountsService = ReturnType<typeof createBankAccountsService>;
