/**
 * The load generator, run by run.ts as a process of its own so it does not share an event loop with
 * either server: drives one URL with autocannon and prints a JSON summary on stdout.
 *
 *   tsx bench/load.ts '{"url":"http://127.0.0.1:5000","connections":50,"duration":20,"request":{…}}'
 */
import autocannon from "autocannon";
import type { RequestSpec } from "./scenarios/scenario.js";

interface LoadConfig {
  url: string;
  connections: number;
  duration: number;
  request: RequestSpec;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

const config = JSON.parse(process.argv[2]!) as LoadConfig;
const result = await autocannon({
  url: config.url,
  connections: config.connections,
  duration: config.duration,
  requests: [{ method: config.request.method, path: config.request.path, headers: config.request.headers, body: config.request.body }],
});
const summary: LoadResult = {
  requestsPerSecond: result.requests.total / config.duration,
  p50: result.latency.p50,
  p99: result.latency.p99,
  total: result.requests.total,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
};
process.stdout.write(JSON.stringify(summary));
