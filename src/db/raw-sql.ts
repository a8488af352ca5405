import { AsyncLocalStorage } from "node:async_hooks";
import type { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, type PrismaClient } from "../generated/prisma/client.js";

type Adapter = Awaited<ReturnType<PrismaPg["connect"]>>;
/** The adapter's side of an interactive transaction: its `pg` connection, BEGIN already sent. */
export type AdapterTransaction = Awaited<ReturnType<Adapter["startTransaction"]>>;
type SqlQuery = Parameters<AdapterTransaction["queryRaw"]>[0];
type ArgType = SqlQuery["argTypes"][number];
type ResultSet = Awaited<ReturnType<AdapterTransaction["queryRaw"]>>;

/**
 * Raw SQL (`$queryRaw` and its three siblings) sent straight to the driver adapter, inside
 * interactive transactions and outside them, rather than through Prisma's request pipeline.
 *
 * The write paths are raw SQL in `db.$transaction(async (tx) => …)` (docs/decisions.md), but every
 * `tx.$queryRaw` still went through Prisma's request pipeline: the parameters serialized to JSON, a
 * query plan compiled in Wasm, interpreted, the rows deserialized — a third of a cart add's CPU for
 * ten statements (bench/RESULTS.md, issue 22). Here the transaction client's four raw methods hand
 * the statement to the adapter's own transaction object (`@prisma/adapter-pg`), which Prisma itself
 * would have reached in the end: the same parameter mapping and type parsers, the same connection
 * (so the tenant's settings and role, the prepared statements of src/db/prepared.ts and the
 * one-at-a-time queue of src/db/one-query-at-a-time.ts all apply), answered and failing the way
 * Prisma answers and fails (the value conversions and `P2010` errors below mirror its runtime).
 * Everything else (`tx.product.findMany`, …) goes through Prisma as before, on the same connection.
 *
 * What `tx` may do is unchanged: only `tx`, inside the callback (test/unit/transaction-pool.test.ts,
 * and the pool guard of src/db/client.ts); a statement after the transaction closed (committed,
 * rolled back, or past its time) fails with `P2028` as Prisma's would.
 */

/**
 * Raw SQL outside transactions too (`db.$queryRaw`, the reads): sent to the adapter Prisma itself
 * connected, which takes a connection from the pool the same way (the tenant's settings, the kept
 * statements, the pool guard of src/db/client.ts). Prisma's pipeline was a large share of a read's
 * CPU (bench/RESULTS.md, "Reads without Prisma's pipeline"). As in a transaction, the answer and the
 * errors are Prisma's; the call still runs only when awaited, as Prisma's promise does.
 */
const connected = new WeakMap<object, Adapter>();

/** Called by the adapter wrapper once Prisma connected its adapter, and with null as it disposes it (src/db/one-query-at-a-time.ts). */
export function noteConnectedAdapter(factory: object, adapter: Adapter | null): void {
  if (adapter) connected.set(factory, adapter);
  else connected.delete(factory);
}

/**
 * Makes the client's top-level raw methods send their SQL to the connected adapter (see above).
 * Prisma's transaction client reaches these same methods through a proxy of this client: called on
 * anything but the client itself, they are Prisma's own, so a transaction's statement never leaves
 * its transaction (rawSqlInTransactions normally answers those first).
 */
export function rawSqlDirect(client: PrismaClient, factory: object): void {
  for (const [name, { kind, statement }] of Object.entries(RAW)) {
    const original = (client as unknown as Record<string, Method>)[name]!;
    const method: Method = function (this: unknown, first: unknown, ...rest: unknown[]) {
      if (this !== client) return original.call(this, first, ...rest);
      return viaAdapter(factory, statement(first, rest), kind, () => original.call(client, first, ...rest));
    };
    Object.defineProperty(client, name, { value: method, configurable: true, writable: true });
  }
}

/** A promise that starts its work when first awaited (Prisma's raw promises are lazy too); Prisma's own path when the statement or the adapter is not at hand. */
function viaAdapter(factory: object, sql: { text: string; values: unknown[] } | null, kind: "query" | "execute", prisma: () => unknown): PromiseLike<unknown> {
  let started: Promise<unknown> | undefined;
  const start = () => {
    if (started) return started;
    const adapter = sql && connected.get(factory);
    started = adapter ? run(adapter, sql.text, sql.values, kind) : Promise.resolve(prisma());
    return started;
  };
  return {
    // biome-ignore lint/suspicious/noThenProperty: a lazy promise, as Prisma's
    then: (onFulfilled, onRejected) => start().then(onFulfilled, onRejected),
    catch: (onRejected: (reason: unknown) => unknown) => start().catch(onRejected),
    finally: (onFinally: () => void) => start().finally(onFinally),
    [Symbol.toStringTag]: "PrismaPromise",
  } as PromiseLike<unknown>;
}

/** Where the adapter transaction opened for the current `$transaction` callback is noted. */
interface Opening {
  transaction?: AdapterTransaction;
  closed?: boolean;
}
const opening = new AsyncLocalStorage<Opening>();

/** Called by the adapter wrapper as it opens a transaction (src/db/one-query-at-a-time.ts). */
export function noteOpenedTransaction(transaction: AdapterTransaction): void {
  const slot = opening.getStore();
  if (slot && !slot.transaction) slot.transaction = transaction;
}

/** Called as COMMIT or ROLLBACK is queued on the transaction: nothing may be sent after it. */
export function noteClosingTransaction(transaction: AdapterTransaction): void {
  closing.add(transaction);
}
const closing = new WeakSet<Queryable>();

/** Makes the client's interactive transactions send their raw SQL directly (see above). */
export function rawSqlInTransactions(client: PrismaClient): void {
  const original = client.$transaction.bind(client) as (arg: unknown, options?: unknown) => Promise<unknown>;
  const direct = (arg: unknown, options?: unknown) => {
    if (typeof arg !== "function") return original(arg, options);
    const slot: Opening = {};
    const callback = arg as (tx: Prisma.TransactionClient) => unknown;
    // A callback whose transaction was not seen opening (a Prisma upgrade moved it) keeps Prisma's path.
    return opening.run(slot, () => original((tx: Prisma.TransactionClient) => callback(slot.transaction ? direct_(tx, slot.transaction) : tx), options));
  };
  Object.defineProperty(client, "$transaction", { value: direct, configurable: true, writable: true });
}

type Method = (this: unknown, ...args: unknown[]) => unknown;
type Statement = { text: string; values: unknown[] };
const textSql = (text: unknown, values: unknown[]): Statement | null => (typeof text === "string" ? { text, values } : null);

/** The four raw methods: whether each answers rows or a count, and its statement (null: one left to Prisma). */
const RAW: Record<string, { kind: "query" | "execute"; statement: (first: unknown, rest: unknown[]) => Statement | null }> = {
  $queryRaw: { kind: "query", statement: (query, values) => templateSql(query, values) },
  $executeRaw: { kind: "execute", statement: (query, values) => templateSql(query, values) },
  $queryRawUnsafe: { kind: "query", statement: textSql },
  $executeRawUnsafe: { kind: "execute", statement: textSql },
};

function direct_(tx: Prisma.TransactionClient, transaction: AdapterTransaction): Prisma.TransactionClient {
  const methods = Object.fromEntries(
    Object.entries(RAW).map(([name, { kind, statement }]) => [
      name,
      (first: unknown, ...rest: unknown[]) => {
        const sql = statement(first, rest);
        return sql ? run(transaction, sql.text, sql.values, kind) : (tx as unknown as Record<string, Method>)[name]!.call(tx, first, ...rest);
      },
    ]),
  );
  return new Proxy(tx, {
    get: (target, property) => (typeof property === "string" && Object.hasOwn(methods, property) ? methods[property] : Reflect.get(target, property)),
  });
}

/** A tagged template's or a `Prisma.sql` fragment's text and values; null for anything else (left to Prisma). */
function templateSql(query: unknown, values: unknown[]): { text: string; values: unknown[] } | null {
  if (query instanceof Prisma.Sql) return values.length === 0 ? { text: query.text, values: query.values } : null;
  if (Array.isArray(query) && "raw" in query) {
    const sql = Prisma.sql(query as unknown as TemplateStringsArray, ...(values as Prisma.Sql[]));
    return { text: sql.text, values: sql.values };
  }
  return null;
}

const CLIENT_VERSION = Prisma.prismaVersion.client;

/** A transaction, or the adapter itself (outside transactions). */
type Queryable = Pick<AdapterTransaction, "queryRaw" | "executeRaw">;

async function run(transaction: Queryable, text: string, values: unknown[], kind: "query" | "execute"): Promise<unknown> {
  if (closing.has(transaction)) throw closedError();
  const args = values.map(argument);
  const query: SqlQuery = { sql: text, args, argTypes: args.map((value) => (Array.isArray(value) ? LIST : SCALAR)) };
  try {
    if (kind === "execute") return await transaction.executeRaw(query);
    return rows(await transaction.queryRaw(query));
  } catch (err) {
    throw asPrismaError(err, transaction);
  }
}

/*
 * Parameters as Prisma's raw queries send them: the adapter's own mapping (`mapArg`) formats dates
 * (UTC, as Prisma does), makes byte views Buffers and maps lists element by element; before it,
 * Prisma turns a bigint or a Decimal into its text and any other object into its JSON.
 */
const SCALAR: ArgType = { scalarType: "unknown", arity: "scalar", dbType: undefined } as unknown as ArgType;
const LIST: ArgType = { scalarType: "unknown", arity: "list", dbType: undefined } as unknown as ArgType;

function argument(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(argument);
  if (value instanceof Date || ArrayBuffer.isView(value)) return value;
  if (Prisma.Decimal.isDecimal(value)) return (value as Prisma.Decimal).toString();
  return JSON.stringify(value);
}

/*
 * Rows as Prisma's `$queryRaw` answers them, by the adapter's column types (the enum of
 * @prisma/driver-adapter-utils): int8 as bigint, numeric as Decimal, dates and times as Date,
 * JSON parsed, bytes as Uint8Array; the rest as `pg` parsed it.
 */
const Column = { Int32: 0, Int64: 1, Numeric: 4, Boolean: 5, Date: 8, Time: 9, DateTime: 10, Json: 11, Bytes: 13, Array: 64, Custom: 128 } as const;

function value(raw: unknown, type: number): unknown {
  if (raw === null || raw === undefined) return null;
  if (type >= Column.Array && type < Column.Custom) return Array.isArray(raw) ? raw.map((element) => value(element, type - Column.Array)) : raw;
  switch (type) {
    case Column.Int32:
      return typeof raw === "string" ? Math.trunc(Number(raw)) : typeof raw === "number" ? Math.trunc(raw) : raw;
    case Column.Int64:
      return typeof raw === "number" ? BigInt(Math.trunc(raw)) : BigInt(raw as string);
    case Column.Numeric:
      return new Prisma.Decimal(raw as string);
    case Column.Boolean:
      return typeof raw === "string" ? raw === "true" || raw === "1" : typeof raw === "number" ? raw === 1 : raw;
    case Column.Date:
    case Column.DateTime:
      return new Date(raw as string);
    case Column.Time:
      return new Date(`1970-01-01T${raw as string}Z`);
    case Column.Json:
      return typeof raw === "string" ? JSON.parse(raw) : raw;
    case Column.Bytes:
      return Array.isArray(raw) ? new Uint8Array(raw) : raw;
    default:
      return raw;
  }
}

function rows(result: ResultSet): Record<string, unknown>[] {
  const { columnNames, columnTypes } = result;
  return result.rows.map((row) => {
    const object: Record<string, unknown> = {};
    for (let i = 0; i < columnNames.length; i++) object[columnNames[i]!] = value(row[i], columnTypes[i]!);
    return object;
  });
}

/*
 * Errors as Prisma's raw queries throw them: a database error is `P2010` ("Raw query failed") with
 * the adapter's error under `meta.driverAdapterError` (whose `cause.originalCode` is PostgreSQL's
 * SQLSTATE); another error with a code keeps it; a statement on a closed transaction is `P2028`.
 */
function asPrismaError(err: unknown, transaction: Queryable): unknown {
  const e = err as { name?: string; message?: string; code?: unknown; cause?: { originalCode?: string; originalMessage?: string } };
  if (e?.name === "DriverAdapterError" && e.cause) {
    const message = `Raw query failed. Code: \`${e.cause.originalCode ?? "N/A"}\`. Message: \`${e.cause.originalMessage ?? e.message}\``;
    return new Prisma.PrismaClientKnownRequestError(message, { code: "P2010", clientVersion: CLIENT_VERSION, meta: { driverAdapterError: err } });
  }
  if (closing.has(transaction)) return closedError();
  if (typeof e?.code === "string" && typeof e.message === "string") {
    return new Prisma.PrismaClientKnownRequestError(e.message, { code: e.code, clientVersion: CLIENT_VERSION });
  }
  return err;
}

function closedError(): Error {
  return new Prisma.PrismaClientKnownRequestError("Transaction API error: Transaction already closed: a query cannot be executed on a closed transaction.", {
    code: "P2028",
    clientVersion: CLIENT_VERSION,
  });
}
