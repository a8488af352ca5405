/**
 * What one line of a contract (or a cart) comes to: its units at their price, plus each add-on
 * chosen on it — taken once per unit, at the add-on's price. The fee rules then see only the line's
 * total, so add-ons are priced, feed, split between buyers and paid to the line's seller as the rest
 * of the line is, and every figure still adds up. All integers (cents).
 */

export interface LineAddOn {
  id: string;
  price: number;
}

export interface PricedAddOn {
  id: string;
  price: number;
  quantity: number;
  total: number;
}

export interface LineTotal {
  /** quantity × unit price. */
  base: number;
  addOns: PricedAddOn[];
  /** base plus every add-on's total. */
  total: number;
}

export function lineTotal(unitPrice: number, quantity: number, addOns: readonly LineAddOn[] = []): LineTotal {
  for (const [name, v] of [["unit price", unitPrice], ["quantity", quantity], ...addOns.map((a) => [`add-on ${a.id}'s price`, a.price] as const)] as const) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`${name} must be a non-negative integer, got ${v}`);
  }
  const priced = addOns.map((a) => ({ id: a.id, price: a.price, quantity, total: a.price * quantity }));
  const base = unitPrice * quantity;
  return { base, addOns: priced, total: priced.reduce((sum, a) => sum + a.total, base) };
}
