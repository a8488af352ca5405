/**
 * The load generator, run by run.ts as a process of its own so it does not share an event loop with
 * either server: drives one URL with autocannon and prints a JSON summary on stdout.
 *
 *   tsx bench/load.ts <config.json>
 *
 * The config names the requests: one repeated, or a pool handed out in turn across all connections
 * from `offset` on. A `consumable` pool (each request works once: a cart becomes a contract) stops
 * the run when it runs out, and the summary's rate is over the time actually run.
 *
 * With `rate`, the load is open-loop instead: requests are sent on a fixed schedule (`rate` per
 * second, evenly spaced) whatever the answers, over keep-alive connections (up to `connections`,
 * more waiting in line), and each latency counts from when its request was due, not from when a
 * connection was free to send it — so a stall shows up in every request it delayed, as a user
 * would feel it (no coordinated omission). autocannon's own rate option sends each second's quota
 * in a burst, which measures the burst.
 */
import autocannon from "autocannon";
import { appendFileSync, readFileSync } from "node:fs";
import http from "node:http";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import type { RequestSpec } from "./scenarios/scenario.js";

export interface LoadConfig {
  url: string;
  connections: number;
  duration: number;
  requests: RequestSpec[];
  /** Where in `requests` to start. */
  offset: number;
  consumable: boolean;
  /** Requests per second on a fixed schedule (open loop); unset: closed loop, each connection as fast as answers come. */
  rate?: number;
  /**
   * With `rate` or `overload`: seconds sent before the measured `duration`, not counted (the
   * generator's own start — a fresh process compiling its code, its first connections — had put
   * a few hundred ms of its own at the head of every run, the baseline's as much as the API's).
   */
  warmup?: number;
  /** Closed loop counting the accepted (2xx) and the shed (503) answers apart: `--overload`. */
  overload?: boolean;
  /** With `overload`: after a 503, a connection waits the `Retry-After` it was given before its next request (as a client should); unset, it resends at once. */
  honourRetryAfter?: boolean;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  p999: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Requests handed out (a pool's cursor moves on by this much). */
  issued: number;
  /** Fixed rate: the slowest answer (ms) and when it was due (seconds into the measured run): a stall, or a slope. */
  worst?: { ms: number; at: number };
  /** Fixed rate, when the pool cycles through a few distinct requests (search's eight): each one's count, p50 and p99 (ms). */
  byRequest?: { path: string; n: number; p50: number; p99: number }[];
  /** A consumable pool ran out before the duration was up. */
  exhausted: boolean;
  seconds: number;
  /** With `overload`: answers 503 (shed), and the 2xx answers' p99 (the others' latency is left out). */
  shed?: number;
  acceptedP99?: number;
  /** With `overload`: connections opened, and how many took a second or more to open (a SYN the server's full accept queue dropped waits the kernel's 1 s retransmission). */
  connects?: number;
  slowConnects?: number;
  /** With `overload`: the share (%) of accepted answers that took over 250 ms. */
  acceptedOver250?: number;
  /** Overload: the accepted answers' p99 (ms) among the requests sent while the clients connected (the warm-up). */
  openingP99?: number;
  /** Overload: this process's own event-loop delay, p99 in ms — time the client itself took to notice answers, counted in their latency. */
  clientLoopDelayP99?: number;
}

const config = JSON.parse(readFileSync(process.argv[2]!, "utf8")) as LoadConfig;
let next = config.offset;
let exhausted = false;
let instance: autocannon.Instance | undefined;
const specs = config.requests;

async function closedLoop(): Promise<LoadResult> {
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
  return {
    requestsPerSecond: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    issued: next - config.offset,
    exhausted,
    seconds,
  };
}

/**
 * BENCH_SLOW_LOG=<file>: a fixed-rate run appends to the file each answer slower than 20 ms (when it
 * was due, in epoch ms, its latency and path), and every stall of this process's own event loop
 * (with the CPU its thread used meanwhile) and garbage collection over 3 ms, so that a tail can be
 * laid beside the server's own stalls (docs/benchmarks.md, "Where a tail comes from").
 */
const SLOW_LOG = process.env.BENCH_SLOW_LOG;
const slow: string[] = [];
if (SLOW_LOG) {
  let last = performance.now();
  let lastCpu = process.threadCpuUsage();
  setInterval(() => {
    const now = performance.now();
    const cpu = process.threadCpuUsage();
    const lag = now - last - 2;
    if (lag > 8)
      slow.push(`${(performance.timeOrigin + last).toFixed(0)} client-stall ${lag.toFixed(1)} cpu ${((cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000).toFixed(1)}`);
    last = now;
    lastCpu = cpu;
  }, 2).unref();
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (e.duration > 3) slow.push(`${(performance.timeOrigin + e.startTime).toFixed(0)} client-gc ${e.duration.toFixed(1)}`);
  }).observe({ entryTypes: ["gc"] });
}

/** The fixed-rate run (see above): latencies from each request's due time, in ms with fractions. */
async function openLoop(rate: number): Promise<LoadResult> {
  const target = new URL(config.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.connections });
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  const begun = performance.now();
  // Counted from here: what is due before is sent on the same schedule, and not counted.
  const started = begun + (config.warmup ?? 0) * 1000;
  const interval = 1000 / rate;
  const until = started + config.duration * 1000;
  let due = begun;
  let worst = { latency: 0, at: 0 };
  // Latencies per request too, when there are few distinct ones: which of them makes the tail.
  const paths = new Set(specs.map((spec) => spec.path));
  const perPath = paths.size > 1 && paths.size <= BY_REQUEST_MAX ? new Map([...paths].map((path) => [path, [] as number[]])) : undefined;
  const send = (spec: RequestSpec, at: number) => {
    inFlight += 1;
    const request = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: spec.method,
        path: spec.path,
        headers: { ...(spec.headers ?? {}), ...(spec.body ? { "content-length": Buffer.byteLength(spec.body) } : {}) },
        agent,
      },
      (res) => {
        res.resume();
        res.once("end", () => {
          inFlight -= 1;
          if (at < started) return;
          const latency = performance.now() - at;
          if (res.statusCode! >= 200 && res.statusCode! < 300) {
            latencies.push(latency);
            perPath?.get(spec.path)?.push(latency);
          } else non2xx += 1;
          if (latency > worst.latency) worst = { latency, at: (at - started) / 1000 };
          if (SLOW_LOG && latency > 20) slow.push(`${(performance.timeOrigin + at).toFixed(0)} ${latency.toFixed(1)} ${spec.path}`);
        });
      },
    );
    request.once("error", () => {
      inFlight -= 1;
      if (at >= started) errors += 1;
    });
    request.end(spec.body);
  };
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (due <= now && due < until) {
        if (config.consumable && next >= specs.length) {
          exhausted = true;
          break;
        }
        send(specs[next % specs.length]!, due);
        next += 1;
        due += interval;
      }
      if (due >= until || exhausted) resolve();
      else setTimeout(tick, Math.max(0, Math.min(1, due - performance.now())));
    };
    tick();
  });
  const issuedUntil = performance.now();
  // Answers still on their way count (their latency is the point), for up to 10 s.
  while (inFlight > 0 && performance.now() - issuedUntil < 10_000) await new Promise((r) => setTimeout(r, 5));
  agent.destroy();
  if (SLOW_LOG)
    appendFileSync(
      SLOW_LOG,
      slow
        .splice(0)
        .map((line) => `${line}\n`)
        .join(""),
    );
  const seconds = (Math.min(issuedUntil, until) - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => quantile(latencies, q);
  return {
    requestsPerSecond: latencies.length / Math.max(0.001, seconds),
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    total: latencies.length + non2xx,
    non2xx,
    errors: errors + inFlight,
    timeouts: inFlight,
    issued: next - config.offset,
    exhausted,
    seconds,
    worst: { ms: Math.round(worst.latency), at: Math.round(worst.at * 10) / 10 },
    ...(perPath
      ? {
          byRequest: [...perPath].map(([path, values]) => {
            values.sort((a, b) => a - b);
            return { path, n: values.length, p50: quantile(values, 0.5), p99: quantile(values, 0.99) };
          }),
        }
      : {}),
  };
}

/** The q-quantile of sorted latencies (ms), to a tenth; 0 for none. */
function quantile(sorted: number[], q: number): number {
  return sorted.length ? Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 10) / 10 : 0;
}

/** At most this many distinct requests get latencies of their own (byRequest). */
const BY_REQUEST_MAX = 16;

/**
 * The overload run: `connections` clients, each sending its next request when the last was answered
 * (a closed loop, like autocannon's), timing each answer and keeping the accepted (2xx) answers'
 * latencies apart from the shed ones (503 `server_busy`, answered at once) — autocannon reports one
 * latency distribution for all. Requests still unanswered at the end count as errors. With
 * `honourRetryAfter`, a connection answered 503 waits its `Retry-After` (seconds) before the next.
 */
async function overloadLoop(): Promise<LoadResult> {
  const target = new URL(config.url);
  // Each client keeps its connection while it waits a Retry-After, as a browser would: the agent's
  // default keeps 256 idle sockets and closes the rest, so past 256 clients most would reconnect
  // after every 503 (and wait in the agent's queue while their old socket closed).
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.connections, maxFreeSockets: config.connections });
  const accepted: number[] = [];
  let shed = 0;
  let non2xx = 0;
  let errors = 0;
  let inFlight = 0;
  let connects = 0;
  let slowConnects = 0;
  // 1000 sockets on one event loop, sharing two cores with the node and PostgreSQL: how late this
  // process itself notices an answer is part of every latency it records.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const begun = performance.now();
  // The clients all connect at once: what they send in the first `warmup` seconds is measured apart
  // (`openingP99`), and the step's figures count from there, as every other run counts after its warm-up.
  const started = begun + (config.warmup ?? 0) * 1000;
  const opening: number[] = [];
  const until = started + config.duration * 1000;
  /** Resolves to the seconds a 503 asked to wait (0 otherwise). */
  const once = (spec: RequestSpec) =>
    new Promise<number>((resolve) => {
      const at = performance.now();
      inFlight += 1;
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: spec.method,
          path: spec.path,
          headers: { ...(spec.headers ?? {}), ...(spec.body ? { "content-length": Buffer.byteLength(spec.body) } : {}) },
          agent,
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.once("end", () => {
            inFlight -= 1;
            const status = res.statusCode!;
            if (at < started) {
              if (status >= 200 && status < 300) opening.push(performance.now() - at);
            } else if (status >= 200 && status < 300) accepted.push(performance.now() - at);
            else if (status === 503) shed += 1;
            else non2xx += 1;
            resolve(status === 503 ? Number(res.headers["retry-after"] ?? 1) || 1 : 0);
          });
        },
      );
      request.once("error", () => {
        inFlight -= 1;
        errors += 1;
        resolve(0);
      });
      request.once("timeout", () => request.destroy(new Error("timeout")));
      request.once("socket", (socket) => {
        if (!socket.connecting) return;
        const opening = performance.now();
        socket.once("connect", () => {
          connects += 1;
          if (performance.now() - opening >= 1_000) slowConnects += 1;
        });
      });
      request.end(spec.body);
    });
  const client = async () => {
    while (performance.now() < until) {
      const wait = await once(specs[next % specs.length]!);
      next += 1;
      if (wait > 0 && config.honourRetryAfter) await new Promise((r) => setTimeout(r, Math.max(0, Math.min(wait * 1000, until - performance.now()))));
    }
  };
  await Promise.all(Array.from({ length: config.connections }, client));
  loopDelay.disable();
  agent.destroy();
  const seconds = (performance.now() - started) / 1000;
  accepted.sort((a, b) => a - b);
  opening.sort((a, b) => a - b);
  const at = (q: number, list = accepted) => quantile(list, q);
  return {
    openingP99: at(0.99, opening),
    requestsPerSecond: accepted.length / Math.max(0.001, seconds),
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    total: accepted.length + shed + non2xx,
    non2xx: shed + non2xx,
    errors: errors + inFlight,
    timeouts: inFlight,
    issued: next - config.offset,
    exhausted: false,
    seconds,
    shed,
    acceptedP99: at(0.99),
    connects,
    slowConnects,
    acceptedOver250: accepted.length ? (100 * accepted.filter((ms) => ms > 250).length) / accepted.length : 0,
    clientLoopDelayP99: Math.max(0, loopDelay.percentile(99) / 1e6 - 10),
  };
}

const summary = config.overload ? await overloadLoop() : config.rate ? await openLoop(config.rate) : await closedLoop();
process.stdout.write(JSON.stringify(summary));
