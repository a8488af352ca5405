import type { Tenant } from "../../../db/tenant.js";
import type { Mode } from "../../../generated/prisma/enums.js";
import { ConflictError } from "../../../lib/errors.js";
import { MAX_STEP_MS, later, queueResume, type Plan, type SettleContext } from "./plan.js";

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

/** Every third of the lease (two beats may be lost before it lapses), for a step of at most MAX_STEP_MS. */
export const heartbeat = ({ leaseMs, clock }: SettleContext) => ({ everyMs: Math.max(500, Math.floor(leaseMs / 3)), maxStepMs: MAX_STEP_MS, now: () => clock.now().getTime() });

/**
 * At boot: the settlements this node's earlier boots held died with them — their leases are freed
 * and the resume job queued to run now, not when the leases lapse; so are leases that lapsed
 * meanwhile. A current lease of another node (or of this boot) is left alone. Returns the contracts queued.
 */
export async function resumeAfterRestart({ db, clock, leases }: SettleContext): Promise<string[]> {
  return db.$transaction(async (tx) => {
    const now = clock.now();
    const freed = await tx.$queryRaw<{ id: string; platform_id: string; mode: Mode }[]>`
      UPDATE contracts SET settlement_lease_id = NULL, settlement_locked_until = NULL
      WHERE status = 'processing' AND settlement_lease_id LIKE ${leases.nodePattern} AND settlement_lease_id NOT LIKE ${leases.bootPattern}
      RETURNING id, platform_id, mode`;
    // A lapsed lease stays as it is (the settler that takes over replaces it); only its job is brought forward.
    const lapsed = await tx.$queryRaw<{ id: string; platform_id: string; mode: Mode }[]>`
      SELECT id, platform_id, mode FROM contracts WHERE status = 'processing' AND settlement_locked_until <= ${now}`;
    const rows = [...freed, ...lapsed];
    for (const row of rows) {
      const tenant: Tenant = { platformId: row.platform_id, mode: row.mode };
      await queueResume(tx, tenant, row.id, undefined);
    }
    return rows.map((r) => r.id);
  });
}

/**
 * While this node runs: the settlements of this boot whose settler is no longer at work (the
 * database went away under it, so it could not release its lease) are freed and resumed now, not
 * when their leases lapse. Called once the database answers again. Returns the contracts queued.
 */
export async function resumeOrphans({ db, leases }: SettleContext): Promise<string[]> {
  return db.$transaction(async (tx) => {
    const freed = await tx.$queryRaw<{ id: string; platform_id: string; mode: Mode }[]>`
      UPDATE contracts SET settlement_lease_id = NULL, settlement_locked_until = NULL
      WHERE status = 'processing' AND settlement_lease_id LIKE ${leases.bootPattern} AND NOT (settlement_lease_id = ANY(${leases.live()}::text[]))
      RETURNING id, platform_id, mode`;
    for (const row of freed) await queueResume(tx, { platformId: row.platform_id, mode: row.mode }, row.id, undefined);
    return freed.map((r) => r.id);
  });
}
