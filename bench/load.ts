/**
 * The load generator, run by run.ts as a process of its own so it does not share an event loop with
 * either server: drives one URL with autocannon and prints a JSON summary on stdout.
 *
 *   tsx bench/load.ts <config.json>
 *
 * The config names the requests: one repeated, or a pool handed out in turn across all connections
 * from `offset` on. A `consumable` pool (each request works once: a cart becomes a contract) stops
 * the run when it runs out, and the summary's rate is over the time actually run.
 */
import autocannon from "autocannon";
import { readFileSync } from "node:fs";
import type { RequestSpec } from "./scenarios/scenario.js";

export interface LoadConfig {
  url: string;
  connections: number;
  duration: number;
  requests: RequestSpec[];
  /** Where in `requests` to start. */
  offset: number;
  consumable: boolean;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Requests handed out (a pool's cursor moves on by this much). */
  issued: number;
  /** A consumable pool ran out before the duration was up. */
  exhausted: boolean;
  seconds: number;
}

const config = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadConfig;
let next = config.offset;
let exhausted = false;
let instance: autocannon.Instance | undefined;
const specs = config.requests;

const result = await new Promise<autocannon.Result>((resolve, reject) => {
  instance = autocannon(
    {
      url: config.url,
      connections: config.connections,
      duration: config.duration,
      requests: [
        {
          setupRequest: (request) => {
            if (config.consumable && next >= specs.length) {
              // Out of fresh requests: end the run. The connections' last turns until it stops ask
              // for /health (both servers answer it), rather than for a cart already used.
              if (!exhausted) setImmediate(() => instance?.stop());
              exhausted = true;
              return { ...request, method: "GET", path: "/health", headers: {}, body: undefined };
            }
            const spec = specs[next % specs.length]!;
            next += 1;
            return { ...request, method: spec.method, path: spec.path, headers: spec.headers ?? {}, body: spec.body };
          },
        },
      ],
    },
    (err, res) => (err ? reject(err) : resolve(res)),
  );
});
const seconds = Math.max(0.001, result.duration);
const summary: LoadResult = {
  requestsPerSecond: result.requests.total / seconds,
  p50: result.latency.p50,
  p99: result.latency.p99,
  total: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  issued: next - config.offset,
  exhausted,
  seconds,
};
process.stdout.write(JSON.stringify(summary));
