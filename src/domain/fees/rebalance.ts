import { allocateLargestRemainder, assertCents } from "./allocate.js";
import { FeeRuleError, type FeeParty } from "./errors.js";
import { applyBps, grossUpForStripe, resolveRates, stripeActualFee, type FeeRates } from "./rates.js";

export interface ContractItemTotal {
  sellerUserId: string;
  /** `quantity × price`, in cents. */
  total: number;
}

export interface CustomFee {
  id?: string;
  amount: number;
  /** Buyers pay it on top of the items (it is part of `subTotal`); sellers have it deducted. */
  payer: FeeParty;
}

/**
 * A shipping line: the buyers pay it on top of the items (it is part of `subTotal`). At a seller's
 * rate (`sellerUserId`) it is paid to that seller with their items; at the platform's (null) the
 * platform keeps it, as the `shipping` fee row.
 */
export interface ShippingLine {
  sellerUserId: string | null;
  amount: number;
}

export interface BuyerParty {
  userId: string;
  /** Set when a client pinned this buyer's amount due; `null` reads as not pinned, as stored. */
  pinnedAmountDue?: number | null;
}

export interface SellerParty {
  userId: string;
  /** Set when a client pinned this seller's amount owed; `null` reads as not pinned, as stored. */
  pinnedAmountOwed?: number | null;
}

/** Per fee: `true` means the buyers pay it on top, `false` that it is deducted from the sellers. */
export interface FeeInclusion {
  stripe: boolean;
  candle: boolean;
  platform: boolean;
}

export interface ContractFeeInput {
  items: readonly ContractItemTotal[];
  customFees: readonly CustomFee[];
  /** Shipping lines (none when absent). */
  shipping?: readonly ShippingLine[];
  /** In party order (the order they were added): ties in a split go to earlier parties. */
  buyers: readonly BuyerParty[];
  /** In party order (the order they were added): ties in a split go to earlier parties. */
  sellers: readonly SellerParty[];
  rates: FeeRates;
  include: FeeInclusion;
}

export type FeeType = "stripe:cc" | "candle:base" | "platform:base" | "shipping" | "custom";

export interface FeeRow {
  type: FeeType;
  amount: number;
  customFeeId?: string;
}

export interface BuyerFigures {
  userId: string;
  baseAmountDue: number;
  amountDue: number;
}

export interface SellerFigures {
  userId: string;
  baseAmountOwed: number;
  amountOwed: number;
}

export interface ContractFigures {
  itemsTotal: number;
  shippingTotal: number;
  subTotal: number;
  total: number;
  fees: FeeRow[];
  buyers: BuyerFigures[];
  sellers: SellerFigures[];
}

/**
 * Every figure of a contract from its items, custom fees, parties, rates and fee inclusion.
 * Pure and all-integer; throws `FeeRuleError` when the figures cannot add up, and `RangeError` on
 * input that no caller should send (negative or fractional cents, unknown or duplicate parties).
 */
export function rebalanceContract(input: ContractFeeInput): ContractFigures {
  const rates = resolveRates(input.rates);
  const { include } = input;
  validateParties(input);

  const itemsTotal = sumCents(input.items.map((item) => item.total));
  const buyerCustomFees = sumCents(input.customFees.filter((fee) => fee.payer === "buyers").map((fee) => fee.amount));
  const shipping = input.shipping ?? [];
  const shippingTotal = sumCents(shipping.map((line) => line.amount));
  const platformShipping = sumCents(shipping.filter((line) => line.sellerUserId === null).map((line) => line.amount));
  const subTotal = sumCents([itemsTotal, buyerCustomFees, shippingTotal]);

  const candleFee = applyBps(subTotal, rates.candleBps);
  const platformFee = applyBps(subTotal, rates.platformBps);
  const coveredByBuyers = sumCents([subTotal, include.candle ? candleFee : 0, include.platform ? platformFee : 0]);

  // Grossed up, the Stripe row is everything charged above what the buyers cover, so any rounding
  // dust would stay with the fee and sellers get exact figures. (Because T is the smallest charge
  // that works and T − stripeActualFee(T) climbs one cent at a time, the row in fact always equals
  // Stripe's actual fee; the property tests check both.)
  const total = include.stripe ? grossUpForStripe(coveredByBuyers, rates) : coveredByBuyers;
  const stripeFee = include.stripe ? total - coveredByBuyers : stripeActualFee(total, rates);

  const fees: FeeRow[] = [];
  // A fee type applies when it costs something: a 0¢ Stripe, Candle or platform fee leaves no row.
  // Custom fees are the client's own objects, so each keeps its row whatever its amount.
  if (stripeFee > 0) fees.push({ type: "stripe:cc", amount: stripeFee });
  if (candleFee > 0) fees.push({ type: "candle:base", amount: candleFee });
  if (platformFee > 0) fees.push({ type: "platform:base", amount: platformFee });
  // What the platform's own shipping rates charged is the platform's, not the sellers'.
  if (platformShipping > 0) fees.push({ type: "shipping", amount: platformShipping });
  for (const fee of input.customFees) {
    const row: FeeRow = { type: "custom", amount: fee.amount };
    if (fee.id !== undefined) row.customFeeId = fee.id;
    fees.push(row);
  }

  const feesTotal = sumCents(fees.map((fee) => fee.amount));
  const net = total - feesTotal;
  if (net < 0) {
    throw new FeeRuleError("amount_too_small", -net, `The fees add up to ${feesTotal}¢ but the contract charges ${total}¢: the sellers would be ${-net}¢ short.`);
  }

  const buyerWeights = input.buyers.map(() => 1);
  const buyerBase = input.buyers.length === 0 ? [] : allocateLargestRemainder(total, buyerWeights);
  const buyerDue = splitAroundPins(
    total,
    input.buyers.map((buyer) => buyer.pinnedAmountDue ?? undefined),
    buyerWeights,
    "buyers",
  );

  const itemsBySeller = new Map<string, number>();
  for (const item of input.items) {
    itemsBySeller.set(item.sellerUserId, (itemsBySeller.get(item.sellerUserId) ?? 0) + item.total);
  }
  // A seller's own shipping is paid to them with their items: it weighs with them in the split.
  for (const line of shipping) {
    if (line.sellerUserId !== null) itemsBySeller.set(line.sellerUserId, (itemsBySeller.get(line.sellerUserId) ?? 0) + line.amount);
  }
  const sellerWeights = input.sellers.map((seller) => itemsBySeller.get(seller.userId) ?? 0);
  const sellerBase = input.sellers.length === 0 ? [] : allocateLargestRemainder(net, sellerWeights);
  const sellerOwed = splitAroundPins(
    net,
    input.sellers.map((seller) => seller.pinnedAmountOwed ?? undefined),
    sellerWeights,
    "sellers",
  );

  return {
    itemsTotal,
    shippingTotal,
    subTotal,
    total,
    fees,
    buyers: input.buyers.map((buyer, i) => ({ userId: buyer.userId, baseAmountDue: buyerBase[i]!, amountDue: buyerDue[i]! })),
    sellers: input.sellers.map((seller, i) => ({
      userId: seller.userId,
      baseAmountOwed: sellerBase[i]!,
      amountOwed: sellerOwed[i]!,
    })),
  };
}

/**
 * Keeps the pinned amounts and splits what is left over the unpinned parties by their weights.
 * Unpinned parties whose weights are all zero share evenly, so any unpinned party can take a
 * remainder: the pins fail only when they add up to too much, or when everyone is pinned and
 * they add up to too little.
 */
function splitAroundPins(amount: number, pins: readonly (number | undefined)[], weights: readonly number[], party: FeeParty): number[] {
  if (pins.length === 0) return [];
  const pinned = sumCents(pins.map((pin) => pin ?? 0));
  const what = party === "buyers" ? "the total is" : "the sellers' net (total less fees) is";
  const who = party === "buyers" ? "buyer" : "seller";
  if (pinned > amount) {
    const gap = pinned - amount;
    throw new FeeRuleError("pinned_amounts_exceed_total", gap, `Pinned ${who} amounts add up to ${pinned}¢ but ${what} ${amount}¢: ${gap}¢ too much.`, party);
  }

  const unpinned = pins.flatMap((pin, i) => (pin === undefined ? [i] : []));
  const rest = amount - pinned;
  if (unpinned.length === 0 && rest > 0) {
    throw new FeeRuleError(
      "pinned_amounts_below_total",
      rest,
      `Every ${who} is pinned and the pinned amounts add up to ${pinned}¢ but ${what} ${amount}¢: ${rest}¢ too little.`,
      party,
    );
  }

  const shares = allocateLargestRemainder(
    rest,
    unpinned.map((i) => weights[i]!),
  );
  const result = pins.map((pin) => pin ?? 0);
  unpinned.forEach((partyIndex, k) => {
    result[partyIndex] = shares[k]!;
  });
  return result;
}

function validateParties(input: ContractFeeInput): void {
  input.items.forEach((item, i) => assertCents(item.total, `items[${i}].total`));
  input.customFees.forEach((fee, i) => assertCents(fee.amount, `customFees[${i}].amount`));
  (input.shipping ?? []).forEach((line, i) => assertCents(line.amount, `shipping[${i}].amount`));
  input.buyers.forEach((buyer, i) => {
    if (buyer.pinnedAmountDue != null) assertCents(buyer.pinnedAmountDue, `buyers[${i}].pinnedAmountDue`);
  });
  input.sellers.forEach((seller, i) => {
    if (seller.pinnedAmountOwed != null) assertCents(seller.pinnedAmountOwed, `sellers[${i}].pinnedAmountOwed`);
  });
  assertUnique(
    input.buyers.map((buyer) => buyer.userId),
    "buyer",
  );
  assertUnique(
    input.sellers.map((seller) => seller.userId),
    "seller",
  );
  // An item whose seller is not a party would have its money paid to the other sellers; a contract
  // may lack sellers altogether while it is being drafted, though.
  if (input.sellers.length > 0) {
    const sellers = new Set(input.sellers.map((seller) => seller.userId));
    const stray = input.items.find((item) => !sellers.has(item.sellerUserId));
    if (stray) throw new RangeError(`Item seller ${stray.sellerUserId} is not one of the contract's sellers.`);
    const strayShipping = (input.shipping ?? []).find((line) => line.sellerUserId !== null && !sellers.has(line.sellerUserId));
    if (strayShipping) throw new RangeError(`Shipping seller ${strayShipping.sellerUserId} is not one of the contract's sellers.`);
  }
}

function assertUnique(userIds: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const userId of userIds) {
    if (seen.has(userId)) throw new RangeError(`User ${userId} is listed twice as a ${what}.`);
    seen.add(userId);
  }
}

/** Sums cents, refusing a sum past 2^53 rather than rounding it. */
function sumCents(amounts: readonly number[]): number {
  let sum = 0;
  for (const amount of amounts) sum += amount;
  if (!Number.isSafeInteger(sum)) throw new RangeError(`A sum of cents passed ${Number.MAX_SAFE_INTEGER}.`);
  return sum;
}
