import type { Db, Prisma } from "../../db/client.js";
import { subscriptionTerms } from "../../domain/fees/index.js";
import { periodBoundary, type Cycle } from "../../domain/subscriptions/periods.js";
import type { Subscription } from "../../generated/prisma/client.js";
import { ConflictError, NotFoundError, PermissionError, ValidationError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { pageMeta, pageWindow, parseSort, type Page } from "../../lib/pagination.js";
import { roleAtLeast } from "../../lib/roles.js";
import type { Clock } from "../../lib/time.js";
import type { AuthContext } from "../../plugins/auth.js";
import { DEFAULT_HOLD_RULES, isSellerOf, lockForSubscription, priceForSubscription, type HoldRules } from "../contracts/index.js";
import { productCycle } from "../products/index.js";
import { collectedFees, type BaseRates } from "../settlement/index.js";
import { emailOf, isPlatformOwner, userOfTenantExists } from "../users/index.js";
import type { SubscriptionAccess } from "./access/gate.js";
import { asSystem } from "../../db/tenant.js";
import { lockSubscription, storedTerms, type SubscriptionBilling } from "./subscriptions.billing.js";
import {
  SUBSCRIPTION_TOTALS,
  type ListAllSubscriptionsQuery,
  type ListSubscriptionsQuery,
  type PauseInput,
  type SubscribeInput,
  type SubscriptionResponse,
  type SubscriptionStatus,
} from "./subscriptions.schemas.js";
import { currencyTotals, wantsMetadata } from "../../lib/list-metadata.js";
import { placeOnCalendars } from "./subscriptions.calendar.js";
import { recordSubscriptionEvent, toSubscriptionResponse } from "./subscriptions.view.js";
import type { Tx } from "../../db/tenant.js";

/**
 * Subscriptions (docs/api/subscriptions.md): a buyer of a contract pays their share of it every cycle.
 * active ⇄ paused (`pausedUntil` resumes by itself) → ended; past due when every retry of a
 * renewal failed (the subscriber resumes it to pay). Charging is subscriptions.billing.ts.
 *
 * Who: the subscriber subscribes, pauses, resumes and ends (the `/auth` routes); the platform key or an
 * admin pauses too; reading is for the key, admins, the subscriber and the contract's sellers (anyone
 * else: 404). Every change records its event last in its transaction.
 */

type SignedIn = AuthContext & { user: { id: string } };

const tenantOf = (auth: AuthContext) => ({ platformId: auth.platformId, mode: auth.mode });
const isAdmin = (auth: AuthContext) => roleAtLeast(auth.role, "admin");

type SubscriptionPage = Page<SubscriptionResponse> & { metadata?: ReturnType<typeof currencyTotals<typeof SUBSCRIPTION_TOTALS>> };

export function createSubscriptionsService(deps: {
  db: Db;
  clock: Clock;
  rates: BaseRates;
  billing: SubscriptionBilling;
  holds?: HoldRules;
  /** The access gate: a subscription to anything but the plan is a purchase, and this node forgets a subscriber's access when it changes. */
  access?: SubscriptionAccess;
  /** HOST_PLATFORM_ID: the platform whose subscriptions may pay for another platform. */
  hostPlatformId?: string;
}) {
  const { db, clock, rates, billing, access } = deps;

  /** The platform a host subscription pays for: only on the host, only a platform the subscriber owns (else 404, as any other platform's id). */
  async function billedPlatform(auth: SignedIn, platformId: string | undefined): Promise<string | null> {
    if (platformId === undefined) return null;
    if (!deps.hostPlatformId || auth.platformId !== deps.hostPlatformId) {
      throw new ValidationError("parameter_invalid", "platform_id is for subscriptions on the host platform (HOST_PLATFORM_ID), which bill other platforms.", "platform_id");
    }
    const email = (await emailOf(db, auth.user.id))?.email;
    // The named platform is another tenant: one lookup in the system scope (docs/tenancy.md).
    const owns = email ? await asSystem(() => isPlatformOwner(db, platformId, email)) : false;
    if (!owns) throw new NotFoundError("platform you own", platformId, "platform_id");
    return platformId;
  }

  /** The change committed: this node forgets the subscriber's access now (the others hear the NOTIFY). */
  const forget = <T>(userId: string, value: T): T => {
    access?.forget(userId);
    return value;
  };

  /** Pauses, under the row lock; `own`: the subscriber's own `/auth` route. */
  async function pauseOne(auth: AuthContext, id: string, input: PauseInput, own: boolean): Promise<SubscriptionResponse> {
    const now = clock.now();
    if (input.pausedUntil && input.pausedUntil.getTime() <= now.getTime()) throw new ValidationError("parameter_invalid", "pausedUntil must be in the future.", "pausedUntil");
    const paused = await db.$transaction(async (tx) => {
      const sub = await lockForChange(tx, auth, id);
      if (own) assertSubscriber(auth as SignedIn, sub);
      assertNotEnded(sub);
      if (sub.isPaused) throw new ConflictError("subscription_paused", `${sub.id} is already paused${sub.pausedUntil ? ` until ${sub.pausedUntil.toISOString()}` : ""}.`, "id");
      const updated = await tx.subscription.update({
        where: { id: sub.id },
        data: { isPaused: true, pausedAt: now, pausedUntil: input.pausedUntil ?? null, pauseReason: own ? "subscriber" : null },
      });
      await placeOnCalendars(tx, updated, now);
      return recordSubscriptionEvent(tx, sub.id, "subscription.paused", auth.requestId);
    });
    return forget(paused.user_id, paused);
  }

  /** May the caller see this subscription: the key, an admin, the subscriber, or a seller of its contract. */
  async function mayRead(client: Db | Tx, auth: AuthContext, sub: Subscription): Promise<boolean> {
    if (isAdmin(auth)) return true;
    if (!auth.user) return false;
    if (auth.user.id === sub.userId) return true;
    return isSellerOf(client, sub.contractId, auth.user.id);
  }

  /** The subscription, locked, for a change: 404 when the caller may not see it (or it is not there yet). */
  async function lockForChange(tx: Tx, auth: AuthContext, id: string): Promise<Subscription> {
    const sub = await lockSubscription(tx, tenantOf(auth), id);
    if (!sub || sub.incomplete || !(await mayRead(tx, auth, sub))) throw new NotFoundError("subscription", id, "id");
    return sub;
  }

  /** The `/auth` routes act on the signed-in user's own subscriptions. */
  function assertSubscriber(auth: SignedIn, sub: Subscription): void {
    if (sub.userId !== auth.user.id) throw new PermissionError("not_subscriber", `Only the subscriber of ${sub.id} can do this.`);
  }

  const assertNotEnded = (sub: Subscription) => {
    if (sub.ended) throw new ConflictError("subscription_ended", `${sub.id} ended on ${sub.ended.toISOString()}.`, "id");
  };

  /** The subscription's events on its parties' calendars, after its first charge went through (subscriptions.calendar.ts). */
  async function syncCalendars(auth: AuthContext, id: string): Promise<void> {
    await db.$transaction(async (tx) => {
      const sub = await lockSubscription(tx, tenantOf(auth), id);
      if (sub) await placeOnCalendars(tx, sub, clock.now());
    });
  }

  async function view(id: string): Promise<SubscriptionResponse> {
    return toSubscriptionResponse(await db.subscription.findUniqueOrThrow({ where: { id } }));
  }

  /** The page, with `metadata` (Σ price per currency over every subscription `where` matches) when asked. */
  async function withTotals(query: { metadata?: "true" | "false" }, where: Prisma.SubscriptionWhereInput, page: Page<SubscriptionResponse>): Promise<SubscriptionPage> {
    if (!wantsMetadata(query)) return page;
    const groups = await db.subscription.groupBy({ by: ["currency"], where, _count: { _all: true }, _sum: { price: true } });
    return { ...page, metadata: currencyTotals(groups, SUBSCRIPTION_TOTALS) };
  }
  return {
    /**
     * `POST /subscriptions/auth/contract/:contract_id`: the signed-in buyer subscribes; the first
     * cycle is charged at once through the settlement engine. A decline answers 402 and leaves no
     * subscription behind.
     */
    async subscribe(auth: SignedIn, contractId: string, input: SubscribeInput): Promise<{ subscription: SubscriptionResponse; complete: boolean }> {
      const billedPlatformId = await billedPlatform(auth, input.platform_id);
      const plan = await db.$transaction(async (tx) => {
        const locked = await lockForSubscription(tx, auth, contractId);
        const live = await tx.subscription.findFirst({ where: { contractId: locked.id, userId: auth.user.id, ended: null }, select: { id: true } });
        if (live) throw new ConflictError("already_subscribed", `${auth.user.id} already subscribes to ${locked.id} (${live.id}).`, "contract_id");
        // The figures follow the current rates until the subscription fixes them.
        const c = await priceForSubscription(tx, locked, { rates, holds: deps.holds ?? DEFAULT_HOLD_RULES, now: clock.now() });
        const buyer = c.buyers.find((b) => b.userId === auth.user.id)!;
        // Subscribing to the platform's plan is always open; to anything else it is buying.
        if (c.id !== auth.platform.subscriptionPlan)
          await access?.assertMayBuy(
            tx,
            auth,
            c.items.map((item) => item.productId),
          );
        const terms = subscriptionTerms({
          amount: buyer.amountDue,
          sellers: c.sellers.map((s) => ({ userId: s.userId, amountOwed: s.amountOwed })),
          fees: collectedFees(c.fees),
        });
        const serviceId = c.items.find((item) => item.productId !== null)?.productId ?? null;
        const suggested = serviceId ? await productCycle(tx, serviceId) : null;
        const cycle: Cycle = input.cycle ?? suggested ?? "monthly";
        const draft = { id: newId("subscription"), userId: auth.user.id, platformId: c.platformId, price: buyer.amountDue, currency: c.currency, terms: storedTerms(terms) };
        const inputs = await billing.assertChargeable(tx, { ...draft, terms: draft.terms as unknown as Prisma.JsonValue });
        const now = clock.now();
        const start = new Date(Math.floor(now.getTime() / 1000) * 1000);
        const sub = await tx.subscription.create({
          data: {
            ...draft,
            terms: draft.terms as unknown as Prisma.InputJsonValue,
            mode: c.mode,
            contractId: c.id,
            serviceId,
            billedPlatformId,
            cycle,
            incomplete: true,
            isActive: false,
            startDate: start,
            periodIndex: 0,
            currentPeriodStart: start,
            currentPeriodEnd: periodBoundary(start, cycle, 1),
          },
        });
        const row = await billing.openPeriod(tx, sub, 0);
        const planned = await billing.claim(tx, sub, row, inputs, auth.requestId);
        if (!planned) throw new Error(`the first charge of ${sub.id} could not be planned`);
        return planned;
      });
      const outcome = await billing.execute(plan);
      if (outcome === "complete") await syncCalendars(auth, plan.subscriptionId);
      return forget(auth.user.id, { subscription: await view(plan.subscriptionId), complete: outcome === "complete" });
    },

    async retrieve(auth: AuthContext, id: string): Promise<SubscriptionResponse> {
      const sub = await db.subscription.findFirst({ where: { id, ...tenantOf(auth), incomplete: false } });
      if (!sub || !(await mayRead(db, auth, sub))) throw new NotFoundError("subscription", id, "id");
      return toSubscriptionResponse(sub);
    },

    /** A user's subscriptions: the key and admins for anyone, a user for themself. */
    async listForUser(auth: AuthContext, userId: string, query: ListSubscriptionsQuery): Promise<SubscriptionPage> {
      const tenant = tenantOf(auth);
      if (!(await userOfTenantExists(db, tenant, userId))) throw new NotFoundError("user", userId, "user_id");
      if (!isAdmin(auth) && auth.user?.id !== userId) throw new PermissionError("insufficient_role", "A member lists only their own subscriptions.");
      const where: Prisma.SubscriptionWhereInput = {
        ...tenant,
        userId,
        incomplete: false,
        ...(query["filter[isActive]"] ? { isActive: query["filter[isActive]"] === "true" } : {}),
        ...(query["filter[isPaused]"] ? { isPaused: query["filter[isPaused]"] === "true" } : {}),
      };
      const sort = parseSort<"created" | "startDate">(query.sort);
      const [total, rows] = await db.$transaction([
        db.subscription.count({ where }),
        db.subscription.findMany({ where, orderBy: [{ [sort.field]: sort.direction }, { id: sort.direction }], ...pageWindow(query.page, query.per_page) }),
      ]);
      return withTotals(query, where, { data: rows.map(toSubscriptionResponse), meta: pageMeta(total, query.page, query.per_page, rows.length) });
    },

    /** `GET /subscriptions` (key or admin): every subscription of the platform, filtered. */
    async list(auth: AuthContext, query: ListAllSubscriptionsQuery): Promise<SubscriptionPage> {
      if (!isAdmin(auth)) throw new PermissionError("insufficient_role", "Listing every subscription needs an admin or the platform key.");
      const statuses = query["filter[status]"];
      const where: Prisma.SubscriptionWhereInput = {
        ...tenantOf(auth),
        incomplete: false,
        ...(query["filter[user_id]"] ? { userId: { in: query["filter[user_id]"] } } : {}),
        ...(query["filter[contract_id]"] ? { contractId: { in: query["filter[contract_id]"] } } : {}),
        ...(query["filter[isActive]"] ? { isActive: query["filter[isActive]"] === "true" } : {}),
        ...(query["filter[isPaused]"] ? { isPaused: query["filter[isPaused]"] === "true" } : {}),
        ...(statuses ? { OR: statuses.map(statusWhere) } : {}),
      };
      const sort = parseSort<"created" | "startDate" | "price">(query.sort);
      const [total, rows] = await db.$transaction([
        db.subscription.count({ where }),
        db.subscription.findMany({ where, orderBy: [{ [sort.field]: sort.direction }, { id: sort.direction }], ...pageWindow(query.page, query.per_page) }),
      ]);
      return withTotals(query, where, { data: rows.map(toSubscriptionResponse), meta: pageMeta(total, query.page, query.per_page, rows.length) });
    },

    /** `PUT /subscriptions/:id/pause` (key or admin): its cycles are not charged until it resumes. */
    pause: (auth: AuthContext, id: string, input: PauseInput): Promise<SubscriptionResponse> => pauseOne(auth, id, input, false),

    /** `PUT /subscriptions/auth/:id/pause` (the subscriber): the same, on their own subscription. */
    pauseOwn: (auth: SignedIn, id: string, input: PauseInput): Promise<SubscriptionResponse> => pauseOne(auth, id, input, true),

    /**
     * `PUT /subscriptions/auth/:id/resume` (the subscriber): a paused subscription resumes (the next
     * cycle is charged when it falls due); a past-due one pays the period it is in now, at once —
     * 402 on a decline, and it stays past due.
     */
    async resume(auth: SignedIn, id: string): Promise<SubscriptionResponse> {
      const plan = await db.$transaction(async (tx) => {
        const sub = await lockForChange(tx, auth, id);
        assertSubscriber(auth, sub);
        assertNotEnded(sub);
        if (sub.isPaused) {
          const resumed = await tx.subscription.update({ where: { id: sub.id }, data: { isPaused: false } });
          await placeOnCalendars(tx, resumed, clock.now());
          await recordSubscriptionEvent(tx, sub.id, "subscription.resumed", auth.requestId);
          return null;
        }
        if (!sub.pastDue) throw new ConflictError("subscription_not_paused", `${sub.id} is active: it is neither paused nor past due.`, "id");
        return billing.planRecovery(tx, sub, auth.requestId);
      });
      if (plan) await billing.execute(plan).finally(() => access?.forget(auth.user.id));
      return forget(auth.user.id, await view(id));
    },

    /** `DELETE /subscriptions/auth/:id` (the subscriber): `ended`, `isActive` false, nothing charged after. */
    async end(auth: SignedIn, id: string): Promise<SubscriptionResponse> {
      const ended = await db.$transaction(async (tx) => {
        const sub = await lockForChange(tx, auth, id);
        assertSubscriber(auth, sub);
        assertNotEnded(sub);
        const open = await tx.subscriptionCharge.findFirst({ where: { subscriptionId: sub.id, status: "open" } });
        // A charge already under way (its outcome unknown) is finished — the money may have moved — but nothing new starts.
        const underway = open !== null && (open.attemptPaymentMethodId !== null || open.stripePaymentIntentId !== null);
        if (open && !underway) await tx.subscriptionCharge.update({ where: { id: open.id }, data: { status: "void", leaseId: null, lockedUntil: null } });
        const ended = await tx.subscription.update({
          where: { id: sub.id },
          data: { ended: clock.now(), isActive: false, isPaused: false, ...(underway ? {} : { nextAttemptAt: null }) },
        });
        await placeOnCalendars(tx, ended, clock.now());
        return recordSubscriptionEvent(tx, sub.id, "subscription.ended", auth.requestId);
      });
      return forget(auth.user.id, ended);
    },
  };
}

/** The rows in one status; the statuses do not overlap (ended, then past due, then paused, then active). */
function statusWhere(status: SubscriptionStatus): Prisma.SubscriptionWhereInput {
  switch (status) {
    case "ended":
      return { ended: { not: null } };
    case "past_due":
      return { ended: null, pastDue: true };
    case "paused":
      return { ended: null, pastDue: false, isPaused: true };
    case "active":
      return { ended: null, pastDue: false, isPaused: false };
  }
}

export type SubscriptionsService = ReturnType<typeof createSubscriptionsService>;
