import type { Tenant } from "../../../db/tenant.js";
import { NotFoundError } from "../../../lib/errors.js";
import { type RecordEventInput, recordEvents } from "../../events/index.js";
import type { UserView } from "../../users/index.js";
import { detachAtGateway, pushDefaultQuietly } from "./gateway.js";
import { forget } from "./rows.js";
import { findPaymentMethod, type PaymentMethodsContext } from "./shared.js";

/** Detaches at the gateway, then forgets it; a removed default hands over to the newest other one. */
export async function remove(ctx: PaymentMethodsContext, input: { tenant: Tenant; userId: string; paymentMethodRef: string }): Promise<UserView> {
  const user = await ctx.users.view(input.tenant, input.userId);
  const row = await findPaymentMethod(ctx, input.tenant, user.id, input.paymentMethodRef);
  if (user.stripeCustomerId) await detachAtGateway(ctx, row.stripePaymentMethodId, user.stripeCustomerId);
  const { removed, promoted } = await ctx.db.$transaction(async (tx) => {
    const events: RecordEventInput[] = [];
    const forgotten = await forget(tx, user.id, row.id, events, input.tenant.requestId ?? undefined);
    await recordEvents(tx, events);
    return forgotten;
  });
  if (!removed) throw new NotFoundError("payment method", input.paymentMethodRef, "payment_method_id");
  if (promoted) await pushDefaultQuietly(ctx, user.id);
  return ctx.users.view(input.tenant, user.id);
}
