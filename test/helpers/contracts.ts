import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { bearer, type TestContext, type TestPlatform } from "./app.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** The documented contract object's fields, plus mode, created, updated, cart_id and the order's fields — and nothing else. */
export const CONTRACT_FIELDS = [
  "id",
  "platform_id",
  "user_id",
  "items",
  "metafields",
  "notes",
  "sent",
  "lastSent",
  "due",
  "lastPaymentAttempt",
  "paid",
  "subTotal",
  "total",
  "currency",
  "status",
  "buyers",
  "sellers",
  "fees",
  "includeStripeFees",
  "includeCandleFees",
  "includePlatformFees",
  "mode",
  "created",
  "updated",
  "cart_id",
  "orderStatus",
  "acceptBy",
  "fulfilled",
  "completed",
  "tracking",
  "fundsHeld",
  "number",
  "shipping",
  "shippingTotal",
].sort();

const isCents = (value: unknown) => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * The fee invariants (docs/architecture.md, "Money and fees") on a contract as the API answers it: Σ buyers' amountDue = total;
 * Σ sellers' amountOwed + Σ fees = total; every amount a non-negative integer; with every fee
 * included, the sellers get exactly what the items are worth (subTotal, less custom fees). Plus the
 * bookkeeping around them: item totals, subTotal, one row per computed fee type.
 */
export function expectInvariants(c: Json): void {
  expect(Object.keys(c).sort()).toEqual(CONTRACT_FIELDS);
  const amounts = [
    c.subTotal,
    c.total,
    ...c.items.flatMap((i: Json) => [i.price, i.quantity, i.total]),
    ...c.buyers.flatMap((b: Json) => [b.baseAmountDue, b.amountDue, b.amountPaid]),
    ...c.sellers.flatMap((s: Json) => [s.baseAmountOwed, s.amountOwed, s.amountReceived]),
    ...c.fees.map((f: Json) => f.amount),
    ...c.shipping.map((l: Json) => l.amount),
    c.shippingTotal,
  ];
  for (const amount of amounts) expect(isCents(amount), `${amount} is not a non-negative integer`).toBe(true);
  // An item's total is its units and the add-ons bought with it, each once per unit.
  for (const item of c.items) {
    for (const a of item.add_ons) expect(a.total).toBe(a.price * item.quantity);
    expect(item.total).toBe(item.price * item.quantity + sum(item.add_ons.map((a: Json) => a.total)));
  }

  const itemsTotal = sum(c.items.map((i: Json) => i.total));
  const custom = c.fees.filter((f: Json) => f.type === "custom");
  const buyerCustom = sum(custom.filter((f: Json) => f.payer === "buyers").map((f: Json) => f.amount));
  const sellerCustom = sum(custom.filter((f: Json) => f.payer === "sellers").map((f: Json) => f.amount));
  // Shipping: the buyers pay every line; a seller's rate pays the seller, the platform's is its `shipping` fee.
  expect(Number.isSafeInteger(c.number) && c.number >= 1).toBe(true);
  const shippingTotal = sum(c.shipping.map((l: Json) => l.amount));
  const platformShipping = sum(c.shipping.filter((l: Json) => l.payee === "platform").map((l: Json) => l.amount));
  const sellerShipping = shippingTotal - platformShipping;
  expect(c.shippingTotal).toBe(shippingTotal);
  expect(sum(c.fees.filter((f: Json) => f.type === "shipping").map((f: Json) => f.amount))).toBe(platformShipping);
  expect(c.subTotal).toBe(itemsTotal + buyerCustom + shippingTotal);
  const computed = c.fees.filter((f: Json) => f.type !== "custom").map((f: Json) => f.type);
  expect(new Set(computed).size).toBe(computed.length);
  for (const f of c.fees.filter((f: Json) => f.type !== "custom")) expect(f.amount).toBeGreaterThan(0);

  if (c.buyers.length > 0) expect(sum(c.buyers.map((b: Json) => b.amountDue))).toBe(c.total);
  if (c.buyers.length > 0) expect(sum(c.buyers.map((b: Json) => b.baseAmountDue))).toBe(c.total);
  const fees = sum(c.fees.map((f: Json) => f.amount));
  if (c.sellers.length > 0) {
    expect(sum(c.sellers.map((s: Json) => s.amountOwed)) + fees).toBe(c.total);
    expect(sum(c.sellers.map((s: Json) => s.baseAmountOwed)) + fees).toBe(c.total);
    if (c.includeStripeFees && c.includeCandleFees && c.includePlatformFees) {
      expect(sum(c.sellers.map((s: Json) => s.amountOwed))).toBe(itemsTotal - sellerCustom + sellerShipping);
      if (custom.length === 0 && platformShipping === 0) expect(sum(c.sellers.map((s: Json) => s.amountOwed))).toBe(c.subTotal);
    }
  }
  for (const fee of c.fees) expect(fee.payer).toBe(fee.type === "custom" ? fee.payer : fee.type === "shipping" || includedFor(c, fee.type) ? "buyers" : "sellers");
  for (const b of c.buyers) expect(b.amountPaid === 0 || b.amountPaid === b.amountDue).toBe(true);
  // A written-off contract pays its sellers their share of what was paid (docs/api/contracts.md, Orders).
  for (const s of c.sellers) expect(s.amountReceived === 0 || s.amountReceived === s.amountOwed || c.status === "uncollectible").toBe(true);
}

function includedFor(c: Json, type: string): boolean {
  return type.startsWith("stripe:") ? c.includeStripeFees : type === "candle:base" ? c.includeCandleFees : c.includePlatformFees;
}

/** A successful answer carrying a contract whose invariants hold; the contract. */
export function okContract(res: LightMyRequestResponse, status = 200): Json {
  expect(res.statusCode, res.body).toBe(status);
  const c = res.json() as Json;
  expectInvariants(c);
  return c;
}

/** An error answer with this status and code; its error object. */
export function failed(res: LightMyRequestResponse, status: number, code?: string): Json {
  expect(res.statusCode, res.body).toBe(status);
  const error = (res.json() as Json).error;
  if (code) expect(error.code).toBe(code);
  return error;
}

/** Saves a test card (the first becomes the default) for a user, through the API. */
export async function addCard(t: TestContext, platform: TestPlatform, userId: string, paymentMethod = "pm_card_visa"): Promise<void> {
  const res = await t.request({ method: "POST", url: `/v1/users/${userId}/payment_methods`, headers: bearer(platform.apiKey), payload: { payment_method: paymentMethod } });
  expect(res.statusCode, res.body).toBe(200);
}

/** Makes the user's default payment method this one (attaching it first). */
export async function useCard(t: TestContext, platform: TestPlatform, userId: string, paymentMethod: string): Promise<void> {
  await addCard(t, platform, userId, paymentMethod);
  const methods = (await t.request({ method: "GET", url: `/v1/users/${userId}/payment_methods`, headers: bearer(platform.apiKey) })).json().paymentMethods as Json[];
  const latest = methods.at(-1)!;
  const res = await t.request({ method: "PUT", url: `/v1/users/${userId}/payment_methods/${latest.id}/default`, headers: bearer(platform.apiKey) });
  expect(res.statusCode, res.body).toBe(200);
}

/** Onboards a seller to Connect through the API and the offline onboarding page. */
export async function onboardSeller(t: TestContext, platform: TestPlatform, userId: string): Promise<string> {
  const created = await t.request({
    method: "POST",
    url: `/v1/users/${userId}/bank_account`,
    headers: bearer(platform.apiKey),
    payload: { return_url: "https://shop.test/payouts" },
  });
  expect(created.statusCode, created.body).toBe(200);
  const link = new URL(created.json().url as string);
  expect((await t.request({ method: "GET", url: `${link.pathname}${link.search}` })).statusCode).toBe(302);
  const account = await t.request({ method: "GET", url: `/v1/users/${userId}/bank_account`, headers: bearer(platform.apiKey) });
  expect(account.json().chargesEnabled).toBe(true);
  return created.json().stripeConnectId as string;
}

/** What the simulator holds for a settlement: PaymentIntents (successful or not) and transfers. */
export async function simulatorCounts(t: TestContext, contractId: string) {
  const intents = await t.db.simPaymentIntent.findMany({ where: { transferGroup: contractId } });
  const transfers = await t.db.simTransfer.findMany({ where: { transferGroup: contractId } });
  return {
    succeeded: intents.filter((i) => i.chargeSucceeded),
    declined: intents.filter((i) => !i.chargeSucceeded),
    transfers,
  };
}
