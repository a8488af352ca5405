import type { Mode } from "../generated/prisma/enums.js";
import type { Prisma } from "./client.js";

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
