import { Prisma } from "../../db/client.js";
import type { Tenant, Tx } from "../../db/tenant.js";

/** The condition, on the user row `u` of the users module's lookup, that the token's session (refresh token family) is live. */
export const liveSessionOf = (sessionId: string) => Prisma.sql`EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = ${sessionId} AND r.user_id = u.id AND r.revoked IS NULL)`;

/** Erasure's part here: the user's refresh tokens, and the sign-in codes sent to their address. */
export async function eraseUserSessions(tx: Tx, user: Tenant & { id: string; email: string | null }): Promise<void> {
  await tx.refreshToken.deleteMany({ where: { userId: user.id } });
  if (user.email) await tx.otpCode.deleteMany({ where: { platformId: user.platformId, email: user.email } });
}
