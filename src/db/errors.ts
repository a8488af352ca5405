import { Prisma } from "../generated/prisma/client.js";

/**
 * The columns of a unique constraint a write broke, or null when the error is something else.
 * With driver adapters, Prisma reports them under `meta.driverAdapterError` rather than `meta.target`.
 */
export function uniqueViolation(err: unknown): string[] | null {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError) || err.code !== "P2002") return null;
  const target = err.meta?.target;
  if (Array.isArray(target)) return target.map(String);
  const cause = (err.meta?.driverAdapterError as { cause?: { constraint?: { fields?: string[] }; originalMessage?: string } } | undefined)?.cause;
  if (cause?.constraint?.fields) return cause.constraint.fields.map((f) => f.replace(/"/g, ""));
  // On a table with row-level security PostgreSQL leaves the key out of the error (it could show
  // another tenant's values), so the columns are read from the constraint's name.
  const constraint = /unique constraint "([^"]+)"/.exec(cause?.originalMessage ?? "")?.[1];
  return constraint ? columnsOfConstraint(constraint) : [];
}

let knownColumns: Set<string> | undefined;

/**
 * The columns in a constraint named as Prisma names them (`<table>_<column>_…_key`), matched from
 * the end against the schema's column names (snake_case of its fields), longest first.
 */
export function columnsOfConstraint(name: string): string[] {
  knownColumns ??= new Set(
    Object.entries(Prisma)
      .filter(([key, value]) => key.endsWith("ScalarFieldEnum") && typeof value === "object" && value !== null)
      .flatMap(([, value]) => Object.values(value as Record<string, string>).map((field) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))),
  );
  const tokens = name.replace(/_(key|idx)$/, "").split("_");
  const columns: string[] = [];
  let end = tokens.length;
  while (end > 0) {
    let found = 0;
    for (let start = 0; start < end && !found; start++) {
      if (knownColumns.has(tokens.slice(start, end).join("_"))) found = end - start;
    }
    if (!found) break;
    columns.unshift(tokens.slice(end - found, end).join("_"));
    end -= found;
  }
  return columns;
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
