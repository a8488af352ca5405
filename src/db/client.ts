import { AsyncLocalStorage } from "node:async_hooks";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../generated/prisma/client.js";
import { oneQueryAtATimeInTransactions } from "./one-query-at-a-time.js";

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
export function createPrisma(connectionString: string, poolSize: number, transactionTimeoutMs = 10_000, options: { guardTransactions?: boolean } = {}): PrismaClient {
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
  if (options.guardTransactions) guardPool(pool);
  // The pool is ours: $disconnect ends it.
  const adapter = oneQueryAtATimeInTransactions(new PrismaPg(pool, { disposeExternalPool: true }));
  // Prisma's defaults (2 s to get a connection, 5 s to run) fail a transaction that merely queued
  // behind others under load; past this it fails with P2028, answered 503 database_busy.
  const client = new PrismaClient({ adapter, transactionOptions: { maxWait: transactionTimeoutMs, timeout: transactionTimeoutMs } });
  if (options.guardTransactions) guardTransactionCallbacks(client);
  pools.set(client, pool);
  return client;
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
