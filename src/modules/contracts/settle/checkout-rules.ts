import type { Tx } from "../../../db/tenant.js";
import { ConflictError, NotFoundError, PermissionError, ValidationError } from "../../../lib/errors.js";
import type { AuthContext } from "../../../plugins/auth.js";
import type { ContractState } from "../contracts.repo.js";
import { actsForPlatform, assertReadable } from "../contracts.state.js";
import { gateBuyer } from "../operations/shared.js";
import type { SettleContext, Settler } from "./plan.js";

/**
 * The claim's rules for an on-session checkout (`POST /contracts/:id/checkout`): one buyer pays
 * their share with them present, so 3-D Secure can ask them to authenticate. Whose card it is
 * decides who may: the buyer themself, or the platform (key, owner, admin) — an editor or a seller
 * never starts a payment that hands out a buyer's client secret.
 */

export function assertMayCheckout(auth: AuthContext, c: ContractState, buyerUserId: string | null): asserts buyerUserId is string {
  assertReadable(auth, c);
  if (buyerUserId === null) throw new ValidationError("parameter_missing", "Name the buyer whose share to pay (`user_id`): a key is nobody's buyer.", "user_id");
  if (auth.user?.id !== buyerUserId && !actsForPlatform(auth)) {
    throw new PermissionError("not_contract_buyer", `Only the buyer ${buyerUserId}, the platform key, an owner or an admin can pay their share of ${c.id}.`);
  }
  if (!c.buyers.some((b) => b.userId === buyerUserId)) throw new NotFoundError("buyer", buyerUserId, "user_id");
}

/**
 * While a buyer authenticates a charge (`actionPaymentIntentId`), the contract waits for its
 * webhook: the job leaves it ("wait"), a settle is 409 `payment_requires_action`, and only that
 * buyer's own checkout goes on — it repeats the same attempt, so Stripe answers the same intent.
 * A checkout of a contract whose settlement is under way otherwise is 409 `settlement_in_progress`.
 */
export function awaitingAuthentication(c: ContractState, settler: Settler): "go" | "wait" {
  const awaiting = c.buyers.find((b) => b.actionPaymentIntentId !== null && b.amountPaid + b.amountAuthorized < b.amountDue);
  if (!awaiting) {
    if (settler.kind === "checkout" && c.status === "processing") {
      throw new ConflictError("settlement_in_progress", `${c.id} is being settled right now. Retry when that settlement is over.`, "id");
    }
    return "go";
  }
  if (settler.kind === "checkout" && settler.buyerUserId === awaiting.userId) return "go";
  if (settler.kind === "job" || settler.kind === "order") return "wait";
  throw new ConflictError(
    "payment_requires_action",
    `Buyer ${awaiting.userId} is authenticating their payment of ${c.id} (3-D Secure): it goes on when they complete or fail it.`,
    "buyers",
  );
}

/** The buyers a settlement charges: every one still owing, or a checkout's buyer alone. */
export function checkoutBuyers(c: ContractState, settler: Settler): ContractState["buyers"] {
  const owing = c.buyers.filter((b) => b.amountPaid < b.amountDue);
  if (settler.kind !== "checkout") return owing;
  const mine = owing.filter((b) => b.userId === settler.buyerUserId);
  if (mine.length === 0) throw new ConflictError("already_paid", `Buyer ${settler.buyerUserId} has paid their share of ${c.id}.`, "user_id");
  return mine;
}

/** The buyer paying consents by paying; the platform answers for its users. A buyer paying is buying: the subscription gate. */
export async function checkoutConsent(ctx: SettleContext, tx: Tx, settler: Extract<Settler, { kind: "checkout" }>, c: ContractState): Promise<void> {
  if (settler.auth.user?.id === settler.buyerUserId) await gateBuyer(ctx, tx, settler.auth, c);
}
