import { createHash } from "node:crypto";
import type pg from "pg";

/** How many statements a connection keeps by default (`DATABASE_PREPARED_STATEMENTS`). */
export const PREPARED_STATEMENTS = 100;

/**
 * Begins a statement whose best plan depends on its parameters' values: it is always sent unnamed,
 * so planned for the values of each call. A kept statement moves to a generic plan after five calls
 * when PostgreSQL estimates it costs no more than the custom ones; for the cart value of "last year"
 * that plan took several times the period's own (bench/RESULTS.md, "The cart value after thousands
 * of checkouts").
 */
export const PLAN_EACH_CALL = "/* plan each call */";

/**
 * Named (prepared) statements, per connection, for the queries Prisma and our SQL send.
 *
 * Sent unnamed, every statement is planned again on every call; under row-level security each
 * tenant table in it brings its policy's conditions, and planning a checkout's statements cost the
 * database more than running them (bench/RESULTS.md). Named, PostgreSQL keeps the statement on the
 * connection and, after a few calls, a generic plan it reuses. The server replans by itself when a
 * table or index changes, or when the statement runs as another role (row-level security depends
 * on it), so this changes no answer.
 *
 * A statement beginning with PLAN_EACH_CALL is never named.
 *
 * Bounded: a connection names its first `perConnection` distinct statements and sends the rest
 * unnamed (the hot ones come first under steady load, and a pooled connection is replaced after
 * its idle timeout). A statement that fails because its result type changed under it (a migration
 * while this node runs) is sent unnamed from then on, on that connection.
 *
 * Off with `DATABASE_PREPARED_STATEMENTS=0`, for a pooler in transaction mode that cannot keep
 * a connection's statements (PgBouncer before 1.21, or without `max_prepared_statements`).
 */
export function prepareStatements(client: pg.PoolClient, perConnection: number): void {
  if (prepared.has(client)) return;
  const named = new Set<string>();
  const unnamed = new Set<string>();
  prepared.add(client);
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
    if (!isNameable(config) || config.text.startsWith(PLAN_EACH_CALL)) return query(config, ...rest);
    const name = nameOf(config.text);
    if (unnamed.has(name) || (!named.has(name) && named.size >= perConnection)) return query(config, ...rest);
    named.add(name);
    const result = query({ ...config, name }, ...rest);
    if (result instanceof Promise) {
      return result.catch((err: { code?: string; message?: string }) => {
        // "cached plan must not change result type": the table changed under a kept statement.
        if (err?.code === "0A000") unnamed.add(name);
        throw err;
      });
    }
    return result;
  };
}

const prepared = new WeakSet<pg.PoolClient>();

interface QueryConfig {
  text: string;
  name?: string;
}

/** A query given as `{ text, values }` (how Prisma's adapter sends everything but BEGIN/COMMIT), not already named, one statement. */
function isNameable(config: unknown): config is QueryConfig {
  if (typeof config !== "object" || config === null) return false;
  const { text, name } = config as Partial<QueryConfig>;
  return typeof text === "string" && name === undefined && text.length > 0 && !("submit" in config);
}

/**
 * The same text gets the same name on every connection; a cache keeps hashing off the hot path. The
 * name starts with the statement's first word, as traces name a query by it (`pg.query:INSERT …`).
 */
const names = new Map<string, string>();
function nameOf(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    const verb = /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? "QUERY";
    name = `${verb} ${createHash("sha1").update(text).digest("hex").slice(0, 20)}`;
    if (names.size >= 10_000) names.clear();
    names.set(text, name);
  }
  return name;
}
