import type { Tenant, Tx } from "../../db/tenant.js";
import { scrubEventsOf } from "../events/index.js";

/** Erasure's part here: the waitlist entries of the user's address go, and their events keep no copy of the person. */
export async function eraseUserWaitlistEntries(tx: Tx, user: Tenant & { email: string | null }): Promise<void> {
  if (!user.email) return;
  const entries = await tx.waitlistEntry.findMany({ where: { platformId: user.platformId, email: user.email }, select: { id: true } });
  await tx.waitlistEntry.deleteMany({ where: { platformId: user.platformId, email: user.email } });
  await scrubEventsOf(
    tx,
    entries.map((e) => e.id),
    { email: null, name: null },
  );
}

/** Whether this address was granted a place on the platform's waitlist (sign-up asks while the waitlist is on). */
export async function isWaitlistGranted(tx: Tx, platformId: string, email: string): Promise<boolean> {
  const entry = await tx.waitlistEntry.findUnique({ where: { platformId_email: { platformId, email } }, select: { granted: true } });
  return Boolean(entry?.granted);
}
