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
