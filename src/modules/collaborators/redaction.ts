import type { PermissionFlag } from "./collaborators.schemas.js";

/**
 * What a collaborator's permissions hide, in one table for every answer it reads (docs/api/collaborators.md).
 * Objects are told apart by their id's documented prefix (src/lib/ids.ts) or, for the few without an id, by
 * their shape; each kind lists its fields and the flags a field needs (all of them) to be shown. Field names
 * that mean the same thing anywhere — gateway ids, addresses, tax, discounts, costs — are hidden wherever they
 * appear, so an object a later route adds is covered without an entry here.
 */
type Needs = readonly PermissionFlag[];
type Policy = Readonly<Record<string, Needs>>;

const PRICE: Needs = ["see_product_price"];
const COST: Needs = ["see_product_cost"];
const STATUS: Needs = ["see_order_status"];

const PRODUCT: Policy = {
  price: PRICE,
  effectivePrice: ["see_product_price", "see_product_discount"],
  seasonalPrices: ["see_product_price", "see_product_discount"],
  useSeasonalPrices: ["see_product_discount"],
  quantity: ["see_product_stock"],
  isAvailableInStock: ["see_product_stock"],
};

const BY_PREFIX: Readonly<Record<string, Policy>> = {
  prod: PRODUCT,
  sprice: { price: ["see_product_price", "see_product_discount"], startDate: ["see_product_discount"], endDate: ["see_product_discount"] },
  addon: { price: PRICE },
  inv: {
    subTotal: PRICE,
    total: PRICE,
    shippingTotal: PRICE,
    status: STATUS,
    orderStatus: STATUS,
    sent: STATUS,
    lastSent: STATUS,
    lastPaymentAttempt: STATUS,
    paid: STATUS,
    acceptBy: STATUS,
    fulfilled: STATUS,
    completed: STATUS,
    fundsHeld: STATUS,
    tracking: STATUS,
    fees: COST,
    includeCandleFees: COST,
    includePlatformFees: COST,
    includeStripeFees: ["see_product_cost", "see_order_payment_gateway"],
  },
  item: { price: PRICE, quantity: ["see_product_quantity"], total: ["see_product_price", "see_product_quantity"] },
  citem: { price: PRICE, unitPrice: PRICE, quantity: ["see_product_quantity"], total: ["see_product_price", "see_product_quantity"] },
  cart: { subTotal: PRICE, total: PRICE, shippingTotal: PRICE },
  buyer: {
    name: ["see_customer_name"],
    email: ["see_customer_email"],
    baseAmountDue: PRICE,
    amountDue: PRICE,
    acceptedAmount: PRICE,
    amountPaid: ["see_product_price", "see_order_status"],
    amountAuthorized: ["see_product_price", "see_order_status"],
    accepted: STATUS,
  },
  // The people on an order are all "customers" to a collaborator: sellers' details are hidden like buyers'.
  seller: {
    name: ["see_customer_name"],
    email: ["see_customer_email"],
    baseAmountOwed: COST,
    amountOwed: COST,
    amountReceived: ["see_product_cost", "see_order_status"],
  },
  fee: { amount: COST },
  ship: { amount: PRICE, price: PRICE },
  user: { name: ["see_customer_name"], email: ["see_customer_email"], pendingEmail: ["see_customer_email"] },
};

/** Objects without an id of their own. */
const BY_SHAPE: readonly [(o: Record<string, unknown>) => boolean, Policy][] = [
  // A product's prices (GET /products/:id/prices).
  [(o) => typeof o.product_id === "string" && "seasonalPrices" in o, PRODUCT],
  // An add-on bought with a contract item.
  [(o) => typeof o.add_on_id === "string", { price: PRICE, quantity: ["see_product_quantity"], total: ["see_product_price", "see_product_quantity"] }],
  // A list's aggregates: contract totals (`metadata=true`), and the price facet (the only `price` that is an array).
  [(o) => Array.isArray(o.data) && "meta" in o, { metadata: PRICE }],
  [(o) => Array.isArray(o.price), { price: PRICE }],
];

/** Hidden wherever they appear. */
const BY_NAME: readonly [RegExp, Needs][] = [
  [/^stripe|gateway|payment_?intent|payment_?method|client_?secret/i, ["see_order_payment_gateway"]],
  [/shipping_?address/i, ["see_order_shipping_address"]],
  [/billing_?address|^address$/i, ["see_order_billing_address"]],
  [/tax/i, ["see_product_tax"]],
  [/discount/i, ["see_product_discount"]],
  [/^cost$|cost_?price|unit_?cost/i, ["see_product_cost"]],
];

const PREFIX = /^([a-z]+)_[0-9a-f]{32}$/;

function policyOf(o: Record<string, unknown>): Policy | undefined {
  if (typeof o.id === "string") {
    const match = PREFIX.exec(o.id);
    if (match) return BY_PREFIX[match[1]!];
  }
  for (const [test, policy] of BY_SHAPE) if (test(o)) return policy;
  return undefined;
}

/**
 * `value` with what `permissions` hide removed, in place (it is a parsed answer of the collaborator's own).
 * The caller's own user object (`selfId`) keeps its name and email.
 */
export function redact(value: unknown, permissions: Readonly<Record<string, boolean>>, selfId: string | null): unknown {
  const shown = (needs: Needs) => needs.every((f) => permissions[f] === true);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      // A Stripe fee tells the gateway (card or bank) by its type alone.
      const kept = permissions.see_order_payment_gateway ? v : v.filter((e) => !(isObject(e) && typeof e.type === "string" && e.type.startsWith("stripe:")));
      for (let i = 0; i < kept.length; i++) kept[i] = walk(kept[i]);
      return kept;
    }
    if (!isObject(v)) return v;
    const policy = v.id === selfId && selfId !== null ? undefined : policyOf(v);
    for (const key of Object.keys(v)) {
      const needs = policy?.[key] ?? BY_NAME.find(([pattern]) => pattern.test(key))?.[1];
      if (needs && !shown(needs)) delete v[key];
      else v[key] = walk(v[key]);
    }
    return v;
  };
  return walk(value);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

/**
 * Query parameters that would tell a hidden field by sorting, filtering or counting on it: each matcher
 * names the flags it needs. A collaborator sending one without them gets 403 `collaborator_field_hidden`.
 */
export const HIDDEN_BY_QUERY: readonly [(name: string, value: string) => boolean, Needs][] = [
  [(n, v) => (n === "sort" && /price|total/.test(v)) || /price/.test(n) || (n === "facets" && /price/.test(v)) || (n === "metadata" && v === "true"), PRICE],
  [(n) => /status\]/.test(n) && !/adminStatus/.test(n), STATUS],
  [(n) => /stock|quantity/.test(n), ["see_product_stock"]],
  [(n) => /email/.test(n), ["see_customer_email"]],
];
