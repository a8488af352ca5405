import type { Db } from "../../db/client.js";
import { Prisma } from "../../db/client.js";
import { notifyInvalidation } from "../../db/invalidation.js";
import type { Tenant, Tx } from "../../db/tenant.js";
import { recordEvent, replaceEventData } from "../events/index.js";
import { eraseMetafields } from "../metafields/index.js";
import { toUserResponse, userInclude } from "./users.service.js";

/** A user whose deletion fell due: who erasure works on (each module erases its own part of them). */
export interface UserToErase extends Tenant {
  id: string;
  email: string | null;
}

/** Up to `limit` users whose scheduled deletion fell due and who are not erased yet. */
export async function usersDueForErasure(db: Db, now: Date, limit: number): Promise<UserToErase[]> {
  return db.user.findMany({ where: { scheduledDeletion: { lte: now }, deleted: null }, select: { id: true, email: true, platformId: true, mode: true }, take: limit });
}

/** Locks the user if their deletion is still due: a sign-in may have cancelled it meanwhile. */
export async function lockUserDueForErasure(tx: Tx, userId: string, now: Date): Promise<boolean> {
  const still = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM users WHERE id = ${userId} AND deleted IS NULL AND scheduled_deletion <= ${now} FOR UPDATE`;
  return still.length > 0;
}

/**
 * Erasure's part here, last: the user's links and membership go, the row keeps its id and nothing
 * of the person, their events hold the erased user, and `user.deleted` is recorded. Their sessions,
 * cached on every node, end with them (the NOTIFY; the caller evicts this node's copy after commit).
 */
export async function eraseUserRecord(tx: Tx, user: UserToErase, now: Date): Promise<void> {
  await tx.userLink.deleteMany({ where: { userId: user.id } });
  await tx.membership.deleteMany({ where: { userId: user.id } });
  await tx.user.update({
    where: { id: user.id },
    data: {
      email: null,
      username: null,
      bio: null,
      name: null,
      firstName: null,
      lastName: null,
      image: null,
      pendingEmail: null,
      pendingEmailCodeHash: null,
      pendingEmailExpires: null,
      payoutSchedule: Prisma.DbNull,
      bankLast4: null,
      authenticated: null,
      // The person's contact details and whatever the platform noted of them go too.
      addressLine1: null,
      addressLine2: null,
      addressCity: null,
      addressState: null,
      addressPostalCode: null,
      addressCountry: null,
      phoneCountryCode: null,
      phoneNumber: null,
      businessName: null,
      locale: null,
      externalId: null,
      attributes: {},
      deleted: now,
    },
  });
  // Its payment methods were erased before (src/workflows/erase-user.ts): none to list.
  // Metafields are the platform's data about the person: they go too.
  await eraseMetafields(tx, "user", user.id);
  const erased = toUserResponse({ ...(await tx.user.findUniqueOrThrow({ where: { id: user.id }, include: userInclude })), paymentMethods: [], metafields: [] });
  await replaceEventData(tx, user.id, erased);
  await recordEvent(tx, { platformId: user.platformId, mode: user.mode, type: "user.deleted", object: erased });
  await notifyInvalidation(tx, `user:${user.id}`);
}
