import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Role } from "../../src/generated/prisma/enums.js";
import { ROLES } from "../../src/lib/roles.js";
import { COLLABORATOR_ROUTES } from "../../src/modules/collaborators/index.js";
import { createTestContext } from "../helpers/app.js";
import { loadRouteModels, type RouteModel } from "../helpers/route-model.js";

/**
 * The authorization table (docs/authorization.md, "Who may call what") against the routes the app serves: every
 * route has its row, every row is a route, and no row lets in a caller the route's declared access
 * refuses before any code of the route runs. What the routes then decide for themselves (a party to
 * a contract, a rank below the caller's, a buyer's consent) is tested by the security suite's
 * attacks (test/security/trust-*.test.ts).
 */

const t = await createTestContext();
const { routes } = await loadRouteModels(t.app);
afterAll(() => t.close());

const TABLE_FILE = path.resolve(import.meta.dirname, "../../docs/authorization.md");
const HEADING = "## Who may call what";
const PARTIES = ["self", "buyer", "seller", "creator", "subscriber"] as const;

async function tableRows(): Promise<Map<string, string>> {
  const text = await fs.readFile(TABLE_FILE, "utf8");
  const start = text.indexOf(HEADING);
  if (start < 0) throw new Error(`docs/authorization.md has no "${HEADING}" section`);
  const rows = new Map<string, string>();
  for (const line of text.slice(start).split("\n").slice(1)) {
    if (line.startsWith("#")) break;
    const match = /^\| `([A-Z]+ [^`]+)` \| ([^|]+) \|/.exec(line);
    if (!match) continue;
    if (rows.has(match[1]!)) throw new Error(`docs/authorization.md lists ${match[1]} twice`);
    rows.set(match[1]!, match[2]!.trim());
  }
  return rows;
}

const words = (who: string) => new Set(who.toLowerCase().match(/[a-z]+/g) ?? []);

/** What a row may not say, given the access the route declares. */
function contradictions(route: RouteModel, who: string): string[] {
  const said = words(who);
  const problems: string[] = [];
  // The rows a collaborator may call say so, and only those.
  if (said.has("collaborator") !== Boolean(COLLABORATOR_ROUTES[route.id])) {
    problems.push(COLLABORATOR_ROUTES[route.id] ? "a collaborator may call it: its row must say collaborator" : "its row says collaborator, but a collaborator is refused it");
  }
  if (route.auth === "public") {
    if (!said.has("anyone")) problems.push("the route is public: its row must say who (anyone, or anyone holding …)");
    return problems;
  }
  if (said.has("anyone")) problems.push("the route needs credentials, but its row says anyone");
  if (route.auth.user) {
    if (!said.has("self")) problems.push("the route acts for the signed-in user: its row must say self");
    if (said.has("key")) problems.push("the route needs a user token: a key alone is refused");
    return problems;
  }
  if (!said.has("key")) problems.push("the key answers for its platform as owner: its row must say key");
  const required: Role = route.auth.role ?? "member";
  for (const role of ROLES) {
    // A collaborator reads the routes it is given, whatever their role (src/modules/collaborators/access.ts).
    if (role === "collaborator" && COLLABORATOR_ROUTES[route.id]) continue;
    if (said.has(role) && ROLES.indexOf(role) < ROLES.indexOf(required)) problems.push(`the route needs ${required}, but its row lets in ${role}`);
  }
  if (required !== "member") {
    for (const party of PARTIES) if (said.has(party)) problems.push(`the route needs ${required}, but its row lets in a ${party}`);
  }
  return problems;
}

describe("the authorization table (docs/authorization.md)", () => {
  it("has a row for every route the app serves", async () => {
    const rows = await tableRows();
    const missing = routes.map((r) => r.id).filter((id) => !rows.has(id));
    expect(missing, "routes missing from docs/authorization.md → Who may call what").toEqual([]);
  });

  it("has no row for a route that is gone", async () => {
    const rows = await tableRows();
    const served = new Set(routes.map((r) => r.id));
    expect(
      [...rows.keys()].filter((id) => !served.has(id)),
      "rows naming no route",
    ).toEqual([]);
  });

  it("lets in no caller the route's declared access refuses", async () => {
    const rows = await tableRows();
    const wrong = routes.flatMap((route) => {
      const who = rows.get(route.id);
      return who === undefined ? [] : contradictions(route, who).map((p) => `${route.id} (${who}): ${p}`);
    });
    expect(wrong).toEqual([]);
  });

  it("the check itself refuses a row that contradicts its route", () => {
    const adminRoute = routes.find((r) => r.id === "GET /v1/users")!;
    expect(contradictions(adminRoute, "key, member")).not.toEqual([]);
    expect(contradictions(adminRoute, "key, admin")).toEqual([]);
    const selfRoute = routes.find((r) => r.id === "GET /v1/users/auth")!;
    expect(contradictions(selfRoute, "key")).not.toEqual([]);
  });
});
