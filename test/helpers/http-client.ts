import http from "node:http";

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ms: number;
}

/**
 * One HTTP request exactly as given — path bytes, headers and body untouched (fetch would
 * normalise the path and refuse some headers) — on a connection of its own, so one request's
 * fate never spills onto the next; timed from sending to the last byte.
 */
export function rawRequest(
  port: number,
  options: { method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const body = options.body === undefined ? undefined : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body, "utf8");
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: options.method,
        path: options.path,
        agent: false,
        headers: { ...options.headers, ...(body ? { "content-length": String(body.length) } : {}) },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        let ended = false;
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          ended = true;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started });
        });
        res.on("error", reject);
        res.on("close", () => {
          if (!ended) reject(new Error("the connection closed before the answer was complete"));
        });
      },
    );
    // Once an answer has begun, a failed write of the rest of the body (a server refusing a body
    // too large and closing) is not the outcome: the answer is.
    let responded = false;
    req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    req.on("error", (err) => {
      if (!responded) reject(err);
    });
    req.end(body);
  });
}

/** Polls `path` until it answers 200 (a server booting), failing after `timeoutMs` or when `alive()` turns false. */
export async function waitUntilReady(port: number, options: { path?: string; timeoutMs?: number; alive?: () => boolean } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  let last = "";
  while (Date.now() < deadline) {
    if (options.alive && !options.alive()) throw new Error(`the server exited before ${options.path ?? "/ready"} answered`);
    try {
      const res = await rawRequest(port, { method: "GET", path: options.path ?? "/ready", timeoutMs: 2_000 });
      if (res.status === 200) return;
      last = `${res.status} ${res.body}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${options.path ?? "/ready"} did not answer 200 within ${options.timeoutMs ?? 90_000} ms (last: ${last})`);
}
