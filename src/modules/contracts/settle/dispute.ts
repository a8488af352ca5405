import type { Dispute, Metadata } from "../../../adapters/payments/gateway.js";
import type { Tenant, Tx } from "../../../db/tenant.js";
import { ServiceUnavailableError } from "../../../lib/errors.js";
import { recordEvent } from "../../events/index.js";
import type { Clock } from "../../../lib/time.js";
import { hasDisputedCharge } from "../../settlement/index.js";
import { contractView } from "../contracts.repo.js";
import { queueOrderJob } from "./plan.js";

/**
 * The DisputeHandler (stripe-webhooks.service.ts) for a contract's charge, inside the webhook's
 * transaction: an open dispute puts a `paid` contract in `disputed` (`contract.disputed`); closing
 * it records `contract.dispute_closed` — won, the contract is `paid` again (once none of its charges
 * is disputed any more) and held funds due meanwhile are released; lost, it stays `disputed` (the
 * ledger's `dispute` rows say what was taken back, and held funds are never released). The contract is found by the ids
 * settlement put on the payment intent. A contract already in the state an open or won dispute
 * says changes nothing, so replays of those record no event.
 */
export async function onDispute(clock: Clock, dispute: Dispute, metadata: Metadata | null, tx: Tx): Promise<void> {
  const contractId = metadata?.contract_id;
  const platformId = metadata?.platform_id;
  const mode = metadata?.mode;
  if (!contractId || !platformId || (mode !== "test" && mode !== "live")) return;
  const tenant: Tenant = { platformId, mode };
  const rows = await tx.$queryRaw<{ status: string }[]>`
    SELECT status::text FROM contracts WHERE id = ${contractId} AND platform_id = ${platformId} AND mode = ${mode}::"Mode" FOR UPDATE`;
  const status = rows[0]?.status;
  if (!status) return;
  const closed = dispute.status === "won" || dispute.status === "lost" || dispute.status === "warning_closed";
  // Disputed before its settlement finished (Stripe opens it right after the charge): Stripe sends it again.
  if (status === "processing") throw new ServiceUnavailableError("service_unavailable", `The settlement of ${contractId} is still running; retry.`);
  let type: "contract.disputed" | "contract.dispute_closed" | null = null;
  if (!closed && status === "paid") {
    await tx.contract.update({ where: { id: contractId }, data: { status: "disputed" } });
    type = "contract.disputed";
  } else if (closed && status === "disputed") {
    // A lost dispute leaves the contract `disputed` (Stripe sends `charge.dispute.closed` once; its replays are duplicates);
    // so does a won one while another of its charges is still disputed (the ledger's handler ran first: this one is not).
    if (dispute.status !== "lost" && !(await hasDisputedCharge(tx, tenant, contractId))) {
      const c = await tx.contract.update({ where: { id: contractId }, data: { status: "paid" } });
      // Held funds whose release came due meanwhile (completed, or past `releaseAt`) go out now: the release skipped a disputed contract.
      const due = c.orderStatus === "completed" || (c.releaseAt !== null && c.releaseAt.getTime() <= clock.now().getTime());
      if (c.holdFunds && c.fundsReleased === null && due) await queueOrderJob(tx, tenant, "release-funds", contractId, undefined);
    }
    type = "contract.dispute_closed";
  }
  if (!type) return;
  const object = await contractView(tx, tenant, contractId);
  if (object) await recordEvent(tx, { platformId, mode, requestId: null, type, object });
}
