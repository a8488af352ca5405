import { PaymentsRequestError } from "../../../adapters/payments/errors.js";
import type { PaymentMethodInfo } from "../../../adapters/payments/gateway.js";
import type { Tenant } from "../../../db/tenant.js";
import { lockUserRow } from "../../users/index.js";
import { ConflictError, NotFoundError } from "../../../lib/errors.js";
import { recordEvent } from "../../events/index.js";
import { setStripeCustomerId, stripeCustomerIdOf, toUserResponse, type UserView } from "../../users/index.js";
import type { PaymentMethodsContext } from "./shared.js";

/** The gateway's side: the user's customer, attaching, detaching, and the customer's default. */

// A payment method attached, detached and attached again within Stripe's 24 h key memory needs one
// more link of the key chain each time (see `attachToCustomer`); this bounds the chain.
const MAX_ATTACH_ROUNDS = 10;

/** The user's Stripe customer, created on first use. */
export async function ensureCustomer(ctx: PaymentMethodsContext, tenant: Tenant, userId: string): Promise<{ user: UserView; customerId: string }> {
  const user = await ctx.users.view(tenant, userId);
  if (user.stripeCustomerId) return { user, customerId: user.stripeCustomerId };
  if (!user.email) throw new ConflictError("email_missing", "Stripe needs an email address for the customer: give the user an email first.", "email");
  // Keyed by the user: parallel first calls, and a retry after a crash before the id was saved, get the same customer.
  const created = await ctx.payments.createCustomer({
    email: user.email,
    name: user.name,
    metadata: { user_id: user.id, platform_id: user.platformId, mode: user.mode },
    idempotencyKey: `customer:${user.id}`,
  });
  const customerId = await ctx.db.$transaction(async (tx) => {
    const locked = await lockUserRow(tx, user.id);
    if (!locked) throw new NotFoundError("user", userId, "id");
    if (locked.stripe_customer_id) return locked.stripe_customer_id;
    await setStripeCustomerId(tx, user.id, created.id);
    const after = await ctx.users.view(tenant, user.id, tx);
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
export async function attachToCustomer(ctx: PaymentMethodsContext, customerId: string, paymentMethod: string): Promise<PaymentMethodInfo> {
  let idempotencyKey = `attach:${customerId}:${paymentMethod}`;
  for (let round = 0; round < MAX_ATTACH_ROUNDS; round += 1) {
    const attached = await ctx.payments.attachPaymentMethod({ customerId, paymentMethodId: paymentMethod, idempotencyKey });
    const current = await ctx.payments.retrievePaymentMethod(attached.id);
    if (current.customerId === customerId) return current;
    idempotencyKey = `attach:${customerId}:${paymentMethod}:after:${attached.id}`;
  }
  throw new ConflictError("payment_method_attach_loop", "This payment method was attached and removed too often today. Use a new one.", "payment_method");
}

export async function detachAtGateway(ctx: PaymentMethodsContext, paymentMethodId: string, customerId: string): Promise<void> {
  try {
    await ctx.payments.detachPaymentMethod({ paymentMethodId });
  } catch (err) {
    if (!(err instanceof PaymentsRequestError)) throw err;
    // Refused because it is no longer attached to this customer (detached in Stripe's dashboard,
    // or by an earlier attempt of this request): only our row is left to remove.
    const stillAttached = await ctx.payments.retrievePaymentMethod(paymentMethodId).then(
      (pm) => pm.customerId === customerId,
      (readErr: unknown) => {
        if (readErr instanceof PaymentsRequestError) return false;
        throw readErr;
      },
    );
    if (stillAttached) throw err;
  }
}

/**
 * Makes the customer's default at the gateway match ours. Re-reads ours after each push, so when
 * another request changed the default meanwhile, the last push is of the final one.
 */
export async function pushDefault(ctx: PaymentMethodsContext, userId: string): Promise<void> {
  let pushed: string | null = null;
  for (let round = 0; round < 3; round += 1) {
    const customerId = await stripeCustomerIdOf(ctx.db, userId);
    const target = (await ctx.db.paymentMethod.findFirst({ where: { userId, isDefault: true }, select: { stripePaymentMethodId: true } }))?.stripePaymentMethodId;
    if (!customerId || !target || target === pushed) return;
    await ctx.payments.setDefaultPaymentMethod({ customerId, paymentMethodId: target });
    pushed = target;
  }
}

/**
 * After a default changed as a side effect (first card, a removed default): the request has done
 * what it was asked, so a gateway failure here is logged, not returned. Charges name their
 * payment method explicitly; the customer's default at Stripe is for Stripe's own tools.
 */
export async function pushDefaultQuietly(ctx: PaymentMethodsContext, userId: string): Promise<void> {
  await pushDefault(ctx, userId).catch((err: unknown) => ctx.log.warn({ err, userId }, "could not update the customer's default payment method at the gateway"));
}
