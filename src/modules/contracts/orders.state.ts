import { AppError, PermissionError } from "../../lib/errors.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { ContractState } from "./contracts.repo.js";
import { actsForPlatform, assertReadable } from "./contracts.state.js";

/**
 * The order's rules, free of I/O (docs/api/contracts.md, Orders): who takes each step, and the 409
 * of a step taken in the wrong state. The steps themselves are operations/fulfilment.ts's.
 */

type Order = Pick<ContractState, "id" | "status" | "orderStatus">;

/** 409 `order_state`, naming where the order is. */
export function orderStateError(c: Order, step: string, from: string): AppError {
  const where = c.orderStatus ? `${c.status}, order ${c.orderStatus}` : c.status;
  return new AppError(409, "invalid_request_error", "order_state", `${c.id} is ${where}: it can be ${step} only ${from}.`, {
    param: "id",
    extra: { status: c.status, orderStatus: c.orderStatus },
  });
}

type Parties = Pick<ContractState, "id" | "userId" | "buyers" | "sellers">;

/** A seller of the contract, or the platform (key, owner, admin): accept, decline, fulfil. Anyone else who may read it: 403; who may not: 404. */
export function assertSellerOrPlatform(auth: AuthContext, c: Parties, step: string): void {
  assertReadable(auth, c);
  if (actsForPlatform(auth) || (auth.user !== null && c.sellers.some((s) => s.userId === auth.user!.id))) return;
  throw new PermissionError("not_contract_seller", `Only a seller of ${c.id} or the platform (its key, an owner or an admin) can ${step} it.`);
}

/** A buyer of the contract, or the platform: complete. */
export function assertBuyerOrPlatform(auth: AuthContext, c: Parties, step: string): void {
  assertReadable(auth, c);
  if (actsForPlatform(auth) || (auth.user !== null && c.buyers.some((b) => b.userId === auth.user!.id))) return;
  throw new PermissionError("not_contract_buyer", `Only a buyer of ${c.id} or the platform (its key, an owner or an admin) can ${step} it.`);
}

/** The platform alone: writing a contract off, canceling a paid order. */
export function assertPlatform(auth: AuthContext, c: Parties, step: string): void {
  assertReadable(auth, c);
  if (actsForPlatform(auth)) return;
  throw new PermissionError("platform_only", `Only the platform (its key, an owner or an admin) can ${step} ${c.id}.`);
}
