import type { Db } from "../../../db/client.js";
import { NotFoundError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { sellerPaidOut } from "../../settlement/index.js";
import { userOfTenantExists } from "../../users/index.js";
import { isEditor } from "../contracts.state.js";

export interface Amount {
  currency: string;
  amount: number;
}

export interface SellerBalance {
  object: "balance";
  user_id: string;
  available: Amount[];
  pending: Amount[];
  awaitingAcceptance: Amount[];
}

/**
 * `GET /users/:id/balance` (the user themself, an editor, the key): a seller's money by where it is
 * (docs/api/contracts.md, Orders). `available`: paid to their Connect account (transfers less
 * reversals, from the ledger). `pending`: charged from buyers but held until the order completes
 * or the holding delay ends. `awaitingAcceptance`: authorised on buyers' cards, not captured.
 */
export async function sellerBalance(db: Db, auth: AuthContext, userId: string): Promise<SellerBalance> {
  const tenant = { platformId: auth.platformId, mode: auth.mode };
  // Another member's balance is theirs alone: as if there were no such user.
  if ((!isEditor(auth) && auth.user?.id !== userId) || !(await userOfTenantExists(db, tenant, userId))) throw new NotFoundError("user", userId, "id");
  const rows = await db.$queryRaw<{ kind: "pending" | "awaiting"; currency: string; amount: bigint }[]>`
    SELECT CASE WHEN c.status = 'authorized' THEN 'awaiting' ELSE 'pending' END AS kind, c.currency,
           sum(s.amount_owed - s.amount_received)::bigint AS amount
    FROM contract_sellers s JOIN contracts c ON c.id = s.contract_id
    WHERE s.platform_id = ${tenant.platformId} AND s.mode = ${tenant.mode}::"Mode" AND s.user_id = ${userId}
      AND (c.status = 'authorized' OR (c.hold_funds AND c.funds_released IS NULL AND c.status IN ('paid', 'disputed')))
    GROUP BY 1, 2 ORDER BY 2`;
  const of = (kind: string) => rows.filter((r) => r.kind === kind && r.amount > 0n).map((r) => ({ currency: r.currency, amount: Number(r.amount) }));
  return { object: "balance", user_id: userId, available: await sellerPaidOut(db, tenant, userId), pending: of("pending"), awaitingAcceptance: of("awaiting") };
}
