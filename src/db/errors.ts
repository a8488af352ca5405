import { Prisma } from "../generated/prisma/client.js";

/**
 * The columns of a unique constraint a write broke, or null when the error is something else.
 * With driver adapters, Prisma reports them under `meta.driverAdapterError` rather than `meta.target`.
 */
export function uniqueViolation(err: unknown): string[] | null {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== "P2002") return null;
  const target = err.meta?.target;
  if (Array.isArray(target)) return target.map(String);
  const cause = (err.meta?.driverAdapterError as { cause?: { constraint?: { fields?: string[] } } } | undefined)?.cause;
  return cause?.constraint?.fields?.map((f) => f.replace(/"/g, "")) ?? [];
}

/**
 * Whether a query failed because no pool connection came free in time — the pool is saturated, the
 * database itself is fine. With the `pg` adapter this surfaces as pg-pool's own plain Error
 * ("timeout exceeded when trying to connect", after `connectionTimeoutMillis`), whether the query
 * ran on the pool or was opening a transaction; Prisma's engine-side equivalent is P2024.
 */
export function poolTimedOut(err: unknown, depth = 0): boolean {
  if (depth > 5 || err === null || typeof err !== "object") return false;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown; meta?: { driverAdapterError?: unknown } };
  if (e.code === "P2024") return true;
  if (typeof e.message === "string" && /timeout exceeded when trying to connect/i.test(e.message)) return true;
  return poolTimedOut(e.cause, depth + 1) || poolTimedOut(e.meta?.driverAdapterError, depth + 1);
}
