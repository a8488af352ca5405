import type { ObjectKind, PlatformWorld } from "./fixtures.js";
import { bodyFields, fillPath, objectSchemaOf, type RouteModel } from "./route-model.js";
import { sampleOf } from "./schema-samples.js";

/**
 * How the suites fill a route's request: which object each path parameter (and each `…_id` body
 * field) names, and the lists of deliberate exceptions. Every exception is keyed by route and says
 * why, and tests keep each list honest (no entry for a route that no longer exists or no longer
 * needs it), so a new route either fits these rules or forces an entry here.
 */

/** The resource an `:id` sits under decides its kind: `/v1/users/:id` is a user. */
const ID_UNDER: Record<string, ObjectKind> = {
  platforms: "platform",
  users: "user",
  waitlists: "waitlistEntry",
  collaborators: "collaborator",
  products: "product",
  listings: "product",
  add_ons: "addOn",
  orders: "contract",
  categories: "category",
  collections: "collection",
  shipping_rates: "shippingRate",
  carts: "cart",
  transactions: "transaction",
  events: "event",
  webhooks: "webhookEndpoint",
  contracts: "contract",
  subscriptions: "subscription",
  payouts: "payout",
  refund_requests: "refundRequest",
};

/** Parameters (path or body) named after the kind of object they hold, wherever they appear. */
const NAMED_KINDS: Record<string, ObjectKind> = {
  user_id: "user",
  key_id: "apiKey",
  app_id: "oauthApp",
  link_id: "userLink",
  payment_method_id: "paymentMethod",
  event_id: "calendarEvent",
  price_id: "seasonalPrice",
  addon_id: "addOn",
  product_id: "product",
  cart_item_id: "cartItem",
  media_id: "media",
  parent_product_id: "product",
  category_id: "category",
  parent_id: "category",
  transaction_id: "transaction",
  webhook_id: "webhookEndpoint",
  delivery_id: "webhookDelivery",
  cart_id: "cart",
  contract_id: "contract",
  item_id: "contractItem",
  buyer_id: "contractBuyer",
  seller_id: "contractSeller",
  fee_id: "contractFee",
  subscription_id: "subscription",
};

/**
 * Kinds the suites know the name of but cannot create yet. A route addressing one must be listed in
 * UNCOVERED_ROUTES until `createWorld` learns to make it (then the entry must go).
 */
const ID_UNDER_WITHOUT_FIXTURE: Record<string, string> = {};
const NAMED_WITHOUT_FIXTURE: Record<string, string> = {};

/** Path parameters that are not object ids, by route: what they are instead. */
const METAFIELD_NAME = { namespace: "a metafield's namespace, a name inside the resource the route names", key: "a metafield's key, a name inside the resource the route names" };

export const NOT_OBJECT_PARAMS: Record<string, Record<string, string>> = {
  "DELETE /v1/products/:id/metafields/:namespace/:key": METAFIELD_NAME,
  "DELETE /v1/listings/:id/metafields/:namespace/:key": METAFIELD_NAME,
  "DELETE /v1/contracts/:id/metafields/:namespace/:key": METAFIELD_NAME,
  "DELETE /v1/orders/:id/metafields/:namespace/:key": METAFIELD_NAME,
  "DELETE /v1/users/:id/metafields/:namespace/:key": METAFIELD_NAME,
  "GET /v1/platforms/domains/:domain": { domain: "a host name: the public lookup of a platform by its domain" },
  "PUT /v1/uploads/:key": { key: "a storage key inside a pre-signed upload URL, whose signature is the credential" },
  "GET /offline/connect/onboard/:accountId": { accountId: "the offline simulator's onboarding page, reached with a single-use token" },
  "POST /offline/setup_intents/:setupIntentId/confirm": { setupIntentId: "the offline simulator's Stripe.js stand-in, reached with the intent's client secret" },
  "POST /offline/refunds/:refundId/finish": { refundId: "a Stripe refund id (`re_…`) of the offline simulator's test hook, the capability itself" },
  "POST /offline/disputes/:disputeId/close": { disputeId: "a Stripe dispute id (`dp_…`) of the offline simulator's test hook, the capability itself" },
  "GET /offline/payment_intents/:paymentIntentId/authenticate": {
    paymentIntentId: "the offline simulator's 3-D Secure page, reached with the intent's client secret (a wrong one is a 404)",
  },
  "POST /offline/payment_intents/:paymentIntentId/authenticate": {
    paymentIntentId: "the offline simulator's 3-D Secure page's buttons, with the intent's client secret (a wrong one is a 404)",
  },
  "GET /v1/products/slug/:slug": {
    slug: "a product's slug, unique within its platform and mode: another platform's slug is a 404 (listing-attributes.test.ts)",
  },
  "POST /offline/payouts/:payoutId/finish": { payoutId: "a Stripe payout id (`po_…`) of the offline simulator's test hook, the capability itself" },
  "GET /connect/:platform_id/return": { platform_id: "a public page after Connect onboarding, showing only the platform's name (public, as GET /v1/platforms/domains/:domain)" },
  "GET /connect/:platform_id/refresh": { platform_id: "a public page after Connect onboarding, showing only the platform's name (public, as GET /v1/platforms/domains/:domain)" },
  "GET /oauth/auth/:uid": { uid: "an OAuth authorization request's id, bound to the browser's signed cookie (without it: an error page)" },
  "GET /oauth/interaction/:uid": { uid: "an OAuth authorization request's id, bound to the browser's signed cookie (without it: 404)" },
  "POST /oauth/interaction/:uid/login": { uid: "an OAuth authorization request's id, bound to the browser's signed cookie (without it: 404)" },
  "POST /oauth/interaction/:uid/confirm": { uid: "an OAuth authorization request's id, bound to the browser's signed cookie (without it: 404)" },
  "POST /oauth/interaction/:uid/abort": { uid: "an OAuth authorization request's id, bound to the browser's signed cookie (without it: 404)" },
  "GET /v1/calendars/feed/:platform_id/:calendar_id/:secret": {
    platform_id: "the iCalendar feed's URL, read by calendar apps without credentials: the secret in it is the credential (a wrong one is a 404)",
    calendar_id: "the iCalendar feed's URL, read by calendar apps without credentials: the secret in it is the credential (a wrong one is a 404)",
    secret: "the iCalendar feed's secret, an HMAC of the calendar id (a wrong one is a 404)",
  },
};

const EXTERNAL_ID = "the platform's own reference for the object (free text, unique per platform and mode), not an id of ours";

/** Body fields ending in `_id` that are not ids of the caller's objects, by route. */
export const NOT_OBJECT_BODY_FIELDS: Record<string, Record<string, string>> = {
  "POST /v1/auth/otp/email": { platform_id: "names the platform on a public route (no key sent)" },
  "POST /v1/auth/otp/verify": { platform_id: "names the platform on a public route (no key sent)" },
  "POST /v1/waitlists": { platform_id: "names the platform on a public route (no key sent)" },
  "POST /v1/utils/generate/username": { platform_id: "names the platform on a public route (no key sent)" },
  "POST /v1/utils/gnerate/username": { platform_id: "names the platform on a public route (no key sent)" },
  "POST /v1/utils/estimate/fee": { platform_id: "names the platform on a public route (no key sent)" },
  "POST /v1/products": { external_id: EXTERNAL_ID },
  "PUT /v1/products/:id": { external_id: EXTERNAL_ID },
  "PATCH /v1/products/:id": { external_id: EXTERNAL_ID },
  "POST /v1/users": { external_id: EXTERNAL_ID },
  "PUT /v1/users/:id": { external_id: EXTERNAL_ID },
  "PUT /v1/users/auth": { external_id: EXTERNAL_ID },
  "POST /v1/subscriptions/auth/contract/:contract_id": {
    platform_id:
      "names another platform by design, on the host platform only (HOST_PLATFORM_ID): the one the subscription pays for, which its subscriber must own (else 404; anywhere but the host, 400). subscription-access.test.ts covers it",
  },
};

/**
 * The OAuth server's own endpoints (oidc-provider at /oauth): they answer in OAuth's formats, not the
 * API's envelope — a JSON error is RFC 6749's `{ error, error_description }`, and the authorization
 * endpoint, which a browser opens, answers an HTML error page or a redirect to the app. What the
 * suites check of them: no 5xx, and an error in that form.
 */
export const OAUTH_PROTOCOL_ROUTES: Record<string, string> = {
  "GET /oauth/.well-known/openid-configuration": "RFC 8414 metadata",
  "GET /oauth/jwks": "RFC 7517 key set",
  "GET /oauth/auth": "RFC 6749 §4.1.1: a browser's request; errors are an HTML page or a redirect to the app",
  "GET /oauth/auth/:uid": "RFC 6749 §4.1.1, resumed: errors are an HTML page or a redirect to the app",
  "POST /oauth/token": "RFC 6749 §5.2 errors",
  "POST /oauth/token/introspection": "RFC 7662 (RFC 6749 §5.2 errors)",
  "POST /oauth/token/revocation": "RFC 7009 (RFC 6749 §5.2 errors)",
};

/** An OAuth protocol endpoint's error: RFC 6749's JSON, or (a browser's endpoint) an HTML page. */
export function isOAuthError(status: number, contentType: string | undefined, body: string): boolean {
  if (status < 400 || status >= 500) return false;
  if (contentType?.startsWith("text/html")) return body.includes("<!doctype html>");
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === "string";
  } catch {
    return false;
  }
}

/** Write routes whose body is not JSON, so mass assignment of JSON fields does not apply to them. */
export const NON_JSON_BODY_ROUTES: Record<string, string> = {
  "POST /oauth/token": "form-encoded, as OAuth sends it (RFC 6749 §4.1.3); oidc-provider checks its own parameters",
  "POST /oauth/token/introspection": "form-encoded (RFC 7662)",
  "POST /oauth/token/revocation": "form-encoded (RFC 7009)",
  "POST /oauth/interaction/:uid/login": "an HTML form post (form-encoded `token`; strict zod body)",
  "POST /oauth/interaction/:uid/confirm": "an HTML form post with no fields (the browser's cookie names the request)",
  "POST /oauth/interaction/:uid/abort": "an HTML form post with no fields (the browser's cookie names the request)",
  "POST /v1/utils/media/upload": "multipart/form-data: the file in field `media`",
  "PUT /v1/uploads/:key": "the raw bytes of an image, to a pre-signed URL",
  "POST /v1/webhooks/stripe": "Stripe's signed event, verified on its raw bytes",
  "POST /offline/setup_intents/:setupIntentId/confirm": "the offline simulator's Stripe.js stand-in (form or JSON, as Stripe.js sends)",
  // Hidden from the API docs, so the route model has no body; their zod bodies are strict (one `outcome`).
  "POST /offline/refunds/:refundId/finish": "the offline simulator's test hook, hidden from the API docs (strict zod body: `outcome`)",
  "POST /offline/disputes/:disputeId/close": "the offline simulator's test hook, hidden from the API docs (strict zod body: `outcome`)",
  "POST /offline/payment_intents/:paymentIntentId/authenticate":
    "the offline simulator's 3-D Secure page's form (urlencoded), hidden from the API docs (strict zod body: `client_secret`, `outcome`)",
  "POST /offline/payouts/:payoutId/finish": "the offline simulator's test hook, hidden from the API docs (strict zod body: `outcome`)",
  "POST /offline/payouts/run": "the offline simulator's test hook, hidden from the API docs (strict zod body: none)",
};

/**
 * Write routes whose body follows a rule JSON Schema cannot carry (one field or another, at least
 * one of several flags), so the schema's smallest sample is refused with a 400 before any object is
 * looked up: the smallest valid body instead, from the ids filled in (`slot`: the field being
 * swapped for another platform's, if any).
 */
export const SAMPLE_BODIES: Record<string, { why: string; body(ids: Record<string, string>, slot?: string): Record<string, unknown> }> = {
  "POST /v1/contracts/:id/item": {
    why: "a product_id, or a user_id with a price — never both",
    body: (ids, slot) => (slot === "product_id" ? { product_id: ids.product_id } : { user_id: ids.user_id, price: 1_000 }),
  },
  "POST /v1/shipping_rates": {
    why: "a flat rate needs its price, a weight or price rate its bands",
    body: (ids) => ({ user_id: ids.user_id, title: "Standard", kind: "flat", price: 500 }),
  },
  "PUT /v1/contracts/:id/fee_inclusion": { why: "at least one of feeInclusion and the include…Fees flags", body: () => ({ feeInclusion: true }) },
  "POST /v1/platforms/:id/apps": {
    why: "redirect URIs must be https (a sample string is no URL), scopes from the scope list",
    body: () => ({ name: "App", redirect_uris: ["https://app.example.com/callback"], scopes: ["products:read"] }),
  },
};

/**
 * Routes addressing a kind of object the fixtures cannot create yet: the cross-platform check
 * cannot run for them. Each entry must name such a parameter (a test checks it).
 */
export const UNCOVERED_ROUTES: Record<string, string> = {};

export type ParamKind = { kind: ObjectKind } | { notObject: string } | { missingFixture: string } | { unknown: true };

/** The resource an `:id` sits under: the segment before it when that names one (`/v1/listings/add_ons/:id`: an add-on), else the first. */
function resourceOf(url: string): string {
  const parts = url.split("/");
  const before = parts[parts.indexOf(":id") - 1];
  return before !== undefined && ID_UNDER[before] ? before : (parts[2] ?? "");
}

export function kindOfPathParam(route: RouteModel, param: string): ParamKind {
  const exception = NOT_OBJECT_PARAMS[route.id]?.[param];
  if (exception) return { notObject: exception };
  if (param === "id") {
    const resource = resourceOf(route.url);
    if (ID_UNDER[resource]) return { kind: ID_UNDER[resource]! };
    if (ID_UNDER_WITHOUT_FIXTURE[resource]) return { missingFixture: ID_UNDER_WITHOUT_FIXTURE[resource]! };
    return { unknown: true };
  }
  return kindOfName(param);
}

function kindOfName(name: string): ParamKind {
  if (NAMED_KINDS[name]) return { kind: NAMED_KINDS[name]! };
  if (NAMED_WITHOUT_FIXTURE[name]) return { missingFixture: NAMED_WITHOUT_FIXTURE[name]! };
  return { unknown: true };
}

/** Top-level body fields holding an id (`…_id`, and a cart's `variant`), with their kind. */
export function bodyIdFields(route: RouteModel): { field: string; kind: ParamKind }[] {
  return bodyFields(route)
    .filter((f) => f.endsWith("_id") || f === "variant")
    .map((field) => {
      const exception = NOT_OBJECT_BODY_FIELDS[route.id]?.[field];
      if (exception) return { field, kind: { notObject: exception } };
      return { field, kind: field === "variant" ? ({ kind: "productVariant" } as ParamKind) : kindOfName(field) };
    });
}

/** Every object a route's request names (path first, then body), with its kind. */
export function objectSlots(route: RouteModel): { where: "path" | "body"; name: string; kind: ParamKind }[] {
  return [
    ...route.pathParams.map((name) => ({ where: "path" as const, name, kind: kindOfPathParam(route, name) })),
    ...bodyIdFields(route).map(({ field, kind }) => ({ where: "body" as const, name: field, kind })),
  ];
}

export interface BuiltRequest {
  method: string;
  url: string;
  path: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  hasBody: boolean;
}

/**
 * The smallest valid request of a route on `world`: path and body ids from its fixtures (or from
 * `slot`: this id for the named path parameter or body field, e.g. another platform's), required query parameters, and the
 * smallest body its schema accepts.
 */
export async function buildRequest(
  route: RouteModel,
  world: PlatformWorld,
  options: { slot?: { name: string; id: string }; bodyExtra?: Record<string, unknown> } = {},
): Promise<BuiltRequest> {
  const ids: Record<string, string> = {};
  for (const slot of objectSlots(route)) {
    if (options.slot?.name === slot.name) ids[slot.name] = options.slot.id;
    else if ("kind" in slot.kind) ids[slot.name] = await world.id(slot.kind.kind);
  }
  const path: Record<string, string> = {};
  for (const name of route.pathParams) path[name] = ids[name] ?? (name === "domain" ? "market.example" : "sample");
  const query: Record<string, string> = {};
  for (const q of route.query.filter((q) => q.required)) query[q.name] = String(sampleOf(q.schema, q.name));
  let body: unknown;
  const hasBody = route.body !== undefined;
  if (hasBody) {
    const objectSchema = objectSchemaOf(route.body);
    const special = SAMPLE_BODIES[route.id];
    const sample = special
      ? special.body(ids, options.slot?.name)
      : objectSchema
        ? (sampleOf(objectSchema, "", { idFor: (f) => ids[f] }) as Record<string, unknown>)
        : sampleOf(route.body!);
    if (objectSchema && !special && options.slot && bodyFields(route).includes(options.slot.name)) {
      (sample as Record<string, unknown>)[options.slot.name] = options.slot.id;
    }
    body = options.bodyExtra ? { ...(sample as object), ...options.bodyExtra } : sample;
  }
  return { method: route.method, url: fillPath(route.url, path), path, query, body, hasBody };
}

export function queryString(query: Record<string, string>): string {
  const qs = new URLSearchParams(query).toString();
  return qs ? `?${qs}` : "";
}
