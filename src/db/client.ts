import { AsyncLocalStorage } from "node:async_hooks";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { oneQueryAtATimeInTransactions } from "./one-query-at-a-time.js";
import { PREPARED_STATEMENTS, prepareStatements } from "./prepared.js";
import { rawSqlDirect, rawSqlInTransactions } from "./raw-sql.js";
import { currentScope, runInScope, scopeSettings, type Scope } from "./tenant.js";

export type Db = PrismaClient;
export { Prisma } from "../generated/prisma/client.js";

const pools = new WeakMap<PrismaClient, pg.Pool>();

/** The `pg` pool under a client made by createPrisma (for its metrics). */
export function databasePool(db: PrismaClient): pg.Pool | undefined {
  return pools.get(db);
}

/** Set while a transaction callback runs (only with `guardTransactions`). */
const insideTransaction = new AsyncLocalStorage<true>();

/** What the pool throws, under `guardTransactions`, when asked for a connection inside a transaction callback. */
export const POOL_IN_TRANSACTION = "pool used inside a transaction callback: pass the transaction client instead";

/**
 * Prisma with the `pg` driver adapter: no engine binary, a plain `pg` pool underneath.
 *
 * `guardTransactions` (tests) makes the pool refuse a connection to code running inside a
 * `$transaction` callback. Such a query holds the transaction's connection while it waits for a
 * second one — enough of them in parallel drain the pool — and it sees none of the transaction's
 * writes. test/unit/transaction-pool.test.ts finds the same mistake statically.
 */
export function createPrisma(
  connectionString: string,
  poolSize: number,
  transactionTimeoutMs = 10_000,
  options: {
    guardTransactions?: boolean;
    /** Named statements kept per connection (src/db/prepared.ts); 0: none. */
    preparedStatements?: number;
    /** Raw SQL through Prisma's own pipeline instead of straight to the connection or the pool (src/db/raw-sql.ts); for comparing the two. */
    prismaRaw?: boolean;
  } = {},
): PrismaClient {
  const pool = new pg.Pool({
    connectionString,
    max: poolSize,
    // Fail fast when the database is unreachable instead of queueing requests for ever; a pool
    // with every connection taken fails the same way (503 database_busy).
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // JIT compilation pays off for long analytical scans, not for an API's short queries; and the
    // planner over-estimates zero-filled generate_series (analytics), which would trigger a compile
    // costing more than the query on servers built with LLVM (the postgres:18 image).
    options: "-c jit=off",
  });
  scopePool(pool, options.preparedStatements ?? PREPARED_STATEMENTS);
  if (options.guardTransactions) guardPool(pool);
  // The pool is ours: $disconnect ends it.
  const factory = oneQueryAtATimeInTransactions(new PrismaPg(pool, { disposeExternalPool: true }));
  // Prisma's defaults (2 s to get a connection, 5 s to run) fail a transaction that merely queued
  // behind others under load; past this it fails with P2028, answered 503 database_busy.
  const client = new PrismaClient({ adapter: factory, transactionOptions: { maxWait: transactionTimeoutMs, timeout: transactionTimeoutMs } });
  scopeBatches(client);
  if (!options.prismaRaw) {
    rawSqlInTransactions(client);
    rawSqlDirect(client, factory);
  }
  if (options.guardTransactions) guardTransactionCallbacks(client);
  pools.set(client, pool);
  return client;
}

const SYNC_SETTINGS = "SELECT set_config('role', $1, false), set_config('app.platform_id', $2, false), set_config('app.mode', $3, false)";
/** The `role|platform|mode` each connection holds, so they are sent only when they change. */
const connectionSettings = new WeakMap<pg.PoolClient, string>();

type ConnectCallback = (err: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void;

/**
 * Row-level security reads the tenant from the connection (docs/tenancy.md): each connection the
 * pool hands out gets the role and settings of the scope that asked for it (src/db/tenant.ts)
 * before its first query. Sent only when they differ from what the connection already holds, so a node busy
 * with one platform pays nothing. Plain `set_config`, outside any transaction: a transaction
 * always starts on a connection already set, and a rollback cannot undo the setting.
 */
function scopePool(pool: pg.Pool, preparedStatements: number): void {
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  (pool as { connect: unknown }).connect = (callback?: ConnectCallback) => {
    const settings = scopeSettings(currentScope());
    const wanted = settings.join("|");
    const ready = connect().then(async (client) => {
      if (preparedStatements > 0) prepareStatements(client, preparedStatements);
      if (connectionSettings.get(client) !== wanted) {
        try {
          await client.query(SYNC_SETTINGS, [...settings]);
        } catch (err) {
          client.release(err as Error);
          throw err;
        }
        connectionSettings.set(client, wanted);
      }
      return client;
    });
    if (!callback) return ready;
    ready.then(
      (client) => callback(undefined, client, (release?: unknown) => client.release(release as Error | undefined)),
      (err: Error) => callback(err),
    );
    return undefined;
  };
}

/**
 * Prisma batches the `findUnique` calls of one tick into one query, run from the first caller's
 * async context — with two requests of different platforms in that tick, one would run as the
 * other's tenant (and find nothing). Batches are keyed by scope too, and each runs in the scope of
 * its callers. This reaches into the client's request handler: if an upgrade moves it, creating a
 * client fails here rather than tenants quietly sharing batches.
 */
function scopeBatches(client: PrismaClient): void {
  type Loader = (request: object | object[]) => Promise<unknown>;
  const options = (client as unknown as { _requestHandler?: { dataloader?: { options?: Record<string, unknown> } } })._requestHandler?.dataloader?.options;
  if (!options || typeof options.batchBy !== "function" || typeof options.singleLoader !== "function" || typeof options.batchLoader !== "function") {
    throw new Error("Prisma's request batching is not where src/db/client.ts expects it: check scopeBatches after an upgrade");
  }
  const batchBy = options.batchBy as (request: object) => string | undefined;
  const singleLoader = options.singleLoader as Loader;
  const batchLoader = options.batchLoader as Loader;
  const scopes = new WeakMap<object, Scope | undefined>();
  options.batchBy = (request: object) => {
    const key = batchBy(request);
    if (!key) return key;
    const scope = currentScope();
    scopes.set(request, scope);
    return `${key}@${scopeSettings(scope).join("|")}`;
  };
  // Requests that were not batched (no entry) already run in their caller's context.
  options.singleLoader = (request: object) => (scopes.has(request) ? runInScope(scopes.get(request), () => singleLoader(request)) : singleLoader(request));
  options.batchLoader = (requests: object[]) => {
    const first = requests[0];
    return first && scopes.has(first) ? runInScope(scopes.get(first), () => batchLoader(requests)) : batchLoader(requests);
  };
}

function guardPool(pool: pg.Pool): void {
  const connect = pool.connect.bind(pool) as (callback?: (err: Error | undefined, client?: pg.PoolClient, done?: () => void) => void) => unknown;
  (pool as { connect: unknown }).connect = (callback?: (err: Error | undefined) => void) => {
    if (insideTransaction.getStore()) {
      const err = new Error(POOL_IN_TRANSACTION);
      if (callback) return void callback(err);
      return Promise.reject(err);
    }
    return connect(callback as never);
  };
}

function guardTransactionCallbacks(client: PrismaClient): void {
  const original = client.$transaction.bind(client) as (arg: unknown, options?: unknown) => Promise<unknown>;
  const guarded = (arg: unknown, txOptions?: unknown) =>
    typeof arg === "function" ? original((tx: unknown) => insideTransaction.run(true, () => (arg as (tx: unknown) => unknown)(tx)), txOptions) : original(arg, txOptions);
  Object.defineProperty(client, "$transaction", { value: guarded, configurable: true, writable: true });
}
