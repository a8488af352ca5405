import { addToCart } from "./add-to-cart.js";
import { analyticsScenarios } from "./analytics.js";
import { contractFromCart } from "./contract-from-cart.js";
import { listProducts } from "./list-products.js";
import { retrieveContract } from "./retrieve-contract.js";
import { retrieveProduct } from "./retrieve-product.js";
import { search } from "./search.js";
import type { Scenario } from "./scenario.js";

/** Every scenario, in the order the table shows them. */
export const SCENARIOS: Scenario[] = [listProducts, retrieveProduct, search, retrieveContract, addToCart, contractFromCart, ...analyticsScenarios];

/** A scenario by name, or a group by prefix: `analytics` is every `analytics-…` scenario. */
export function scenariosByName(name: string): Scenario[] {
  const found = SCENARIOS.filter((s) => s.name === name);
  const group = found.length ? found : SCENARIOS.filter((s) => s.name.startsWith(`${name}-`));
  if (!group.length) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.map((s) => s.name).join(", ")} (or analytics for every analytics-… one)`);
  return group;
}
