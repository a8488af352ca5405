import { ConflictError } from "../../../lib/errors.js";
import { later, type Plan, type SettleContext } from "./plan.js";

/** The settlement lease: one settler at a time, taken over once it lapses. */

/** Extends the lease before each gateway call; a settler that lost it (it ran past its lease and another took over) stops. */
export async function renewLease({ db, clock, leaseMs }: SettleContext, plan: Plan): Promise<void> {
  const { count } = await db.contract.updateMany({ where: { id: plan.contractId, settlementLeaseId: plan.leaseId }, data: { settlementLockedUntil: later(clock, leaseMs) } });
  if (count === 0) {
    throw new ConflictError("settlement_in_progress", `Another settlement of ${plan.contractId} took over from this one; it carries on from where this one stopped.`, "id");
  }
}

/** Lets the next settle start at once; the contract stays `processing` (an outcome is unknown, or transfers are left). */
export async function releaseLease({ db }: SettleContext, plan: Plan): Promise<void> {
  await db.contract.updateMany({ where: { id: plan.contractId, settlementLeaseId: plan.leaseId }, data: { settlementLeaseId: null, settlementLockedUntil: null } });
}
