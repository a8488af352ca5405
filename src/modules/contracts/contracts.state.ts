import type { ContractBuyer } from "../../generated/prisma/client.js";
import { AppError, ConflictError, NotFoundError, PermissionError } from "../../lib/errors.js";
import { roleAtLeast } from "../../lib/roles.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { ContractState } from "./contracts.repo.js";

/**
 * The rules every contract operation shares, free of I/O: who may do what, whose consent a charge
 * needs, and when a contract may change. Its rows (the lock, the state, the rebalanced figures) are
 * contracts.repo.ts's.
 */

// ── access (docs/authorization.md) ──────────────────────────────────────────────────────────────

export const isEditor = (auth: AuthContext) => roleAtLeast(auth.role, "editor");

interface Parties {
  userId: string | null;
  buyers: readonly { userId: string }[];
  sellers: readonly { userId: string }[];
}

export function isParty(userId: string, c: Parties): boolean {
  return c.userId === userId || c.buyers.some((b) => b.userId === userId) || c.sellers.some((s) => s.userId === userId);
}

/** Editors and the key read every contract; a member reads those they created or are a party to. */
export function mayRead(auth: AuthContext, c: Parties): boolean {
  return isEditor(auth) || (auth.user !== null && isParty(auth.user.id, c));
}

/** A contract the caller may not even read is a 404, as if it were not there. */
export function assertReadable(auth: AuthContext, c: Parties & { id: string }): void {
  if (!mayRead(auth, c)) throw new NotFoundError("contract", c.id, "id");
}

/** A buyer or seller of the contract (its creator alone is not). */
export function isBuyerOrSeller(userId: string, c: Parties): boolean {
  return c.buyers.some((b) => b.userId === userId) || c.sellers.some((s) => s.userId === userId);
}

/**
 * Editors and the key manage every contract; a member, those they created — while it is a draft
 * (so it can be put together in any order), and once it was sent only if they are also one of its
 * buyers or sellers: a member changes nobody else's deal.
 */
export function assertManageable(auth: AuthContext, c: Parties & { id: string; status: string }): void {
  assertReadable(auth, c);
  if (isEditor(auth)) return;
  if (auth.user !== null && c.userId === auth.user.id && (c.status === "draft" || isBuyerOrSeller(auth.user.id, c))) return;
  throw new PermissionError(
    "not_contract_creator",
    `Only the contract's creator (once it is sent, a creator who is also a buyer or seller), an editor or the platform key can change ${c.id}.`,
  );
}

/** Sending emails the buyers a bill: a member sends only a contract they created and are a buyer or seller of. */
export function assertMaySend(auth: AuthContext, c: Parties & { id: string; status: string }): void {
  assertManageable(auth, c);
  if (isEditor(auth) || isBuyerOrSeller(auth.user!.id, c)) return;
  throw new PermissionError("not_contract_party", `Only a buyer or seller of ${c.id}, an editor or the platform key can send it.`);
}

/**
 * A member shapes only a deal they are in: after any change of a contract's money (items, buyers,
 * sellers, amounts, fees, currency, fee inclusion) a member must be one of its buyers or sellers —
 * adding themself, or an item of their own product, in the same request counts. The creator of a
 * draft who is in neither list may still write its notes, or delete it. Editors and the key answer
 * for the platform.
 */
export function assertInDeal(auth: AuthContext, c: Parties & { id: string }): void {
  if (isEditor(auth) || (auth.user !== null && isBuyerOrSeller(auth.user.id, c))) return;
  throw new PermissionError(
    "not_contract_party",
    `Only a buyer or seller of ${c.id}, an editor or the platform key can change its money: add yourself as a buyer or seller first.`,
  );
}

/**
 * Settling charges the buyers: a buyer or seller of the contract, an editor, or the key — and
 * whom it may charge is `assertConsent`'s.
 */
export function assertMaySettle(auth: AuthContext, c: Parties & { id: string }): void {
  assertReadable(auth, c);
  if (isEditor(auth) || (auth.user !== null && isBuyerOrSeller(auth.user.id, c))) return;
  throw new PermissionError("not_contract_party", `Only a buyer or seller of ${c.id}, an editor or the platform key can settle it.`);
}

// ── consent to charges ──────────────────────────────────────────────────────────────────────────

/** The platform answers for its users' money: its key (which acts as owner), an owner or an admin. */
export const actsForPlatform = (auth: AuthContext) => roleAtLeast(auth.role, "admin");

/** A buyer's acceptance holds for exactly what they accepted: this amount, in this currency. */
export function hasAccepted(b: Pick<ContractBuyer, "accepted" | "acceptedAmount" | "acceptedCurrency" | "amountDue">, currency: string): boolean {
  return b.accepted !== null && b.acceptedAmount === b.amountDue && b.acceptedCurrency === currency;
}

/**
 * A user's card is charged only with their consent: the buyer settling themself, the buyer's
 * acceptance of exactly what they owe now, or the platform acting (key, owner, admin). An editor
 * manages contracts but does not answer for other people's money. 409 `buyer_consent_required`
 * naming every buyer still to accept, before anyone is charged.
 */
export function assertConsent(auth: AuthContext, c: Pick<ContractState, "id" | "currency" | "buyers">): void {
  if (actsForPlatform(auth)) return;
  const missing = c.buyers.filter((b) => b.amountPaid < b.amountDue && b.userId !== auth.user?.id && !hasAccepted(b, c.currency));
  if (missing.length === 0) return;
  const who = missing.map((b) => b.userId);
  throw new AppError(
    409,
    "invalid_request_error",
    "buyer_consent_required",
    `${c.id} would charge ${who.join(", ")} without their consent: each must accept the contract as it is now (POST /v1/contracts/${c.id}/accept) or settle it themself.`,
    { param: "buyers", extra: { buyers: who } },
  );
}

export const amountPaid = (c: Pick<ContractState, "buyers">) => c.buyers.reduce((sum, b) => sum + b.amountPaid, 0);

/** Items, parties, fees and figures change only while nothing is paid or authorised and no settlement is under way. */
export function isUnlocked(c: Pick<ContractState, "status" | "buyers">): boolean {
  return (c.status === "draft" || c.status === "open") && amountPaid(c) === 0 && c.buyers.every((b) => b.amountAuthorized === 0);
}

export function assertUnlocked(c: Pick<ContractState, "id" | "status" | "buyers">): void {
  if (isUnlocked(c)) return;
  const why =
    c.status === "paid"
      ? "it is paid"
      : c.status === "void" || c.status === "uncollectible"
        ? `it is ${c.status}`
        : c.status === "processing"
          ? "its settlement is under way"
          : c.status === "authorized" || amountPaid(c) === 0
            ? "a buyer's card is authorised for it"
            : "a buyer has paid";
  throw new ConflictError("contract_locked", `${c.id} cannot change: ${why}. Items, parties and fees change only while nothing is paid.`, "id");
}
