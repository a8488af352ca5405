import type { PrismaPg } from "@prisma/adapter-pg";
import { noteClosingTransaction, noteConnectedAdapter, noteOpenedTransaction } from "./raw-sql.js";

type Adapter = Awaited<ReturnType<PrismaPg["connect"]>>;
type Transaction = Awaited<ReturnType<Adapter["startTransaction"]>>;

/**
 * Makes each interactive transaction send its queries one at a time.
 *
 * Prisma's query interpreter loads an `include`'s relations in parallel (`Promise.all` over the
 * children of a join node). Outside a transaction each child takes a connection of its own; inside
 * one they all go to the transaction's single `pg` client, which queues them itself but warns
 * ("Calling client.query() when the client is already executing a query is deprecated", removed in
 * pg 9) — `POST /v1/users` did it on every call. Queueing here instead sends exactly the same
 * statements in the same order, so nothing changes on the wire.
 */
export function oneQueryAtATimeInTransactions(factory: PrismaPg): PrismaPg {
  const connect = factory.connect.bind(factory);
  factory.connect = async () => {
    const adapter = await connect();
    const startTransaction = adapter.startTransaction.bind(adapter);
    adapter.startTransaction = async (isolationLevel) => serialize(await startTransaction(isolationLevel));
    // Raw SQL outside transactions comes to this adapter directly (src/db/raw-sql.ts), while it is connected.
    const dispose = adapter.dispose.bind(adapter);
    adapter.dispose = () => {
      noteConnectedAdapter(factory, null);
      return dispose();
    };
    noteConnectedAdapter(factory, adapter);
    return adapter;
  };
  return factory;
}

function serialize(tx: Transaction): Transaction {
  let tail: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(run: () => Promise<T>): Promise<T> => {
    const result = tail.then(run, run);
    tail = result.catch(() => {});
    return result;
  };
  const queryRaw = tx.queryRaw.bind(tx);
  const executeRaw = tx.executeRaw.bind(tx);
  const commit = tx.commit.bind(tx);
  const rollback = tx.rollback.bind(tx);
  tx.queryRaw = (query) => inTurn(() => queryRaw(query));
  tx.executeRaw = (query) => {
    // Prisma ends a transaction by sending COMMIT or ROLLBACK through here, then releasing the connection.
    if (query.sql === "COMMIT" || query.sql === "ROLLBACK") noteClosingTransaction(tx);
    return inTurn(() => executeRaw(query));
  };
  tx.commit = () => {
    noteClosingTransaction(tx);
    return commit();
  };
  tx.rollback = () => {
    noteClosingTransaction(tx);
    return rollback();
  };
  // The transaction's own raw SQL comes here directly (src/db/raw-sql.ts), in the same queue.
  noteOpenedTransaction(tx);
  return tx;
}
