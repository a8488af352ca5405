import type { Tenant, Tx } from "../../db/tenant.js";
import { scrubEventsOfUserObjects } from "../events/index.js";

/** The default payment method of each of these users that has one (a settlement's payers). */
export async function defaultPaymentMethodsOf(tx: Tx, userIds: readonly string[]): Promise<{ userId: string; stripePaymentMethodId: string }[]> {
  return tx.paymentMethod.findMany({ where: { userId: { in: [...userIds] }, isDefault: true }, select: { userId: true, stripePaymentMethodId: true } });
}

/** Erasure's part here: the user's saved payment methods go, and their events keep no card details. */
export async function eraseUserPaymentMethods(tx: Tx, user: Tenant & { id: string }): Promise<void> {
  await tx.paymentMethod.deleteMany({ where: { userId: user.id } });
  await scrubEventsOfUserObjects(tx, user, user.id, "payment_method", { brand: null, last4: null, expMonth: null, expYear: null, funding: null, accountHolderType: null });
}
