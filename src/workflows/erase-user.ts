import type { Db } from "../db/client.js";
import type { Clock } from "../lib/time.js";
import { eraseUserSessions } from "../modules/auth/index.js";
import { eraseUserBankAccount } from "../modules/bank-accounts/index.js";
import { eraseUserCalendar } from "../modules/calendars/index.js";
import { eraseUserCart } from "../modules/carts/index.js";
import { eraseUserPaymentMethods } from "../modules/payment-methods/index.js";
import { withdrawUserProducts } from "../modules/products/index.js";
import { endUserSubscriptions } from "../modules/subscriptions/index.js";
import { eraseUserRecord, lockUserDueForErasure, usersDueForErasure } from "../modules/users/index.js";
import { eraseUserWaitlistEntries } from "../modules/waitlists/index.js";

/**
 * Erasing users whose deletion fell due (the `erase-due-users` job): each module erases its own part
 * of the person, in one transaction per user. Money records (contracts, transactions, subscriptions'
 * history) keep the user's id; the person behind it is gone.
 */
export function createUserErasure(deps: { db: Db; clock: Clock /** Evicts this node's cached sessions of a user. */; invalidate?: (message: string) => void }) {
  const { db, clock } = deps;
  return {
    /** Erases up to `limit` due users; answers how many were due (a full batch means: call again). */
    async eraseDueUsers(limit = 100): Promise<number> {
      const now = clock.now();
      const due = await usersDueForErasure(db, now, limit);
      for (const user of due) {
        await db.$transaction(async (tx) => {
          if (!(await lockUserDueForErasure(tx, user.id, now))) return;
          await eraseUserPaymentMethods(tx, user);
          await eraseUserBankAccount(tx, user);
          await eraseUserSessions(tx, user);
          await eraseUserCart(tx, user);
          await eraseUserCalendar(tx, user);
          await eraseUserWaitlistEntries(tx, user);
          await withdrawUserProducts(tx, user, now);
          await endUserSubscriptions(tx, user, now);
          // Last: the user's own row and `user.deleted`, after the events of what was theirs.
          await eraseUserRecord(tx, user, now);
        });
        deps.invalidate?.(`user:${user.id}`);
      }
      return due.length;
    },
  };
}

export type UserErasure = ReturnType<typeof createUserErasure>;
