import type { Tenant, Tx } from "../../db/tenant.js";

/** Erasure's part here: the user's refresh tokens, and the sign-in codes sent to their address. */
export async function eraseUserSessions(tx: Tx, user: Tenant & { id: string; email: string | null }): Promise<void> {
  await tx.refreshToken.deleteMany({ where: { userId: user.id } });
  if (user.email) await tx.otpCode.deleteMany({ where: { platformId: user.platformId, email: user.email } });
}
