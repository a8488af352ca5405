import type { Tenant } from "../../../db/tenant.js";
import { uuidv7Hex } from "../../../lib/ids.js";
import { type RecordEventInput, recordEvents } from "../../events/index.js";
import type { UserView } from "../../users/index.js";
import { attachToCustomer, ensureCustomer, pushDefaultQuietly } from "./gateway.js";
import { record } from "./rows.js";
import type { PaymentMethodsContext } from "./shared.js";

/** A SetupIntent's client secret for saving a card with Stripe.js; creates the customer on first use. */
export async function createClientSecret(
  ctx: PaymentMethodsContext,
  input: { tenant: Tenant; userId: string },
): Promise<{ user: UserView; clientSecret: string; setupIntentId: string }> {
  const { user, customerId } = await ensureCustomer(ctx, input.tenant, input.userId);
  // Each call asks for a new SetupIntent; a retry of the HTTP request is covered by Idempotency-Key.
  const intent = await ctx.payments.createSetupIntent({ customerId, idempotencyKey: `setup-intent:${user.id}:${uuidv7Hex()}` });
  return { user: await ctx.users.view(input.tenant, user.id), clientSecret: intent.clientSecret, setupIntentId: intent.id };
}

/** Attaches a payment method to the user's customer (created if needed); idempotent per payment method id. */
export async function attach(ctx: PaymentMethodsContext, input: { tenant: Tenant; userId: string; paymentMethod: string }): Promise<{ user: UserView; paymentMethodId: string }> {
  const { user, customerId } = await ensureCustomer(ctx, input.tenant, input.userId);
  const pm = await attachToCustomer(ctx, customerId, input.paymentMethod);
  const { row, madeDefault } = await ctx.db.$transaction(async (tx) => {
    const events: RecordEventInput[] = [];
    const recorded = await record(tx, user, pm, events, input.tenant.requestId ?? undefined);
    await recordEvents(tx, events);
    return recorded;
  });
  if (madeDefault) await pushDefaultQuietly(ctx, user.id);
  return { user: await ctx.users.view(input.tenant, user.id), paymentMethodId: row.id };
}
