import http from "node:http";
import type { AddressInfo } from "node:net";

/** A request a receiver got, with its raw body. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** 0-based order of arrival. */
  index: number;
}

/** How to answer: a status (and body, headers), or "hang" to never answer. */
export type ReceiverReply = { status: number; body?: string; headers?: Record<string, string> } | "hang";

/** A real HTTP server on loopback standing in for a platform's webhook receiver. */
export async function startReceiver(initial: (request: ReceivedRequest) => ReceiverReply = () => ({ status: 200, body: "ok" })) {
  const requests: ReceivedRequest[] = [];
  let reply = initial;
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const received: ReceivedRequest = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        index: requests.length,
      };
      requests.push(received);
      for (const w of waiters) w();
      const answer = reply(received);
      if (answer === "hang") return;
      res.writeHead(answer.status, { "content-type": "text/plain", ...(answer.headers ?? {}) });
      res.end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    /** Changes how later requests are answered. */
    answer(next: (request: ReceivedRequest) => ReceiverReply) {
      reply = next;
    },
    /** Resolves once `count` requests matching `predicate` arrived. */
    waitFor(count: number, predicate: (r: ReceivedRequest) => boolean = () => true, timeoutMs = 20_000): Promise<ReceivedRequest[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const matching = requests.filter(predicate);
          if (matching.length >= count) {
            cleanup();
            resolve(matching);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out waiting for ${count} request(s); got ${requests.length}: ${requests.map((r) => r.headers["candle-event-type"]).join(", ")}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
