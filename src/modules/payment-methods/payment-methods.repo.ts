import type { Db } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import type { PaymentMethod } from "../../generated/prisma/client.js";
import { scrubEventsOfUserObjects } from "../events/index.js";

/** These users' payment methods, oldest first (the users module lists them on the user object). */
export function paymentMethodsOf(client: Db | Tx, userIds: readonly string[]): Promise<PaymentMethod[]> {
  return client.paymentMethod.findMany({ where: { userId: { in: [...userIds] } }, orderBy: [{ created: "asc" }, { id: "asc" }] });
}

/** The default payment method of each of these users that has one (a settlement's payers). */
export async function defaultPaymentMethodsOf(tx: Tx, userIds: readonly string[]): Promise<{ userId: string; stripePaymentMethodId: string }[]> {
  return tx.paymentMethod.findMany({ where: { userId: { in: [...userIds] }, isDefault: true }, select: { userId: true, stripePaymentMethodId: true } });
}

/** Erasure's part here: the user's saved payment methods go, and their events keep no card details. */
export async function eraseUserPaymentMethods(tx: Tx, user: Tenant & { id: string }): Promise<void> {
  await tx.paymentMethod.deleteMany({ where: { userId: user.id } });
  await scrubEventsOfUserObjects(tx, user, user.id, "payment_method", { brand: null, last4: null, expMonth: null, expYear: null, funding: null, accountHolderType: null });
}
