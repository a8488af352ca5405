import type { Tenant } from "../../db/tenant.js";
import type { UserView } from "../users/index.js";
import { attach, createClientSecret } from "./operations/attach.js";
import { pushDefaults, reconcile } from "./operations/reconcile.js";
import { remove } from "./operations/remove.js";
import { setDefault } from "./operations/set-default.js";
import type { PaymentMethodsContext } from "./operations/shared.js";

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
 *
 * One operation a file, under operations/: `attach.ts` (a client secret, an attach), `remove.ts`,
 * `set-default.ts`, `reconcile.ts` (webhooks), on `gateway.ts` (the gateway's side) and `rows.ts` (ours).
 */
export function createPaymentMethodsService(deps: PaymentMethodsContext) {
  const ctx: PaymentMethodsContext = { db: deps.db, payments: deps.payments, users: deps.users, log: deps.log };
  type Rest<F> = F extends (ctx: PaymentMethodsContext, ...rest: infer A) => infer R ? (...rest: A) => R : never;
  const bind = <F extends (ctx: PaymentMethodsContext, ...rest: never[]) => unknown>(f: F): Rest<F> =>
    ((...rest: unknown[]) => (f as unknown as (...a: unknown[]) => unknown)(ctx, ...rest)) as Rest<F>;
  return {
    /** The user, whose `paymentMethods` are the list. */
    list: (input: { tenant: Tenant; userId: string }): Promise<UserView> => ctx.users.view(input.tenant, input.userId),
    createClientSecret: bind(createClientSecret),
    attach: bind(attach),
    remove: bind(remove),
    setDefault: bind(setDefault),
    reconcile,
    pushDefaults: bind(pushDefaults),
  };
}

export type PaymentMethodsService = ReturnType<typeof createPaymentMethodsService>;
