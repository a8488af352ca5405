import { AsyncLocalStorage } from "node:async_hooks";
import type { Mode } from "../generated/prisma/enums.js";
import type { Prisma } from "../generated/prisma/client.js";
import { TENANT_ROLE } from "./roles.js";

/**
 * One marketplace in one mode (test or live): what every tenant table is scoped by. Services take
 * it from the request's auth context; `requestId`, when set, is recorded on the events a change
 * writes.
 */
export interface Tenant {
  platformId: string;
  mode: Mode;
  requestId?: string | null;
}

/** The client inside a `db.$transaction(async (tx) => …)` callback. */
export type Tx = Prisma.TransactionClient;

/**
 * Whose rows the database lets the current code see (docs/tenancy.md). Every tenant table has a
 * row-level security policy comparing `platform_id`/`mode` to the connection's `app.platform_id` /
 * `app.mode` settings, and the pool (src/db/client.ts) makes a connection's role and settings match
 * the scope of the code that takes it. So a query that forgets its platform filter still sees one
 * platform; code running in no scope sees nothing at all.
 *
 * A scope is a mutable holder so that a request can enter it once, early, and learn its tenant
 * later (the auth hook, or a public route once it knows the platform) without re-entering.
 */
export interface Scope {
  tenant: Pick<Tenant, "platformId" | "mode"> | null;
  /** Cross-tenant work (docs/tenancy.md lists who may): the policies let every row through. */
  system: boolean;
}

const storage = new AsyncLocalStorage<Scope>();

export function currentScope(): Scope | undefined {
  return storage.getStore();
}

/** Runs `fn` as this tenant: queries see its rows only. */
export function withTenant<T>(tenant: Pick<Tenant, "platformId" | "mode">, fn: () => T): T {
  return storage.run({ tenant: { platformId: tenant.platformId, mode: tenant.mode }, system: false }, () => started(fn()));
}

/**
 * Runs `fn` across every platform. Only for work that is cross-tenant by nature — credential
 * lookups before the platform is known, payment-provider webhooks, jobs, the CLI, CORS origins —
 * each listed in docs/tenancy.md.
 */
export function asSystem<T>(fn: () => T): T {
  return storage.run({ tenant: null, system: true }, () => started(fn()));
}

/** A fresh, empty scope, for a request to run in and fill once it knows its tenant (`enterTenant`). */
export function newScope(): Scope {
  return { tenant: null, system: false };
}

/**
 * The current request learned its tenant: from here on its queries see that platform's rows. A
 * scope that already has another tenant, or is a system scope, is never switched.
 */
export function enterTenant(tenant: Pick<Tenant, "platformId" | "mode">, scope: Scope | undefined = storage.getStore()): void {
  if (!scope || scope.system) return;
  if (scope.tenant && (scope.tenant.platformId !== tenant.platformId || scope.tenant.mode !== tenant.mode)) {
    throw new Error(`tenant scope already bound to ${scope.tenant.platformId}/${scope.tenant.mode}`);
  }
  scope.tenant = { platformId: tenant.platformId, mode: tenant.mode };
}

/**
 * The connection settings a scope needs: `[role, app.platform_id, app.mode]`. A tenant scope runs
 * as the tenant role, which the policies show that platform's rows only; the system scope as the
 * login role itself (`none` resets to it), a member of the system role. No scope: the tenant role
 * with empty settings, which sees nothing.
 */
export function scopeSettings(scope: Scope | undefined): readonly [string, string, string] {
  if (scope?.system) return ["none", "", ""];
  if (scope?.tenant) return [TENANT_ROLE, scope.tenant.platformId, scope.tenant.mode];
  return [TENANT_ROLE, "", ""];
}

/** Runs `fn` in a scope captured earlier (`undefined`: no scope at all, which sees nothing). */
export function runInScope<T>(scope: Scope | undefined, fn: () => T): T {
  return scope ? storage.run(scope, () => started(fn())) : storage.exit(() => started(fn()));
}

/**
 * Prisma's queries are lazy: one runs when something calls its `then`. Returned unawaited from a
 * scope's callback it would run after the scope is left, so it is started here, inside.
 */
function started<T>(result: T): T {
  if (result instanceof Promise || typeof (result as { then?: unknown } | null)?.then !== "function") return result;
  const thenable = result as unknown as PromiseLike<unknown>;
  return new Promise((resolve, reject) => thenable.then(resolve, reject)) as T;
}
