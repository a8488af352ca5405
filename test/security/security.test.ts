import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../src/generated/prisma/enums.js";
import { ROLES } from "../../src/lib/roles.js";
import { COLLABORATOR_ROUTES } from "../../src/modules/collaborators/index.js";
import { SERVER_OWNED_FIELDS } from "../../src/plugins/error-handler.js";
import { bearer, createTestContext, TEST_JWT_SECRET } from "../helpers/app.js";
import { databaseDigest } from "../helpers/db-digest.js";
import { createWorld, OBJECT_KINDS, type ObjectKind, type PlatformWorld } from "../helpers/fixtures.js";
import { brokenTokens } from "../helpers/jwt.js";
import { bodyFields, isWrite, loadRouteModels, objectSchemaOf, type JsonSchema, type RouteModel } from "../helpers/route-model.js";
import {
  buildRequest,
  isOAuthError,
  NON_JSON_BODY_ROUTES,
  OAUTH_PROTOCOL_ROUTES,
  NOT_OBJECT_BODY_FIELDS,
  NOT_OBJECT_PARAMS,
  objectSlots,
  SAMPLE_BODIES,
  queryString,
  UNCOVERED_ROUTES,
  type BuiltRequest,
} from "../helpers/route-requests.js";
import { sampleOf } from "../helpers/schema-samples.js";

/**
 * The shared security suite (after Unkey's `runCommonRouteTests`): every route the app serves —
 * read from its route catalog and `/openapi.json`, so routes added later are covered as soon as
 * they exist — is checked for authentication, roles, tenant isolation (another platform's and the
 * other mode's objects are 404) and mass assignment (server-owned fields are refused, and nothing
 * changes). Where a route cannot fit a check, it is listed with its reason in
 * test/helpers/route-requests.ts, and the last block keeps those lists honest.
 */

// Fixtures include a webhook endpoint: its host name need not resolve (these machines have no DNS).
const t = await createTestContext({ WEBHOOKS_ALLOW_PRIVATE: "true" });
const { routes } = await loadRouteModels(t.app);

let A: PlatformWorld; // the other platform, whose objects B must never reach
let B: PlatformWorld; // the caller's platform (test mode)
let L: PlatformWorld; // a live platform, whose objects B's test key must never reach

beforeAll(async () => {
  A = await createWorld(t, { name: "Platform A" });
  B = await createWorld(t, { name: "Platform B" });
  L = await createWorld(t, { name: "Platform L", mode: "live" });
});
afterAll(() => t.close());

const isPublic = (route: RouteModel) => route.auth === "public";
const needsUser = (route: RouteModel) => typeof route.auth === "object" && route.auth.user === true;
const requiredRole = (route: RouteModel): Role | undefined => (typeof route.auth === "object" ? route.auth.role : undefined);

/** The credentials a legitimate caller of the route would send on `world`. */
function actingAs(route: RouteModel, world: PlatformWorld): Record<string, string> {
  return needsUser(route) ? bearer(world.users.member.token) : bearer(world.platform.apiKey);
}

function send(req: BuiltRequest, headers: Record<string, string>, body: unknown = req.body): Promise<LightMyRequestResponse> {
  const withBody = req.hasBody && body !== undefined;
  return t.request({
    method: req.method as "GET",
    url: req.url + queryString(req.query),
    headers: { ...headers, ...(withBody ? { "content-type": "application/json" } : {}) },
    payload: withBody ? JSON.stringify(body) : undefined,
  });
}

/** Every error is in the one envelope. */
function errorOf(res: LightMyRequestResponse): { type: string; code: string; message: string; param?: string; request_id: string } {
  const body = res.json() as { error: { type: string; code: string; message: string; param?: string; request_id: string } };
  expect(body.error, res.body).toMatchObject({ type: expect.any(String), code: expect.any(String), message: expect.any(String), request_id: expect.any(String) });
  return body.error;
}

function expectNoServerError(res: LightMyRequestResponse, what: string, route?: RouteModel): void {
  expect(res.statusCode, `${what}: ${res.body}`).toBeLessThan(500);
  if (res.statusCode < 400) return;
  // The OAuth server's endpoints answer in OAuth's error format (route-requests.ts).
  if (route && OAUTH_PROTOCOL_ROUTES[route.id]) expect(isOAuthError(res.statusCode, String(res.headers["content-type"]), res.body), `${what}: ${res.body}`).toBe(true);
  else errorOf(res);
}

describe("without credentials", () => {
  for (const route of routes) {
    it(`${route.id} ${isPublic(route) ? "is public and does not fail" : "is 401"}`, async () => {
      const req = await buildRequest(route, B);
      const res = await send(req, {});
      if (isPublic(route)) {
        expectNoServerError(res, route.id, route);
      } else {
        expect(res.statusCode, res.body).toBe(401);
        expect(errorOf(res)).toMatchObject({ type: "authentication_error", code: "credentials_missing" });
      }
    });
  }
});

describe("with broken credentials", () => {
  for (const route of routes) {
    it(`${route.id}: expired, tampered, wrongly signed, alg:none JWTs and unknown keys ${isPublic(route) ? "do not fail it" : "are 401"}`, async () => {
      const req = await buildRequest(route, B);
      const variants: Record<string, Record<string, string>> = {
        ...Object.fromEntries(Object.entries(brokenTokens(B.users.member.token, TEST_JWT_SECRET, B.users.owner.id)).map(([name, token]) => [`token ${name}`, bearer(token)])),
        "an unknown key": bearer(`cndl_test_${"x".repeat(40)}`),
        "a key in the wrong mode": { api_key: B.platform.apiKey, mode: "live" },
        "a malformed Authorization header": { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` },
      };
      for (const [name, headers] of Object.entries(variants)) {
        const res = await send(req, headers);
        if (isPublic(route)) {
          expectNoServerError(res, `${route.id} with ${name}`, route);
        } else {
          expect(res.statusCode, `${name}: ${res.body}`).toBe(401);
          expect(errorOf(res).type).toBe("authentication_error");
        }
      }
    });
  }
});

describe("roles", () => {
  for (const route of routes.filter((r) => requiredRole(r))) {
    const needed = requiredRole(route)!;
    const weaker = ROLES.slice(0, ROLES.indexOf(needed));
    it(`${route.id} needs ${needed}: ${weaker.join(", ")} tokens are 403`, async () => {
      const req = await buildRequest(route, B);
      for (const role of weaker) {
        // A collaborator reads the routes it is given with their rights (test/security/collaborators.test.ts); any other is refused as read-only.
        if (role === "collaborator" && COLLABORATOR_ROUTES[route.id]) continue;
        const res = await send(req, bearer(B.users[role].token));
        expect(res.statusCode, `${role}: ${res.body}`).toBe(403);
        expect(errorOf(res)).toMatchObject({ type: "permission_error", code: role === "collaborator" ? "collaborator_read_only" : "insufficient_role" });
      }
    });
  }
  for (const route of routes.filter(needsUser)) {
    it(`${route.id} acts for a signed-in user: a platform key alone is 401`, async () => {
      const req = await buildRequest(route, B);
      const res = await send(req, bearer(B.platform.apiKey));
      expect(res.statusCode, res.body).toBe(401);
      expect(errorOf(res).code).toBe("user_token_required");
    });
  }
});

describe("another platform's objects, and the other mode's, are 404", () => {
  for (const route of routes) {
    const slots = objectSlots(route);
    const missing = slots.filter((s) => "missingFixture" in s.kind);
    const unknown = slots.filter((s) => "unknown" in s.kind);
    const objects = slots.filter((s) => "kind" in s.kind) as { where: "path" | "body"; name: string; kind: { kind: ObjectKind } }[];

    if (unknown.length) {
      it(`${route.id}: every object it names has a known kind`, () => {
        expect.fail(
          `${unknown.map((s) => `${s.where} ${s.name}`).join(", ")}: map it to an object kind in test/helpers/route-requests.ts ` +
            `(or list it in NOT_OBJECT_PARAMS / NOT_OBJECT_BODY_FIELDS with the reason it is not an object id)`,
        );
      });
      continue;
    }
    if (missing.length) {
      it(`${route.id} is listed as uncovered: no fixture yet for ${missing.map((s) => (s.kind as { missingFixture: string }).missingFixture).join(", ")}`, () => {
        expect(UNCOVERED_ROUTES[route.id], `add "${route.id}" to UNCOVERED_ROUTES, or teach createWorld to make the object`).toBeDefined();
      });
      continue;
    }
    if (!objects.length) continue;

    it(`${route.id}: ${objects.map((s) => `${s.where === "body" ? "body " : ":"}${s.name}`).join(", ")} of another platform or the live mode → 404`, async () => {
      for (const slot of objects) {
        const foreign = [
          { label: "another platform", req: await buildRequest(route, B, { slot: { name: slot.name, id: await A.id(slot.kind.kind) } }) },
          { label: "the live platform", req: await buildRequest(route, B, { slot: { name: slot.name, id: await L.id(slot.kind.kind) } }) },
        ];
        // A 404 did nothing, on any platform (a write through an unscoped lookup would show here).
        const before = await databaseDigest(t.db);
        for (const { label, req } of foreign) {
          const res = await send(req, actingAs(route, B));
          expect(res.statusCode, `${slot.name} of ${label}: ${res.body}`).toBe(404);
          expect(errorOf(res).code).not.toBe("route_not_found");
        }
        expect(await databaseDigest(t.db), `${slot.name} of another platform changed data`).toEqual(before);
        // The same request with the caller's own object is not a 404: the check above is not vacuous.
        const own = await buildRequest(route, B, { slot: { name: slot.name, id: await B.id(slot.kind.kind) } });
        const res = await send(own, actingAs(route, B));
        expect(res.statusCode, `own ${slot.name}: ${res.body}`).not.toBe(404);
        expectNoServerError(res, `${route.id} on its own objects`);
        // A write may have used its objects up (deleted, emptied, converted): later routes get new ones.
        if (route.method !== "GET" && res.statusCode < 300) {
          for (const s of objects) if (s.where === "path") B.spend(s.kind.kind);
        }
      }
    });
  }
});

// ── mass assignment ─────────────────────────────────────────────────────────

/** What a client trying its luck would send for each server-owned field. */
function forgedValue(field: string): unknown {
  if (/^(chargesEnabled|detailsSubmitted|isAvailableInStock|archived)$/.test(field)) return true;
  if (/^(amount|subTotal|total|position|effectivePrice|baseAmount)/.test(field)) return 1;
  if (/^(admins|paymentMethods|variants)$/.test(field)) return [];
  if (field === "role") return "owner";
  if (field === "mode") return "live";
  if (field === "status") return "paid";
  if (/^(created|updated|sent|lastSent|paid|granted|lastUsed|revoked|authenticated|scheduledDeletion|lastPaymentAttempt)$/.test(field)) return "2020-01-01T00:00:00Z";
  return `forged_${field}`;
}

/** Server-owned fields, plus `role`, which only some routes accept. */
const FORBIDDEN = [...SERVER_OWNED_FIELDS, "role"];

function nonNull(schema: JsonSchema | undefined): JsonSchema | undefined {
  if (!schema) return undefined;
  const alts = schema.anyOf ?? schema.oneOf;
  return alts ? nonNull(alts.find((a) => a.type !== "null")) : schema;
}

/** Objects nested in a body (an object field, or a list of objects), where a forged field could hide. */
function nestedObjects(route: RouteModel): { path: string; field: string; schema: JsonSchema; wrap(inner: unknown): unknown }[] {
  const out: { path: string; field: string; schema: JsonSchema; wrap(inner: unknown): unknown }[] = [];
  for (const [field, raw] of Object.entries(objectSchemaOf(route.body)?.properties ?? {})) {
    const schema = nonNull(raw);
    if (schema?.type === "object" && schema.properties) out.push({ path: field, field, schema, wrap: (inner) => inner });
    const items = nonNull(schema?.items);
    if (schema?.type === "array" && items?.type === "object" && items.properties) out.push({ path: `${field}.0`, field, schema: items, wrap: (inner) => [inner] });
  }
  return out;
}

describe("mass assignment: server-owned fields are refused, naming them, and change nothing", () => {
  for (const route of routes.filter(isWrite)) {
    if (NON_JSON_BODY_ROUTES[route.id]) {
      it(`${route.id} takes no JSON body (${NON_JSON_BODY_ROUTES[route.id]})`, () => {
        expect(route.body, "it declares a JSON body: take it off NON_JSON_BODY_ROUTES").toBeUndefined();
      });
      continue;
    }
    it(`${route.id} declares its JSON body (noBody when it takes none), so no field is silently ignored`, () => {
      expect(objectSchemaOf(route.body), `declare \`body\` on ${route.id} (noBody if it takes none)`).toBeDefined();
    });
    if (!objectSchemaOf(route.body)) continue;

    const accepted = new Set(bodyFields(route));
    const refused = FORBIDDEN.filter((f) => !accepted.has(f));
    it(`${route.id}: ${refused.length} fields refused${[...accepted].some((f) => FORBIDDEN.includes(f)) ? ` (accepts ${[...accepted].filter((f) => FORBIDDEN.includes(f)).join(", ")})` : ""}`, async () => {
      await buildRequest(route, B); // its fixtures exist before the fingerprint is taken
      const before = await databaseDigest(t.db);
      for (const field of refused) {
        const req = await buildRequest(route, B, { bodyExtra: { [field]: forgedValue(field) } });
        const res = await send(req, actingAs(route, B));
        expect(res.statusCode, `${field}: ${res.body}`).toBe(400);
        const error = errorOf(res);
        expect(error.param, `${field}: ${res.body}`).toBe(field);
        expect(error.code).toBe(SERVER_OWNED_FIELDS.has(field) ? "parameter_not_writable" : "parameter_unknown");
      }
      for (const nested of nestedObjects(route)) {
        const inner = sampleOf(nested.schema) as Record<string, unknown>;
        const innerAccepted = new Set(Object.keys(nested.schema.properties ?? {}));
        for (const field of FORBIDDEN.filter((f) => !innerAccepted.has(f))) {
          const req = await buildRequest(route, B);
          const body = { ...(req.body as object), [nested.field]: nested.wrap({ ...inner, [field]: forgedValue(field) }) };
          const res = await send(req, actingAs(route, B), body);
          expect(res.statusCode, `${nested.path}.${field}: ${res.body}`).toBe(400);
          expect(errorOf(res).param).toBe(`${nested.path}.${field}`);
        }
      }
      expect(await databaseDigest(t.db)).toEqual(before);
    });
  }
});

// ── the suite covers every route, and its exceptions are current ───────────

describe("coverage of the suite", () => {
  it("reads every route the app serves, each with its OpenAPI operation unless hidden", () => {
    const catalog = new Set(t.app.routeCatalog.map((r) => `${r.method} ${r.url}`));
    expect(routes.map((r) => r.id).sort()).toEqual([...catalog].sort());
    for (const route of routes.filter((r) => !r.hidden)) expect(route.operationId, route.id).toBeTruthy();
    expect(routes.length).toBeGreaterThan(80);
  });

  it("every kind of object has a fixture on a test and a live platform", async () => {
    for (const world of [A, L]) {
      for (const kind of OBJECT_KINDS) expect(await world.id(kind), `${world.platform.mode} ${kind}`).toMatch(/^[a-z]+_[0-9a-f]{32}$/);
    }
  });

  it("lists only routes that exist and parameters they have", () => {
    const byId = new Map(routes.map((r) => [r.id, r]));
    for (const [id, params] of Object.entries(NOT_OBJECT_PARAMS)) {
      const route = byId.get(id);
      expect(route, `NOT_OBJECT_PARAMS names ${id}, which the app no longer serves`).toBeDefined();
      for (const param of Object.keys(params)) expect(route!.pathParams, `${id} has no :${param}`).toContain(param);
    }
    for (const [id, fields] of Object.entries(NOT_OBJECT_BODY_FIELDS)) {
      const route = byId.get(id);
      expect(route, `NOT_OBJECT_BODY_FIELDS names ${id}, which the app no longer serves`).toBeDefined();
      for (const field of Object.keys(fields)) expect(bodyFields(route!), `${id} has no body field ${field}`).toContain(field);
    }
    for (const id of Object.keys(NON_JSON_BODY_ROUTES)) expect(byId.get(id), `NON_JSON_BODY_ROUTES names ${id}, which the app no longer serves`).toBeDefined();
    for (const id of Object.keys(OAUTH_PROTOCOL_ROUTES)) expect(byId.get(id)?.auth, `OAUTH_PROTOCOL_ROUTES names ${id}, which the app no longer serves in public`).toBe("public");
    for (const id of Object.keys(SAMPLE_BODIES)) expect(byId.get(id)?.body, `SAMPLE_BODIES names ${id}, which the app no longer serves with a JSON body`).toBeDefined();
  });

  it("gives its own sample body only to routes that refuse the schema's smallest one", async () => {
    const byId = new Map(routes.map((r) => [r.id, r]));
    for (const id of Object.keys(SAMPLE_BODIES)) {
      const route = byId.get(id)!;
      const req = await buildRequest(route, B);
      const ids: Record<string, string> = {};
      for (const slot of objectSlots(route)) if ("kind" in slot.kind) ids[slot.name] = await B.id(slot.kind.kind);
      const plain = sampleOf(objectSchemaOf(route.body)!, "", { idFor: (f) => ids[f] });
      const res = await send(req, actingAs(route, B), plain);
      expect(res.statusCode, `${id} accepts the schema's sample now: take it off SAMPLE_BODIES (${res.body})`).toBe(400);
    }
  });

  it("lists as uncovered only routes that still name an object without a fixture", () => {
    const byId = new Map(routes.map((r) => [r.id, r]));
    for (const id of Object.keys(UNCOVERED_ROUTES)) {
      const route = byId.get(id);
      expect(route, `UNCOVERED_ROUTES names ${id}, which the app no longer serves`).toBeDefined();
      const missing = objectSlots(route!).filter((s) => "missingFixture" in s.kind);
      expect(missing, `${id} has fixtures for all its objects now: take it off UNCOVERED_ROUTES`).not.toEqual([]);
    }
  });
});
