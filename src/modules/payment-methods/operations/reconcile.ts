import type { PaymentMethodInfo } from "../../../adapters/payments/gateway.js";
import type { Prisma } from "../../../db/client.js";
import { type RecordEventInput, recordEvents } from "../../events/index.js";
import { stripeCustomerIdsOf, usersOfStripeCustomer } from "../../users/index.js";
import { pushDefaultQuietly } from "./gateway.js";
import { forget, record } from "./rows.js";
import type { PaymentMethodsContext } from "./shared.js";

/**
 * For webhooks: brings our rows in line with a payment method as the gateway has it now —
 * recorded for the user whose customer it is attached to, forgotten by any other — and records
 * the events of what changed, last, in the webhook's transaction. Returns the
 * users whose default changed, for `pushDefaults` once the transaction committed.
 */
export async function reconcile(tx: Prisma.TransactionClient, pm: PaymentMethodInfo): Promise<string[]> {
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
}

export async function pushDefaults(ctx: PaymentMethodsContext, userIds: readonly string[]): Promise<void> {
  for (const userId of new Set(userIds)) await pushDefaultQuietly(ctx, userId);
}
