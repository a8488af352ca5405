import type { Tenant } from "../../../db/tenant.js";
import { lockUserRow } from "../../users/index.js";
import { NotFoundError } from "../../../lib/errors.js";
import { recordEvent } from "../../events/index.js";
import type { UserView } from "../../users/index.js";
import { pushDefault } from "./gateway.js";
import { change, findPaymentMethod, type PaymentMethodsContext } from "./shared.js";

/** Makes one payment method the default: at the gateway first (a refusal changes nothing), then ours. */
export async function setDefault(ctx: PaymentMethodsContext, input: { tenant: Tenant; userId: string; paymentMethodRef: string }): Promise<UserView> {
  const user = await ctx.users.view(input.tenant, input.userId);
  const row = await findPaymentMethod(ctx, input.tenant, user.id, input.paymentMethodRef);
  if (user.stripeCustomerId) await ctx.payments.setDefaultPaymentMethod({ customerId: user.stripeCustomerId, paymentMethodId: row.stripePaymentMethodId });
  await ctx.db.$transaction(async (tx) => {
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
  if (user.stripeCustomerId) await pushDefault(ctx, user.id);
  return ctx.users.view(input.tenant, user.id);
}
