import { addToCart } from "./add-to-cart.js";
import { contractFromCart } from "./contract-from-cart.js";
import { listProducts } from "./list-products.js";
import { retrieveContract } from "./retrieve-contract.js";
import type { Scenario } from "./scenario.js";

/** Every scenario, in the order the table shows them. */
export const SCENARIOS: Scenario[] = [listProducts, retrieveContract, addToCart, contractFromCart];

export function scenarioByName(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  return found;
}
