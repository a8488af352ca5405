import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { COLLABORATOR_ROUTES, PERMISSION_FLAGS } from "../../src/modules/collaborators/index.js";
import { bearer, createTestContext, openSession } from "../helpers/app.js";
import { createWorld, type PlatformWorld } from "../helpers/fixtures.js";
import { loadRouteModels } from "../helpers/route-model.js";
import { buildRequest, queryString } from "../helpers/route-requests.js";

/**
 * A collaborator against every route the app serves (read from its route catalog, so a route added
 * later is swept as soon as it exists): every route it is not given — every write but signing out —
 * is 403 `collaborator_read_only` before anything runs; every route it is given answers, with all its
 * view permissions false, nothing they hide: none of the fields they name, anywhere in the answer,
 * and not the buyer's name or email. docs/api/collaborators.md.
 */

const t = await createTestContext();
const { routes } = await loadRouteModels(t.app);
let world: PlatformWorld;
let headers: Record<string, string>;
const BUYER_NAME = "Quentin Hiddenbuyer";

/** Fields that all-false permissions hide wherever the objects they belong to appear (src/modules/collaborators/redaction.ts). */
const HIDDEN_FIELDS = new Set([
  "price",
  "effectivePrice",
  "seasonalPrices",
  "useSeasonalPrices",
  "quantity",
  "isAvailableInStock",
  "subTotal",
  "total",
  "shippingTotal",
  "status",
  "orderStatus",
  "paid",
  "sent",
  "fundsHeld",
  "tracking",
  "baseAmountDue",
  "amountDue",
  "amountPaid",
  "amountAuthorized",
  "acceptedAmount",
  "baseAmountOwed",
  "amountOwed",
  "amountReceived",
  "fees",
  "includeStripeFees",
  "includeCandleFees",
  "includePlatformFees",
  "address",
]);
const HIDDEN_NAMES = /^stripe|tax|discount|shipping_?address|billing_?address/i;

/** The hidden fields an answer still holds, with where. */
function leaks(value: unknown, at = "$"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaks(v, `${at}[${i}]`));
  if (typeof value !== "object" || value === null) return [];
  const found: string[] = [];
  for (const [k, v] of Object.entries(value)) {
    // A list's paging (`meta.total`) is not a contract's total.
    if (at === "$" && k === "meta") continue;
    if (HIDDEN_FIELDS.has(k) || HIDDEN_NAMES.test(k)) found.push(`${at}.${k}`);
    found.push(...leaks(v, `${at}.${k}`));
  }
  return found;
}

beforeAll(async () => {
  world = await createWorld(t, { name: "Collaborator sweep" });
  const key = bearer(world.platform.apiKey);
  const named = await t.request({ method: "PUT", url: `/v1/users/${world.users.member.id}`, headers: key, payload: { name: BUYER_NAME } });
  expect(named.statusCode, named.body).toBe(200);
  // The contract (the member buys), a product with stock, and every other object a read names.
  await world.id("contract");
  await world.id("seasonalPrice");
  await t.request({ method: "PUT", url: `/v1/products/${await world.id("product")}`, headers: key, payload: { quantity: 12 } });
  const created = await t.request({
    method: "POST",
    url: "/v1/collaborators",
    headers: key,
    payload: { first_name: "Sweep", last_name: "Er", account_name: "Sweeper", email: "sweeper@example.com", ...Object.fromEntries(PERMISSION_FLAGS.map((f) => [f, false])) },
  });
  expect(created.statusCode, created.body).toBe(201);
  const { user_id } = created.json();
  const sessionId = await openSession(t.db, { id: user_id, platformId: world.platform.id, mode: world.platform.mode });
  headers = bearer(t.app.services.tokens.signAccess({ userId: user_id, platformId: world.platform.id, mode: world.platform.mode, role: "collaborator", sessionId }).token);
});
afterAll(() => t.close());

describe("a collaborator with every view permission false", () => {
  it("lists only routes the app serves, all reads but signing out", () => {
    const served = new Set(routes.map((r) => r.id));
    expect(Object.keys(COLLABORATOR_ROUTES).filter((id) => !served.has(id))).toEqual([]);
    expect(Object.keys(COLLABORATOR_ROUTES).filter((id) => !id.startsWith("GET "))).toEqual(["POST /v1/auth/session/revoke"]);
  });

  for (const route of routes.filter((r) => r.auth !== "public")) {
    if (COLLABORATOR_ROUTES[route.id]) {
      if (route.method !== "GET") continue;
      it(`${route.id} answers without a hidden field`, async () => {
        const req = await buildRequest(route, world);
        const res = await t.request({ method: "GET", url: req.url + queryString(req.query), headers });
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.statusCode !== 200) return;
        expect(leaks(res.json()), res.body).toEqual([]);
        expect(res.body).not.toContain(BUYER_NAME);
        for (const user of Object.values(world.users)) expect(res.body).not.toContain(user.email);
      });
    } else {
      it(`${route.id} is refused as read-only before anything runs`, async () => {
        // Refused before the path's objects are looked up: any id will do.
        const url = route.url.replace(/:[A-Za-z_]+/g, "x");
        const res = await t.request({
          method: route.method as "GET",
          url,
          headers: { ...headers, "content-type": "application/json" },
          payload: route.method === "GET" ? undefined : "{}",
        });
        expect(res.statusCode, res.body).toBe(403);
        expect(res.json().error.code).toBe("collaborator_read_only");
      });
    }
  }

  it("reads the contracts it is given: the order is there, without what it may not see", async () => {
    const contractId = await world.id("contract");
    const res = await t.request({ method: "GET", url: `/v1/contracts/${contractId}`, headers });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ id: contractId, buyers: [{ user_id: world.users.member.id }], items: [{ description: expect.any(String) }] });
  });
});
