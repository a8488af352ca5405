import type { Prisma } from "../generated/prisma/client.js";

export interface LockedUser {
  id: string;
  stripe_customer_id: string | null;
  stripe_connect_id: string | null;
}

/**
 * Locks a user's row until the transaction ends, so writes that must see each other — the user's
 * Stripe ids, which payment method is the default — happen one after the other. Null when the user
 * is not there (or was erased).
 */
export async function lockUserRow(tx: Prisma.TransactionClient, userId: string): Promise<LockedUser | null> {
  const rows = await tx.$queryRaw<LockedUser[]>`
    SELECT id, stripe_customer_id, stripe_connect_id FROM users WHERE id = ${userId} AND deleted IS NULL FOR UPDATE`;
  return rows[0] ?? null;
}
