import type { Prisma } from "../../../db/client.js";
import { toApiDate, type Clock } from "../../../lib/time.js";
import type { PeriodQuery } from "../transactions.schemas.js";

/** What every analytics query works with. */
export interface AnalyticsContext {
  clock: Clock;
  /** One statement's rows. JIT is off for every connection of the app (see src/db/client.ts), which these queries need. */
  query<T>(sql: Prisma.Sql): Promise<T>;
}

export const periodEcho = (q: PeriodQuery) => ({ from: toApiDate(q.from ?? null), to: toApiDate(q.to ?? null) });

export function toNumber(value: bigint | number | null): number {
  const n = Number(value ?? 0);
  if (!Number.isSafeInteger(n)) throw new RangeError(`A figure passed 2^53 cents: ${value}.`);
  return n;
}
