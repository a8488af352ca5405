import type { Tenant, Tx } from "../../db/tenant.js";
import { scrubEventsOfUserObjects } from "../events/index.js";

/** Erasure's part here: the bank account's events keep no account digits (the users row's own are erased by users). */
export async function eraseUserBankAccount(tx: Tx, user: Tenant & { id: string }): Promise<void> {
  await scrubEventsOfUserObjects(tx, user, user.id, "bank_account", { last4: null });
}
