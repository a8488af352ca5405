import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "../generated/prisma/client.js";

export type Db = PrismaClient;
export { Prisma } from "../generated/prisma/client.js";

/** Prisma with the `pg` driver adapter: no engine binary, a plain `pg` pool underneath. */
export function createPrisma(connectionString: string, poolSize: number, transactionTimeoutMs = 10_000): PrismaClient {
  const adapter = new PrismaPg({
    connectionString,
    max: poolSize,
    // Fail fast when the database is unreachable instead of queueing requests for ever.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    // JIT compilation pays off for long analytical scans, not for an API's short queries; and the
    // planner over-estimates zero-filled generate_series (analytics), which would trigger a compile
    // costing more than the query on servers built with LLVM (the postgres:18 image).
    options: "-c jit=off",
  });
  // Prisma's defaults (2 s to get a connection, 5 s to run) fail a transaction that merely queued
  // behind others under load; past this it fails with P2028, answered 503 database_busy.
  return new PrismaClient({ adapter, transactionOptions: { maxWait: transactionTimeoutMs, timeout: transactionTimeoutMs } });
}
