import { listProducts } from "./list-products.js";
import type { Scenario } from "./scenario.js";

/** Every scenario, in the order the table shows them. */
export const SCENARIOS: Scenario[] = [listProducts];

export function scenarioByName(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (!found) throw new Error(`unknown scenario ${name}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`);
  return found;
}
