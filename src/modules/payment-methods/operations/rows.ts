import type { PaymentMethodDetails } from "../../../adapters/payments/gateway.js";
import type { Prisma } from "../../../db/client.js";
import { lockUserRow } from "../../users/index.js";
import type { PaymentMethod } from "../../../generated/prisma/client.js";
import { newId } from "../../../lib/ids.js";
import type { RecordEventInput } from "../../events/index.js";
import { change, type Owner } from "./shared.js";

/** Our `payment_methods` rows: one recorded as the gateway has it, one forgotten. */

/**
 * Our row for a payment method attached to the owner's customer; the first one becomes the
 * default. Adds its event (attached, or updated when its details changed) to `events`.
 */
export async function record(
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
export async function forget(
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
