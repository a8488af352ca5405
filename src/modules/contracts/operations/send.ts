import { enqueue } from "../../../jobs/queue.js";
import { ConflictError, UnprocessableError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import { contractEmail } from "../contracts.emails.js";
import type { ContractResponse } from "../contracts.schemas.js";
import { assertMaySend, isUnlocked } from "../contracts.state.js";
import { lockContract } from "../contracts.repo.js";
import { activeEmailsOf } from "../../users/index.js";
import { holdUntil, retakeHolds } from "../stock-holds.js";
import { rebalanceVoiding, recorded, tenantOf, view, type ContractsContext } from "./shared.js";

/**
 * Emails every buyer the contract (items, their amount due, the due date) through the job
 * queue, in the same transaction; `draft` → `open`; `sent` once, `lastSent` each time.
 */
export async function send(ctx: ContractsContext, auth: AuthContext, id: string): Promise<ContractResponse> {
  const { clock, holds } = ctx;
  const tenant = tenantOf(auth);
  return ctx.db.$transaction(async (tx) => {
    let c = await lockContract(tx, tenant, id);
    assertMaySend(auth, c);
    if (c.status !== "draft" && c.status !== "open") {
      throw new ConflictError("contract_not_sendable", `${c.id} is ${c.status}: only draft and open contracts are sent.`, "id");
    }
    if (isUnlocked(c)) c = await rebalanceVoiding(ctx, tx, c);
    const missing = c.buyers.length === 0 ? "buyers" : c.sellers.length === 0 ? "sellers" : c.total <= 0 ? "items" : null;
    if (missing) {
      const what = { buyers: "no buyer", sellers: "no seller", items: "nothing to pay (its total is 0)" }[missing];
      throw new UnprocessableError("contract_incomplete", `${c.id} has ${what}: a contract is sent with at least one buyer, one seller and a positive total.`, missing);
    }
    const now = clock.now();
    // A hold that expired takes its stock again (409 when it is gone); sending renews the hold.
    if (isUnlocked(c)) await retakeHolds(tx, c.id, now, holdUntil(holds, now));
    await tx.contract.update({ where: { id: c.id }, data: { status: "open", sent: c.sent ?? now, lastSent: now } });
    const contract = await view(tx, tenant, id);
    const emails = await activeEmailsOf(
      tx,
      c.buyers.map((b) => b.userId),
    );
    for (const buyer of c.buyers) {
      const to = emails.find((u) => u.id === buyer.userId)?.email ?? buyer.email;
      if (!to) continue;
      const message = contractEmail({ to, platformName: auth.platform.name, contract, buyerUserId: buyer.userId, url: auth.platform.url });
      await enqueue(tx, "send-email", message, { maxAttempts: 10 });
    }
    return recorded(tx, auth, "contract.sent", contract);
  });
}
