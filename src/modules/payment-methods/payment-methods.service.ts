import type { FastifyBaseLogger } from "fastify";
import { PaymentsRequestError } from "../../adapters/payments/errors.js";
import type { PaymentMethodDetails, PaymentMethodInfo, PaymentsGateway } from "../../adapters/payments/gateway.js";
import type { Db, Prisma } from "../../db/client.js";
import type { PaymentMethod } from "../../generated/prisma/client.js";
import type { Mode } from "../../generated/prisma/enums.js";
import { ConflictError, NotFoundError } from "../../lib/errors.js";
import { newId, uuidv7Hex } from "../../lib/ids.js";
import { type EventType, recordEvent, type RecordEventInput, recordEvents } from "../events/index.js";
import {
  lockUserRow,
  setStripeCustomerId,
  stripeCustomerIdOf,
  stripeCustomerIdsOf,
  toPaymentMethodResponse,
  toUserResponse,
  usersOfStripeCustomer,
  type UsersService,
  type UserView,
} from "../users/index.js";
import type { Tenant } from "../../db/tenant.js";

/**
 * A user's Stripe customer and the payment methods saved on it.
 *
 * Our `payment_methods` rows mirror what is attached to the user's customer at the gateway; the
 * gateway is written first, then our rows, and webhooks (`reconcile`) repair whatever changed on
 * Stripe's side. Gateway calls never run inside a database transaction: the offline simulator
 * needs connections of its own, and a transaction held open across a network call would pin a
 * pooled connection for its whole duration. Instead, two requests that race are made to agree by
 * the gateway's idempotency keys (derived from our ids, so both get the same customer) and by
 * locking the user's row when the outcome is written (one default, one customer id).
 *
 * Events (object: the payment method, which names its `user_id`): `payment_method.attached`,
 * `.updated` (its details changed at Stripe), `.default_changed` (it became the default in place of
 * another) and `.detached` (as it was) — recorded in the transaction that changes our rows, whether
 * a request or a Stripe webhook changed them. Creating the customer is a `user.updated`.
 */

type Gateway = Pick<PaymentsGateway, "createCustomer" | "createSetupIntent" | "attachPaymentMethod" | "retrievePaymentMethod" | "detachPaymentMethod" | "setDefaultPaymentMethod">;

interface Owner {
  id: string;
  platformId: string;
  mode: Mode;
}

/** A change to one payment method, for the events its transaction records once its writes are done. */
function change(type: EventType, row: PaymentMethod, requestId: string | undefined): RecordEventInput {
  return { platformId: row.platformId, mode: row.mode, requestId, type, object: toPaymentMethodResponse(row) };
}

// A payment method attached, detached and attached again within Stripe's 24 h key memory needs one
// more link of the key chain each time (see `attachToCustomer`); this bounds the chain.
const MAX_ATTACH_ROUNDS = 10;

export function createPaymentMethodsService(deps: { db: Db; payments: Gateway; users: Pick<UsersService, "view">; log: Pick<FastifyBaseLogger, "warn"> }) {
  const { db, payments, users, log } = deps;

  /** The user's Stripe customer, created on first use. */
  async function ensureCustomer(tenant: Tenant, userId: string): Promise<{ user: UserView; customerId: string }> {
    const user = await users.view(tenant, userId);
    if (user.stripeCustomerId) return { user, customerId: user.stripeCustomerId };
    if (!user.email) throw new ConflictError("email_missing", "Stripe needs an email address for the customer: give the user an email first.", "email");
    // Keyed by the user: parallel first calls, and a retry after a crash before the id was saved, get the same customer.
    const created = await payments.createCustomer({
      email: user.email,
      name: user.name,
      metadata: { user_id: user.id, platform_id: user.platformId, mode: user.mode },
      idempotencyKey: `customer:${user.id}`,
    });
    const customerId = await db.$transaction(async (tx) => {
      const locked = await lockUserRow(tx, user.id);
      if (!locked) throw new NotFoundError("user", userId, "id");
      if (locked.stripe_customer_id) return locked.stripe_customer_id;
      await setStripeCustomerId(tx, user.id, created.id);
      const after = await users.view(tenant, user.id, tx);
      await recordEvent(tx, { platformId: user.platformId, mode: user.mode, requestId: tenant.requestId, type: "user.updated", object: toUserResponse(after) });
      return created.id;
    });
    return { user: { ...user, stripeCustomerId: customerId }, customerId };
  }

  /**
   * Attaches at the gateway under a key derived from the customer and the payment method, so a
   * retried or concurrent attach of the same id makes one payment method (test tokens such as
   * `pm_card_visa` make a new one per key). Stripe replays a key's first answer for 24 h, even if
   * that payment method was detached since: then attach again under a key derived from the stale
   * answer, which every racing request derives alike.
   */
  async function attachToCustomer(customerId: string, paymentMethod: string): Promise<PaymentMethodInfo> {
    let idempotencyKey = `attach:${customerId}:${paymentMethod}`;
    for (let round = 0; round < MAX_ATTACH_ROUNDS; round += 1) {
      const attached = await payments.attachPaymentMethod({ customerId, paymentMethodId: paymentMethod, idempotencyKey });
      const current = await payments.retrievePaymentMethod(attached.id);
      if (current.customerId === customerId) return current;
      idempotencyKey = `attach:${customerId}:${paymentMethod}:after:${attached.id}`;
    }
    throw new ConflictError("payment_method_attach_loop", "This payment method was attached and removed too often today. Use a new one.", "payment_method");
  }

  /**
   * Our row for a payment method attached to the owner's customer; the first one becomes the
   * default. Adds its event (attached, or updated when its details changed) to `events`.
   */
  async function record(
    tx: Prisma.TransactionClient,
    owner: Owner,
    pm: PaymentMethodDetails,
    events: RecordEventInput[],
    requestId?: string,
  ): Promise<{ row: PaymentMethod; madeDefault: boolean }> {
    await lockUserRow(tx, owner.id);
    const fields = {
      type: pm.type,
      brand: pm.brand,
      last4: pm.last4 || null,
      accountHolderType: pm.accountHolderType,
      expMonth: pm.expMonth,
      expYear: pm.expYear,
      funding: pm.funding,
    };
    const existing = await tx.paymentMethod.findUnique({ where: { userId_stripePaymentMethodId: { userId: owner.id, stripePaymentMethodId: pm.id } } });
    if (existing) {
      const changed = (Object.keys(fields) as (keyof typeof fields)[]).some((k) => existing[k] !== fields[k]);
      if (!changed) return { row: existing, madeDefault: false };
      const row = await tx.paymentMethod.update({ where: { id: existing.id }, data: fields });
      events.push(change("payment_method.updated", row, requestId));
      return { row, madeDefault: false };
    }
    const hasDefault = (await tx.paymentMethod.count({ where: { userId: owner.id, isDefault: true } })) > 0;
    const row = await tx.paymentMethod.create({
      data: { id: newId("paymentMethod"), platformId: owner.platformId, mode: owner.mode, userId: owner.id, stripePaymentMethodId: pm.id, isDefault: !hasDefault, ...fields },
    });
    events.push(change("payment_method.attached", row, requestId));
    return { row, madeDefault: !hasDefault };
  }

  /**
   * Removes our row; when it was the default, the most recently added other one takes over. Adds
   * the events (detached, as it was; default_changed for the one taking over) to `events`.
   */
  async function forget(
    tx: Prisma.TransactionClient,
    userId: string,
    rowId: string,
    events: RecordEventInput[],
    requestId?: string,
  ): Promise<{ removed: boolean; promoted: boolean }> {
    await lockUserRow(tx, userId);
    const row = await tx.paymentMethod.findFirst({ where: { id: rowId, userId } });
    if (!row) return { removed: false, promoted: false };
    await tx.paymentMethod.delete({ where: { id: row.id } });
    events.push(change("payment_method.detached", row, requestId));
    if (!row.isDefault) return { removed: true, promoted: false };
    const next = await tx.paymentMethod.findFirst({ where: { userId }, orderBy: [{ created: "desc" }, { id: "desc" }] });
    if (!next) return { removed: true, promoted: false };
    const promoted = await tx.paymentMethod.update({ where: { id: next.id }, data: { isDefault: true } });
    events.push(change("payment_method.default_changed", promoted, requestId));
    return { removed: true, promoted: true };
  }

  async function findPaymentMethod(tenant: Tenant, userId: string, ref: string): Promise<PaymentMethod> {
    const row = await db.paymentMethod.findFirst({
      where: { userId, platformId: tenant.platformId, mode: tenant.mode, OR: [{ id: ref }, { stripePaymentMethodId: ref }] },
    });
    if (!row) throw new NotFoundError("payment method", ref, "payment_method_id");
    return row;
  }

  /**
   * Makes the customer's default at the gateway match ours. Re-reads ours after each push, so when
   * another request changed the default meanwhile, the last push is of the final one.
   */
  async function pushDefault(userId: string): Promise<void> {
    let pushed: string | null = null;
    for (let round = 0; round < 3; round += 1) {
      const customerId = await stripeCustomerIdOf(db, userId);
      const target = (await db.paymentMethod.findFirst({ where: { userId, isDefault: true }, select: { stripePaymentMethodId: true } }))?.stripePaymentMethodId;
      if (!customerId || !target || target === pushed) return;
      await payments.setDefaultPaymentMethod({ customerId, paymentMethodId: target });
      pushed = target;
    }
  }

  /**
   * After a default changed as a side effect (first card, a removed default): the request has done
   * what it was asked, so a gateway failure here is logged, not returned. Charges name their
   * payment method explicitly; the customer's default at Stripe is for Stripe's own tools.
   */
  async function pushDefaultQuietly(userId: string): Promise<void> {
    await pushDefault(userId).catch((err: unknown) => log.warn({ err, userId }, "could not update the customer's default payment method at the gateway"));
  }

  return {
    /** The user, whose `paymentMethods` are the list. */
    list: (input: { tenant: Tenant; userId: string }): Promise<UserView> => users.view(input.tenant, input.userId),

    /** A SetupIntent's client secret for saving a card with Stripe.js; creates the customer on first use. */
    async createClientSecret(input: { tenant: Tenant; userId: string }): Promise<{ user: UserView; clientSecret: string; setupIntentId: string }> {
      const { user, customerId } = await ensureCustomer(input.tenant, input.userId);
      // Each call asks for a new SetupIntent; a retry of the HTTP request is covered by Idempotency-Key.
      const intent = await payments.createSetupIntent({ customerId, idempotencyKey: `setup-intent:${user.id}:${uuidv7Hex()}` });
      return { user: await users.view(input.tenant, user.id), clientSecret: intent.clientSecret, setupIntentId: intent.id };
    },

    /** Attaches a payment method to the user's customer (created if needed); idempotent per payment method id. */
    async attach(input: { tenant: Tenant; userId: string; paymentMethod: string }): Promise<{ user: UserView; paymentMethodId: string }> {
      const { user, customerId } = await ensureCustomer(input.tenant, input.userId);
      const pm = await attachToCustomer(customerId, input.paymentMethod);
      const { row, madeDefault } = await db.$transaction(async (tx) => {
        const events: RecordEventInput[] = [];
        const recorded = await record(tx, user, pm, events, input.tenant.requestId ?? undefined);
        await recordEvents(tx, events);
        return recorded;
      });
      if (madeDefault) await pushDefaultQuietly(user.id);
      return { user: await users.view(input.tenant, user.id), paymentMethodId: row.id };
    },

    /** Detaches at the gateway, then forgets it; a removed default hands over to the newest other one. */
    async remove(input: { tenant: Tenant; userId: string; paymentMethodRef: string }): Promise<UserView> {
      const user = await users.view(input.tenant, input.userId);
      const row = await findPaymentMethod(input.tenant, user.id, input.paymentMethodRef);
      if (user.stripeCustomerId) await detachAtGateway(row.stripePaymentMethodId, user.stripeCustomerId);
      const { removed, promoted } = await db.$transaction(async (tx) => {
        const events: RecordEventInput[] = [];
        const forgotten = await forget(tx, user.id, row.id, events, input.tenant.requestId ?? undefined);
        await recordEvents(tx, events);
        return forgotten;
      });
      if (!removed) throw new NotFoundError("payment method", input.paymentMethodRef, "payment_method_id");
      if (promoted) await pushDefaultQuietly(user.id);
      return users.view(input.tenant, user.id);
    },

    /** Makes one payment method the default: at the gateway first (a refusal changes nothing), then ours. */
    async setDefault(input: { tenant: Tenant; userId: string; paymentMethodRef: string }): Promise<UserView> {
      const user = await users.view(input.tenant, input.userId);
      const row = await findPaymentMethod(input.tenant, user.id, input.paymentMethodRef);
      if (user.stripeCustomerId) await payments.setDefaultPaymentMethod({ customerId: user.stripeCustomerId, paymentMethodId: row.stripePaymentMethodId });
      await db.$transaction(async (tx) => {
        await lockUserRow(tx, user.id);
        const current = await tx.paymentMethod.findFirst({ where: { id: row.id, userId: user.id } });
        if (!current) throw new NotFoundError("payment method", input.paymentMethodRef, "payment_method_id");
        await tx.paymentMethod.updateMany({ where: { userId: user.id, isDefault: true, id: { not: row.id } }, data: { isDefault: false } });
        if (current.isDefault) return;
        const made = await tx.paymentMethod.update({ where: { id: row.id }, data: { isDefault: true } });
        await recordEvent(tx, change("payment_method.default_changed", made, input.tenant.requestId ?? undefined));
      });
      // Pushed again after our commit, even when it is what we pushed before it: another request
      // may have pushed its own after ours and committed before us, leaving the gateway on it. The
      // last request to commit pushes last.
      if (user.stripeCustomerId) await pushDefault(user.id);
      return users.view(input.tenant, user.id);
    },

    /**
     * For webhooks: brings our rows in line with a payment method as the gateway has it now —
     * recorded for the user whose customer it is attached to, forgotten by any other — and records
     * the events of what changed, last, in the webhook's transaction. Returns the
     * users whose default changed, for `pushDefaults` once the transaction committed.
     */
    async reconcile(tx: Prisma.TransactionClient, pm: PaymentMethodInfo): Promise<string[]> {
      const changed: string[] = [];
      const events: RecordEventInput[] = [];
      const rows = await tx.paymentMethod.findMany({ where: { stripePaymentMethodId: pm.id }, select: { id: true, userId: true } });
      const customers =
        rows.length === 0
          ? new Map<string, string | null>()
          : await stripeCustomerIdsOf(
              tx,
              rows.map((r) => r.userId),
            );
      for (const row of rows) {
        if (customers.get(row.userId) === pm.customerId) continue;
        if ((await forget(tx, row.userId, row.id, events)).promoted) changed.push(row.userId);
      }
      if (pm.customerId) {
        const owners = await usersOfStripeCustomer(tx, pm.customerId);
        for (const owner of owners) {
          if ((await record(tx, owner, pm, events)).madeDefault) changed.push(owner.id);
        }
      }
      await recordEvents(tx, events);
      return changed;
    },

    async pushDefaults(userIds: readonly string[]): Promise<void> {
      for (const userId of new Set(userIds)) await pushDefaultQuietly(userId);
    },
  };

  async function detachAtGateway(paymentMethodId: string, customerId: string): Promise<void> {
    try {
      await payments.detachPaymentMethod({ paymentMethodId });
    } catch (err) {
      if (!(err instanceof PaymentsRequestError)) throw err;
      // Refused because it is no longer attached to this customer (detached in Stripe's dashboard,
      // or by an earlier attempt of this request): only our row is left to remove.
      const stillAttached = await payments.retrievePaymentMethod(paymentMethodId).then(
        (pm) => pm.customerId === customerId,
        (readErr: unknown) => {
          if (readErr instanceof PaymentsRequestError) return false;
          throw readErr;
        },
      );
      if (stillAttached) throw err;
    }
  }
}

export type PaymentMethodsService = ReturnType<typeof createPaymentMethodsService>;
