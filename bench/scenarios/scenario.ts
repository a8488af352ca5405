import type { FastifyInstance } from "fastify";
import type pg from "pg";
import type { BenchData } from "../seed.js";

/** One request shape autocannon repeats. */
export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export type Target = "api" | "baseline";

/**
 * A bench scenario: the request the API answers, and the same work done by hand on the bare
 * Fastify + pg baseline (same rows, same JSON). To add one, write a module exporting a Scenario and
 * list it in `index.ts`; `seed.ts` holds the data set they share.
 */
export interface Scenario {
  name: string;
  /** What the table says about it. */
  description: string;
  /** Reads must reach `minRatio` of the baseline's requests/s (docs/benchmarks.md); writes are measured and reported. */
  kind: "read" | "write";
  minRatio: number;
  /** The API's p99 must stay under this at the bench's connections (default: the runner's 50 ms). */
  p99Ms?: number;
  /** The API's p99 goal in the fixed-rate run (default: issue 22's 25 ms for reads, 50 ms for writes). */
  fixedRateP99Ms?: number;
  /** What the seed must hold for it (beyond the catalogue); `transactions`: the analytics history (seed-transactions.ts). */
  needs?: { contracts?: boolean; carts?: boolean; shoppers?: boolean; transactions?: boolean };
  /** The request whose answers are compared before measuring; without a pool, the one repeated. */
  request(data: BenchData, target: Target): RequestSpec;
  /**
   * Requests handed out in turn (across all connections) instead of repeating one; the first must
   * be `request`'s. Reads cycle through theirs (many contracts rather than one hot row); a write
   * that works once per row (a cart becomes a contract) is `consumable`: nothing is handed out twice.
   */
  pool?(data: BenchData, target: Target): RequestSpec[];
  consumable?: boolean;
  /** Registers the baseline's route(s) for this scenario. */
  baseline(app: FastifyInstance, pool: pg.Pool, data: BenchData): void;
  /**
   * Whether the two answers say the same thing (default: deep-equal JSON bodies). Checked once
   * before measuring, so the baseline cannot get faster by doing less.
   */
  sameAnswer?(api: unknown, baseline: unknown): boolean;
}

const LINKS = ["path", "first_page_url", "last_page_url", "next_page_url", "prev_page_url"];
function withoutLinks(body: unknown): unknown {
  const { meta, ...rest } = body as { meta?: Record<string, unknown> };
  return meta ? { ...rest, meta: Object.fromEntries(Object.entries(meta).filter(([k]) => !LINKS.includes(k))) } : rest;
}
/** JSON with every object's keys sorted. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}
/** A list's answers compared without its page links: they name each server's own host, port and path. */
export const sameButLinks = (api: unknown, baseline: unknown): boolean => canonical(withoutLinks(api)) === canonical(withoutLinks(baseline));
