/**
 * Scopes (docs/api/oauth.md, "Scopes"): what a restricted API key or an OAuth access token may
 * reach. One table for every route, derived from its path: `<resource>:read` for GET,
 * `<resource>:write` for the other methods, the resource being the path's first segment under
 * /v1 (or one of the sub-resources below). An unrestricted key and a user's own session are not
 * held to scopes; roles apply to everyone, scopes only narrow them.
 */
export const SCOPE_RESOURCES = [
  "platforms",
  "users",
  "payment_methods",
  "bank_accounts",
  "waitlists",
  "collaborators",
  "utils",
  "calendars",
  "products",
  "categories",
  "collections",
  "carts",
  "contracts",
  "subscriptions",
  "transactions",
  "refund_requests",
  "payouts",
  "shipping_rates",
  "events",
  "webhooks",
] as const;

export type ScopeResource = (typeof SCOPE_RESOURCES)[number];

/** Every scope a restricted key or an app may be given. */
export const SCOPES: readonly string[] = SCOPE_RESOURCES.flatMap((r) => [`${r}:read`, `${r}:write`]);
const GRANTABLE = new Set(SCOPES);

/**
 * Resources no restricted credential reaches: keys and apps (a restricted credential that could
 * make an unrestricted one would not be restricted) and the sign-in sessions of `/v1/auth`.
 */
export const UNGRANTABLE_RESOURCES = ["keys", "apps", "sessions"] as const;

export function isGrantableScope(scope: string): boolean {
  return GRANTABLE.has(scope);
}

/** Sub-resources whose path starts with another resource's. */
const SUB_RESOURCES: [RegExp, string][] = [
  [/^\/v1\/platforms\/[^/]+\/keys(\/|$)/, "keys"],
  [/^\/v1\/platforms\/[^/]+\/apps(\/|$)/, "apps"],
  [/^\/v1\/users\/[^/]+\/(payment_methods|client_secret)(\/|$)/, "payment_methods"],
  [/^\/v1\/users\/[^/]+\/bank_account(\/|$)/, "bank_accounts"],
  [/^\/v1\/users\/[^/]+\/(payout_settings|payout_balance|balance|statement)(\/|$)/, "payouts"],
  [/^\/v1\/contracts\/[^/]+\/refund_requests(\/|$)/, "refund_requests"],
  [/^\/v1\/calendar(\/|$)/, "calendars"],
  [/^\/v1\/auth(\/|$)/, "sessions"],
  // Aliases: listings and their add-ons are products, orders are contracts.
  [/^\/v1\/(listings|add_ons)(\/|$)/, "products"],
  [/^\/v1\/orders(\/|$)/, "contracts"],
];

/** The scope a route needs (`url` is the route's pattern, e.g. `/v1/products/:id`); null outside /v1. */
export function scopeFor(method: string, url: string): string | null {
  if (!url.startsWith("/v1/")) return null;
  const access = method === "GET" || method === "HEAD" ? "read" : "write";
  for (const [pattern, resource] of SUB_RESOURCES) if (pattern.test(url)) return `${resource}:${access}`;
  const resource = url.slice(4).split("/")[0]!;
  return `${resource}:${access}`;
}
