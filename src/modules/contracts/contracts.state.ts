import type { Prisma } from "../../db/client.js";
import { FeeRuleError, rebalanceContract, type ContractFigures, type FeeType as DomainFeeType } from "../../domain/fees/index.js";
import type { ContractBuyer } from "../../generated/prisma/client.js";
import type { FeeType } from "../../generated/prisma/enums.js";
import { AppError, ConflictError, NotFoundError, PermissionError, UnprocessableError } from "../../lib/errors.js";
import { newId } from "../../lib/ids.js";
import { roleAtLeast } from "../../lib/roles.js";
import type { AuthContext } from "../../plugins/auth.js";
import type { Tenant } from "./contracts.view.js";
import type { Tx } from "../../db/tenant.js";

/**
 * What every contract operation shares: the row lock, the contract's state, who may do what, and
 * the rebalancing that every change ends with (DESIGN.md §6).
 */

/** Fee rates that do not depend on the platform (config: STRIPE_FEE_*, CANDLE_FEE_PERCENT). */
export interface BaseRates {
  stripePercentBps: number;
  stripeFixedCents: number;
  candleBps: number;
}

export const stateInclude = {
  items: { orderBy: [{ created: "asc" }, { id: "asc" }] },
  buyers: { orderBy: [{ position: "asc" }, { id: "asc" }] },
  sellers: { orderBy: [{ position: "asc" }, { id: "asc" }] },
  fees: { orderBy: [{ created: "asc" }, { id: "asc" }] },
} satisfies Prisma.ContractInclude;

export type ContractState = Prisma.ContractGetPayload<{ include: typeof stateInclude }>;

export const DB_FEE_TYPE: Readonly<Record<DomainFeeType, FeeType>> = {
  "stripe:cc": "stripe_cc",
  "candle:base": "candle_base",
  "platform:base": "platform_base",
  custom: "custom",
};

export const API_FEE_TYPE: Readonly<Record<FeeType, string>> = {
  stripe_cc: "stripe:cc",
  stripe_us_bank_account: "stripe:us_bank_account",
  candle_base: "candle:base",
  platform_base: "platform:base",
  custom: "custom",
};

/** The computed fee rows: one each, recomputed on every change. */
const COMPUTED_FEES = ["stripe_cc", "candle_base", "platform_base"] as const satisfies readonly FeeType[];

/**
 * Locks the contract's row for the rest of the transaction — every change to a contract, its
 * settlement steps and its webhooks take turns on it — and reads its state. 404 for another
 * platform's (or mode's) contract.
 */
export async function lockContract(tx: Tx, tenant: Tenant, id: string): Promise<ContractState> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM contracts WHERE id = ${id} AND platform_id = ${tenant.platformId} AND mode = ${tenant.mode}::"Mode" FOR UPDATE`;
  if (rows.length === 0) throw new NotFoundError("contract", id, "id");
  return loadState(tx, id);
}

export function loadState(tx: Tx, id: string): Promise<ContractState> {
  return tx.contract.findUniqueOrThrow({ where: { id }, include: stateInclude });
}

// ── access (DESIGN.md §4, notes/contracts-spec.md) ─────────────────────────────────────────────

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
    `Only the contract's creator (once it is sent, a creator who is also a buyer or seller), an editor or the platform key can change ${c.id}.`,
    "not_contract_creator",
  );
}

/** Sending emails the buyers a bill: a member sends only a contract they created and are a buyer or seller of. */
export function assertMaySend(auth: AuthContext, c: Parties & { id: string; status: string }): void {
  assertManageable(auth, c);
  if (isEditor(auth) || isBuyerOrSeller(auth.user!.id, c)) return;
  throw new PermissionError(`Only a buyer or seller of ${c.id}, an editor or the platform key can send it.`, "not_contract_party");
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
    `Only a buyer or seller of ${c.id}, an editor or the platform key can change its money: add yourself as a buyer or seller first.`,
    "not_contract_party",
  );
}

/**
 * Settling charges the buyers: a buyer or seller of the contract, an editor, or the key — and
 * whom it may charge is `assertConsent`'s.
 */
export function assertMaySettle(auth: AuthContext, c: Parties & { id: string }): void {
  assertReadable(auth, c);
  if (isEditor(auth) || (auth.user !== null && isBuyerOrSeller(auth.user.id, c))) return;
  throw new PermissionError(`Only a buyer or seller of ${c.id}, an editor or the platform key can settle it.`, "not_contract_party");
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

/** Every change to a contract's money (items, parties, amounts, fees, inclusion, currency) voids its buyers' acceptances. */
export async function voidAcceptances(tx: Tx, contractId: string): Promise<void> {
  await tx.contractBuyer.updateMany({ where: { contractId, accepted: { not: null } }, data: { accepted: null, acceptedAmount: null, acceptedCurrency: null } });
}

export const amountPaid = (c: Pick<ContractState, "buyers">) => c.buyers.reduce((sum, b) => sum + b.amountPaid, 0);

/** Items, parties, fees and figures change only while nothing is paid and no settlement is under way. */
export function isUnlocked(c: Pick<ContractState, "status" | "buyers">): boolean {
  return (c.status === "draft" || c.status === "open") && amountPaid(c) === 0;
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
          : "a buyer has paid";
  throw new ConflictError("contract_locked", `${c.id} cannot change: ${why}. Items, parties and fees change only while nothing is paid.`, "id");
}

// ── rebalancing ─────────────────────────────────────────────────────────────────────────────────

/** The 422 for figures that cannot add up, with the gap in cents. */
export function feeRuleError(err: FeeRuleError): UnprocessableError {
  const param = err.party === "buyers" ? "dueAmount" : err.party === "sellers" ? "owedAmount" : undefined;
  return new UnprocessableError(err.code, err.message, param, { gap_cents: err.gapCents });
}

/** The largest contract total PostgreSQL's integer columns hold. */
export const MAX_CONTRACT_TOTAL = 2_147_483_647;

/** What the figures are computed from: a stored contract's state, or one being built. */
export interface FigureInput {
  items: readonly { userId: string; total: number }[];
  fees: readonly { id: string; type: FeeType; amount: number; payer: "buyers" | "sellers" }[];
  buyers: readonly { userId: string; pinned: boolean; amountDue: number }[];
  sellers: readonly { userId: string; pinned: boolean; amountOwed: number }[];
  includeStripeFees: boolean;
  includeCandleFees: boolean;
  includePlatformFees: boolean;
}

/** Every figure of the contract, from its state as it is now (throws the 422 of impossible pins). */
export function computeFigures(c: FigureInput, rates: BaseRates, platformBps: number): ContractFigures {
  let figures: ContractFigures;
  try {
    figures = rebalanceContract({
      items: c.items.map((item) => ({ sellerUserId: item.userId, total: item.total })),
      customFees: c.fees.filter((fee) => fee.type === "custom").map((fee) => ({ id: fee.id, amount: fee.amount, payer: fee.payer })),
      buyers: c.buyers.map((b) => ({ userId: b.userId, pinnedAmountDue: b.pinned ? b.amountDue : null })),
      sellers: c.sellers.map((s) => ({ userId: s.userId, pinnedAmountOwed: s.pinned ? s.amountOwed : null })),
      rates: { ...rates, platformBps },
      include: { stripe: c.includeStripeFees, candle: c.includeCandleFees, platform: c.includePlatformFees },
    });
  } catch (err) {
    if (err instanceof FeeRuleError) throw feeRuleError(err);
    throw err;
  }
  if (figures.total > MAX_CONTRACT_TOTAL) {
    throw new UnprocessableError("amount_too_large", `The contract would total ${figures.total}¢; a contract totals at most ${MAX_CONTRACT_TOTAL}¢.`);
  }
  return figures;
}

/**
 * Recomputes the contract's figures with `rebalanceContract` and stores them: subTotal, total, each
 * buyer's and seller's base and current amounts, and the computed fee rows — one stable row per
 * type, updated in place, deleted when it falls to 0. Writes only what changed.
 */
export async function rebalanceAndStore(tx: Tx, c: ContractState, rates: BaseRates): Promise<void> {
  const platform = await tx.platform.findUniqueOrThrow({ where: { id: c.platformId }, select: { platformFeeBps: true } });
  const figures = computeFigures(c, rates, platform.platformFeeBps);

  if (figures.subTotal !== c.subTotal || figures.total !== c.total) {
    await tx.contract.update({ where: { id: c.id }, data: { subTotal: figures.subTotal, total: figures.total } });
  }
  for (const [i, b] of c.buyers.entries()) {
    const f = figures.buyers[i]!;
    if (f.baseAmountDue !== b.baseAmountDue || f.amountDue !== b.amountDue) {
      await tx.contractBuyer.update({ where: { id: b.id }, data: { baseAmountDue: f.baseAmountDue, amountDue: f.amountDue } });
    }
  }
  for (const [i, s] of c.sellers.entries()) {
    const f = figures.sellers[i]!;
    if (f.baseAmountOwed !== s.baseAmountOwed || f.amountOwed !== s.amountOwed) {
      await tx.contractSeller.update({ where: { id: s.id }, data: { baseAmountOwed: f.baseAmountOwed, amountOwed: f.amountOwed } });
    }
  }
  const bearer = { stripe_cc: c.includeStripeFees, candle_base: c.includeCandleFees, platform_base: c.includePlatformFees } as const;
  for (const type of COMPUTED_FEES) {
    const amount = figures.fees.find((fee) => DB_FEE_TYPE[fee.type] === type)?.amount ?? 0;
    const payer = bearer[type] ? ("buyers" as const) : ("sellers" as const);
    const [row, ...extra] = c.fees.filter((fee) => fee.type === type);
    if (extra.length > 0) await tx.contractFee.deleteMany({ where: { id: { in: extra.map((fee) => fee.id) } } });
    if (amount === 0) {
      if (row) await tx.contractFee.delete({ where: { id: row.id } });
    } else if (!row) {
      await tx.contractFee.create({ data: { id: newId("fee"), platformId: c.platformId, mode: c.mode, contractId: c.id, type, amount, payer } });
    } else if (row.amount !== amount || row.payer !== payer) {
      await tx.contractFee.update({ where: { id: row.id }, data: { amount, payer } });
    }
  }
}
