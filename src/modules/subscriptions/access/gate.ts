import type { Db } from "../../../db/client.js";
import type { Tx } from "../../../db/tenant.js";
import { AppError } from "../../../lib/errors.js";
import { roleAtLeast } from "../../../lib/roles.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { membersOnlyProducts } from "../../products/index.js";
import type { SubscriptionAccessCache } from "./cache.js";

/**
 * Access that depends on a subscription (docs/api/subscriptions.md, "Access"). A platform names a
 * plan (`subscriptionPlan`: a contract, or a product — a subscription to any contract whose first
 * product it is counts); with `subscriptionRequired` its members need a live subscription to it to
 * buy anything, and a product flagged `membersOnly` needs one to be read or bought.
 *
 * Live: started (not `incomplete`), not ended, not paused, not past due. The key, owners and admins
 * are never gated; editors read members-only products (they manage the catalogue) but buy like
 * members; a seller is not gated from their own products; the plan itself is always for sale.
 * No plan named: nothing is gated. Answers are cached per node (cache.ts).
 */
export function createSubscriptionAccess(deps: { db: Db; cache?: SubscriptionAccessCache }) {
  const { cache } = deps;

  /** Whether the signed-in user has a live subscription to the plan (cached; `client` is the caller's transaction, if any). */
  async function subscribed(client: Db | Tx, auth: AuthContext & { user: { id: string } }, plan: string): Promise<boolean> {
    const userId = auth.user.id;
    const cached = cache?.get(userId, plan);
    if (cached !== undefined) return cached;
    const mark = cache?.mark() ?? 0;
    const live = await client.subscription.findFirst({
      where: {
        platformId: auth.platformId,
        mode: auth.mode,
        userId,
        incomplete: false,
        ended: null,
        isPaused: false,
        pastDue: false,
        OR: [{ contractId: plan }, { serviceId: plan }],
      },
      select: { id: true },
    });
    cache?.set(userId, plan, live !== null, mark);
    return live !== null;
  }

  function required(plan: string, why: string): AppError {
    const how = plan.startsWith("inv_") ? `POST /v1/subscriptions/auth/contract/${plan}` : `a contract for ${plan}, then POST /v1/subscriptions/auth/contract/:contract_id`;
    return new AppError(402, "invalid_request_error", "subscription_required", `${why}: subscribe to this platform's plan ${plan} first (${how}).`, { extra: { plan } });
  }

  /** Whether the caller may read every members-only product (editors and up, subscribers; everyone when no plan is named). */
  async function mayReadMembersOnly(client: Db | Tx, auth: AuthContext): Promise<boolean> {
    const plan = auth.platform.subscriptionPlan;
    if (!plan || !auth.user || roleAtLeast(auth.role, "editor")) return true;
    return subscribed(client, { ...auth, user: auth.user }, plan);
  }

  return {
    /**
     * The signed-in caller is about to buy these products for themself (null: a custom line, not a
     * product): 402 `subscription_required` when the platform gates it and they have no live
     * subscription to its plan.
     */
    async assertMayBuy(client: Db | Tx, auth: AuthContext, productIds: readonly (string | null)[]): Promise<void> {
      const plan = auth.platform.subscriptionPlan;
      if (!plan || !auth.user || roleAtLeast(auth.role, "admin")) return;
      const lines = productIds.filter((id) => id !== plan);
      if (lines.length === 0) return;
      let why = "This platform sells to subscribed members only";
      if (!auth.platform.subscriptionRequired) {
        const flagged = await membersOnlyProducts(
          client,
          lines.filter((id): id is string => id !== null),
          auth.user.id,
        );
        if (flagged.length === 0) return;
        why = `${flagged[0]!.name} (${flagged[0]!.id}) is for subscribed members only`;
      }
      if (!(await subscribed(client, { ...auth, user: auth.user }, plan))) throw required(plan, why);
    },

    mayReadMembersOnly,

    /** 402 for a members-only product (or a variant of one) the caller may not read; their own they may. */
    async assertMayRead(client: Db | Tx, auth: AuthContext, productId: string): Promise<void> {
      if (await mayReadMembersOnly(client, auth)) return;
      const [flagged] = await membersOnlyProducts(client, [productId], auth.user?.id ?? null);
      if (flagged) throw required(auth.platform.subscriptionPlan!, `${flagged.name} (${flagged.id}) is for subscribed members only`);
    },

    /** This node forgets a user's answers at once (other nodes hear the NOTIFY the change sent). */
    forget(userId: string): void {
      cache?.invalidate(`subscriber:${userId}`);
    },
  };
}

export type SubscriptionAccess = ReturnType<typeof createSubscriptionAccess>;
