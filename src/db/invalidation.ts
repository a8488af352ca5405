import pg from "pg";
import type { Logger } from "pino";
import type { Prisma } from "./client.js";

/**
 * Cross-node cache invalidation over PostgreSQL LISTEN/NOTIFY. A change NOTIFYs inside its own
 * transaction, so every node hears of it exactly when it commits; each node LISTENs on one
 * dedicated connection and evicts what it cached. While that connection is down a node cannot
 * hear anything, so it must not trust its cache (`onDisconnected`).
 */
export const INVALIDATION_CHANNEL = "candle_invalidate";

export async function notifyInvalidation(tx: Pick<Prisma.TransactionClient, "$executeRaw">, message: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${INVALIDATION_CHANNEL}, ${message})`;
}

export interface InvalidationListener {
  stop(): Promise<void>;
}

export function startInvalidationListener(options: {
  connectionString: string;
  onMessage(message: string): void;
  onConnected(): void;
  onDisconnected(): void;
  logger: Pick<Logger, "warn">;
}): InvalidationListener {
  let client: pg.Client | undefined;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let delay = 250;

  const connect = async () => {
    if (stopped) return;
    const c = new pg.Client({ connectionString: options.connectionString });
    client = c;
    const lost = (err?: Error) => {
      if (client !== c) return;
      client = undefined;
      options.onDisconnected();
      c.removeAllListeners();
      c.on("error", () => {});
      c.end().catch(() => {});
      if (stopped) return;
      if (err) options.logger.warn({ err }, "cache invalidation channel lost; caches off until it is back");
      retry = setTimeout(connect, delay);
      retry.unref();
      delay = Math.min(delay * 2, 10_000);
    };
    c.on("error", lost);
    c.on("end", () => lost());
    c.on("notification", (n) => {
      if (n.channel === INVALIDATION_CHANNEL && n.payload) options.onMessage(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${INVALIDATION_CHANNEL}`);
      if (client !== c || stopped) return;
      delay = 250;
      options.onConnected();
    } catch (err) {
      lost(err as Error);
    }
  };
  void connect();

  return {
    async stop() {
      stopped = true;
      if (retry) clearTimeout(retry);
      const c = client;
      client = undefined;
      options.onDisconnected();
      if (c) {
        c.removeAllListeners();
        c.on("error", () => {});
        await c.end().catch(() => {});
      }
    },
  };
}
