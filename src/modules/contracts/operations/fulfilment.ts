import type { Tenant, Tx } from "../../../db/tenant.js";
import { ConflictError, NotFoundError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { orderSettings } from "../../platforms/index.js";
import { hasDisputedCharge, loadParties } from "../../settlement/index.js";
import { contractView, lockContract, type ContractState } from "../contracts.repo.js";
import type { ContractResponse } from "../contracts.schemas.js";
import { assertBuyerOrPlatform, assertPlatform, assertSellerOrPlatform, orderStateError } from "../orders.state.js";
import { recordContractEvent } from "../settle/charges.js";
import { RESUME_GRACE_MS, queueOrderJob, queueResume, type SettleContext } from "../settle/plan.js";
import { releaseFunds } from "../settle/release.js";
import { settle } from "../settle/run.js";
import { endOrder } from "../settle/end-order.js";
import { unwindPayments } from "../settle/unwind.js";
import { writeOffShares } from "../settle/write-off.js";

/**
 * The order's steps after its buyers were charged or authorised (docs/api/contracts.md, Orders):
 * accept or decline (or expire), fulfil, complete, cancel, write off. Each is one transaction under
 * the contract's row lock that checks the state it starts from (else 409 `order_state` naming the
 * current one), changes it, queues the jobs that carry it on and records its event; money moves
 * after the commit (captures through the settlement, releases and refunds through
 * settle/unwind.ts, held funds through settle/release.ts), each also run by a job should this node die.
 */

/** Who acts: a request (with its caller's rights), or a job (the timeouts). */
export type OrderActor = { kind: "request"; auth: AuthContext } | { kind: "job" };

const requestIdOf = (actor: OrderActor) => (actor.kind === "request" ? actor.auth.requestId : null);

async function step(ctx: SettleContext, tenant: Tenant, id: string, run: (tx: Tx, c: ContractState, now: Date) => Promise<boolean>): Promise<{ changed: boolean }> {
  return ctx.db.$transaction(async (tx) => {
    const c = await lockContract(tx, tenant, id);
    return { changed: await run(tx, c, ctx.clock.now()) };
  });
}

async function answer(ctx: SettleContext, tenant: Tenant, id: string): Promise<ContractResponse> {
  const contract = await contractView(ctx.db, tenant, id);
  if (!contract) throw new NotFoundError("contract", id, "id");
  return contract;
}

const awaiting = (c: ContractState) => c.status === "authorized" && c.orderStatus === "awaiting_acceptance";
const leaseLive = (c: ContractState, now: Date) => c.settlementLockedUntil !== null && c.settlementLockedUntil.getTime() > now.getTime();

/** Money after a commit: tried now; should it fail, the job queued with the change does it. */
async function afterCommit(ctx: SettleContext, what: string, id: string, run: () => Promise<unknown>): Promise<void> {
  try {
    await run();
  } catch (err) {
    ctx.log.warn({ contractId: id, err }, `${what} did not finish now: its job carries it on`);
  }
}

/**
 * `POST /contracts/:id/accept_order` (a seller of it, or the platform): the authorisations are
 * captured — by the settlement, which then pays the sellers, or holds their funds.
 */
export async function acceptOrder(ctx: SettleContext, auth: AuthContext, id: string): Promise<ContractResponse> {
  const tenant: Tenant = { platformId: auth.platformId, mode: auth.mode };
  await step(ctx, tenant, id, async (tx, c, now) => {
    assertSellerOrPlatform(auth, c, "accept");
    if (!awaiting(c)) throw orderStateError(c, "accepted", "while it is authorized and awaiting acceptance");
    // Sellers paid at once must be able to receive it: checked before anything is captured.
    if (!c.holdFunds) {
      const parties = await loadParties(tx, c.platformId, { payers: [], payees: c.sellers.map((s) => s.userId) });
      const seller = c.sellers.find((s) => s.amountOwed > 0 && !parties.payee(s.userId).ready);
      if (seller) throw new ConflictError("seller_not_ready", `Seller ${seller.userId} cannot be paid: their Connect account cannot receive transfers yet.`, "sellers");
    }
    await tx.contract.update({ where: { id: c.id }, data: { status: "processing", orderStatus: "accepted", orderAccepted: now } });
    // Should this node die before the captures, the settlement's job captures them.
    await queueResume(tx, tenant, c.id, new Date(now.getTime() + ctx.leaseMs + RESUME_GRACE_MS));
    await recordContractEvent(tx, tenant, c.id, "contract.order_accepted", auth.requestId);
    return true;
  });
  try {
    await settle(ctx, tenant, id, { kind: "order", requestId: auth.requestId });
  } catch (err) {
    // A capture Stripe refused ended the order (settle/capture-failure.ts): the answer shows `capture_failed`.
    if ((await answer(ctx, tenant, id)).orderStatus !== "capture_failed") throw err;
    await afterCommit(ctx, "giving the money back", id, () => unwindPayments(ctx, tenant, id, auth.requestId));
    return answer(ctx, tenant, id);
  }
  return answer(ctx, tenant, id);
}

/**
 * `POST /contracts/:id/decline` (a seller of it, or the platform), and the `expire-order` job at
 * `acceptBy`: the order ends `void` (`declined` / `expired`), its stock goes back, its
 * authorisations are released.
 */
export async function declineOrder(ctx: SettleContext, tenant: Tenant, id: string, actor: OrderActor): Promise<ContractResponse | null> {
  const { changed } = await step(ctx, tenant, id, async (tx, c, now) => {
    if (actor.kind === "request") assertSellerOrPlatform(actor.auth, c, "decline");
    if (!awaiting(c)) {
      if (actor.kind === "job") return false;
      throw orderStateError(c, "declined", "while it is authorized and awaiting acceptance");
    }
    // The job declines only what ran out of time (a later acceptance window would have requeued it).
    if (actor.kind === "job" && (c.acceptBy === null || c.acceptBy.getTime() > now.getTime())) return false;
    await endOrder(tx, tenant, c, { status: "void", orderStatus: actor.kind === "job" ? "expired" : "declined" }, true);
    await recordContractEvent(tx, tenant, c.id, actor.kind === "job" ? "contract.expired" : "contract.declined", requestIdOf(actor));
    return true;
  });
  if (changed) await afterCommit(ctx, "releasing the authorisations", id, () => unwindPayments(ctx, tenant, id, requestIdOf(actor)));
  return actor.kind === "request" ? answer(ctx, tenant, id) : null;
}

export interface Tracking {
  carrier?: string | null;
  number?: string | null;
  url?: string | null;
}

/** `POST /contracts/:id/fulfil` (a seller of it, or the platform): `accepted` → `fulfilled`, with its tracking; the order completes by itself after the platform's delay. */
export async function fulfilOrder(ctx: SettleContext, auth: AuthContext, id: string, tracking: Tracking): Promise<ContractResponse> {
  const tenant: Tenant = { platformId: auth.platformId, mode: auth.mode };
  await step(ctx, tenant, id, async (tx, c, now) => {
    assertSellerOrPlatform(auth, c, "fulfil");
    if (c.status !== "paid" || c.orderStatus !== "accepted") throw orderStateError(c, "fulfilled", "once it is paid and accepted");
    await tx.contract.update({
      where: { id: c.id },
      data: { orderStatus: "fulfilled", fulfilled: now, trackingCarrier: tracking.carrier ?? null, trackingNumber: tracking.number ?? null, trackingUrl: tracking.url ?? null },
    });
    const { autoCompleteDays } = await orderSettings(tx, c.platformId);
    if (autoCompleteDays !== null) await queueOrderJob(tx, tenant, "complete-order", c.id, new Date(now.getTime() + autoCompleteDays * 86_400_000));
    await recordContractEvent(tx, tenant, c.id, "contract.fulfilled", auth.requestId);
    return true;
  });
  return answer(ctx, tenant, id);
}

/**
 * `POST /contracts/:id/complete` (a buyer of it, or the platform), and the `complete-order` job:
 * `fulfilled` → `completed`; held funds go to the sellers.
 */
export async function completeOrder(ctx: SettleContext, tenant: Tenant, id: string, actor: OrderActor): Promise<ContractResponse | null> {
  let release = false;
  const { changed } = await step(ctx, tenant, id, async (tx, c, now) => {
    if (actor.kind === "request") assertBuyerOrPlatform(actor.auth, c, "complete");
    if (c.status !== "paid" || c.orderStatus !== "fulfilled") {
      if (actor.kind === "job") return false;
      throw orderStateError(c, "completed", "once it is fulfilled");
    }
    if (actor.kind === "job") {
      const { autoCompleteDays } = await orderSettings(tx, c.platformId);
      if (autoCompleteDays === null || c.fulfilled === null || c.fulfilled.getTime() + autoCompleteDays * 86_400_000 > now.getTime()) return false;
    }
    await tx.contract.update({ where: { id: c.id }, data: { orderStatus: "completed", completed: now } });
    release = c.holdFunds && c.fundsReleased === null;
    if (release) await queueOrderJob(tx, tenant, "release-funds", c.id, undefined);
    await recordContractEvent(tx, tenant, c.id, "contract.completed", requestIdOf(actor));
    return true;
  });
  if (changed && release) await afterCommit(ctx, "paying the sellers", id, () => releaseFunds(ctx, tenant, id, requestIdOf(actor)));
  return actor.kind === "request" ? answer(ctx, tenant, id) : null;
}

/**
 * `POST /contracts/:id/cancel`: the order ends `void` (`canceled`), its stock back, its
 * authorisations released and its captured charges refunded whole. Where it may be canceled:
 * awaiting acceptance (a buyer of it, or the platform); partly paid — some buyers charged or
 * authorised, the contract `open` again after another's decline — or paid with its funds still
 * held, before completion (the platform alone). Once a seller was paid, refunds go through the
 * transactions' refund route. A canceled order whose refund failed (`refund_failed`) is canceled
 * again by the platform to retry the refund.
 */
export async function cancelOrder(ctx: SettleContext, auth: AuthContext, id: string): Promise<ContractResponse> {
  const tenant: Tenant = { platformId: auth.platformId, mode: auth.mode };
  const { changed } = await step(ctx, tenant, id, async (tx, c, now) => {
    // A canceled order's refund failed: canceling again retries it (a new refund at Stripe).
    if (c.status === "void" && c.orderStatus === "refund_failed") {
      assertPlatform(auth, c, "cancel");
      await tx.contract.update({ where: { id: c.id }, data: { orderStatus: "canceled" } });
      await queueOrderJob(tx, tenant, "unwind-order", c.id, undefined);
      await recordContractEvent(tx, tenant, c.id, "contract.canceled", auth.requestId);
      return true;
    }
    const partlyPaid = c.status === "open" && c.buyers.some((b) => b.amountPaid > 0 || b.amountAuthorized > 0);
    const held = c.status === "paid" && (c.orderStatus === "accepted" || c.orderStatus === "fulfilled") && c.holdFunds && c.fundsReleased === null;
    if (awaiting(c)) assertBuyerOrPlatform(auth, c, "cancel");
    else assertPlatform(auth, c, "cancel");
    if (!awaiting(c) && !partlyPaid && !held) {
      if (c.status === "paid" && c.sellers.some((s) => s.amountReceived > 0)) {
        throw orderStateError(c, "canceled", "before its sellers are paid (refund its charges instead: POST /v1/transactions/:id/refund)");
      }
      throw orderStateError(c, "canceled", "while awaiting acceptance, partly paid, or paid with its funds held before completion");
    }
    if (leaseLive(c, now) || c.sellers.some((s) => s.amountReceived > 0)) throw orderStateError(c, "canceled", "while no payment of it is under way and no seller was paid");
    await endOrder(tx, tenant, c, { status: "void", orderStatus: "canceled" }, true);
    await recordContractEvent(tx, tenant, c.id, "contract.canceled", auth.requestId);
    return true;
  });
  if (changed) await afterCommit(ctx, "giving the money back", id, () => unwindPayments(ctx, tenant, id, auth.requestId));
  return answer(ctx, tenant, id);
}

/**
 * `POST /contracts/:id/uncollectible` (the platform): a partly paid contract — some buyers paid,
 * another declined for good — is written off: what is unpaid is no longer collected (authorisations
 * released), the sold stock stays sold, and what was paid goes to the sellers in proportion, the
 * fees likewise (settle/write-off.ts) — never kept without a record. The other way out is
 * `cancel`, which refunds the paid shares. Refused while a paid charge is disputed (its money is
 * the bank's to decide) or a seller to pay cannot receive transfers.
 */
export async function writeOff(ctx: SettleContext, auth: AuthContext, id: string): Promise<ContractResponse> {
  const tenant: Tenant = { platformId: auth.platformId, mode: auth.mode };
  const { changed } = await step(ctx, tenant, id, async (tx, c, now) => {
    assertPlatform(auth, c, "write off");
    const partlyPaid = c.status === "open" && c.buyers.some((b) => b.amountPaid > 0) && !leaseLive(c, now);
    if (!partlyPaid) throw orderStateError(c, "written off", "while it is open with some buyers paid and no payment under way");
    if (await hasDisputedCharge(tx, tenant, c.id)) throw orderStateError(c, "written off", "while none of its charges is disputed");
    const paidTo = writeOffShares(c).sellers.filter((s) => s.amount > 0);
    const parties = await loadParties(tx, c.platformId, { payers: [], payees: paidTo.map((s) => s.userId) });
    const seller = paidTo.find((s) => !parties.payee(s.userId).ready);
    if (seller) throw new ConflictError("seller_not_ready", `Seller ${seller.userId} cannot be paid their share: their Connect account cannot receive transfers yet.`, "sellers");
    await endOrder(tx, tenant, c, { status: "uncollectible" }, false);
    await recordContractEvent(tx, tenant, c.id, "contract.uncollectible", auth.requestId);
    return true;
  });
  if (changed) await afterCommit(ctx, "releasing the authorisations and paying the paid shares", id, () => unwindPayments(ctx, tenant, id, auth.requestId));
  return answer(ctx, tenant, id);
}
