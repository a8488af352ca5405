/**
 * The bound on requests in flight, adapted to what the node answers now. A fixed bound keeps a
 * node's queue short only while its throughput holds: an accepted request waits about
 * bound ÷ throughput (Little's law), so the same 64 that cost ~120 ms on an idle two-core node cost
 * half a second when the database or a neighbour slows it fourfold. So, in windows of a quarter
 * second: when the node refused requests (it is full) and the accepted ones' 90th percentile took
 * longer than the target, the bound drops to throughput × target (at least one less, never below
 * `min`); whenever that percentile is within the target, it climbs back by a tenth (at least one),
 * up to `max`. A node that is not full keeps its bound whatever its latency — slow routes or a
 * slow machine alone are no reason to refuse anyone.
 */
export interface InFlightLimitOptions {
  /** The configured bound (LOAD_MAX_IN_FLIGHT): never exceeded. */
  max: number;
  /** Never lowered below this. */
  min: number;
  /** The accepted requests' 90th percentile to keep, ms (0: the bound stays `max`). */
  targetMs: number;
  now: () => number;
}

/** Latencies kept per window: a quarter second at 40 000 answers a second; beyond, the rest of the window is not sampled. */
const SAMPLE_CAP = 10_000;
export const WINDOW_MS = 250;

export class InFlightLimit {
  private value: number;
  private latencies: number[] = [];
  private refusals = 0;
  private windowStart: number;

  constructor(private readonly options: InFlightLimitOptions) {
    this.value = options.max;
    this.windowStart = options.now();
  }

  /** The bound now. */
  current(): number {
    return this.value;
  }

  /** A request refused because the bound was reached. */
  refused(): void {
    this.refusals += 1;
  }

  /** A counted request answered after `ms` in the node. */
  answered(ms: number): void {
    if (this.latencies.length < SAMPLE_CAP) this.latencies.push(ms);
  }

  /** Ends a window (every WINDOW_MS): the bound for the next one. */
  adjust(): number {
    const { max, min, targetMs, now } = this.options;
    const at = now();
    const seconds = Math.max(0.001, (at - this.windowStart) / 1000);
    this.windowStart = at;
    const answered = this.latencies;
    const refusals = this.refusals;
    this.latencies = [];
    this.refusals = 0;
    if (targetMs <= 0) return this.value;
    const p90 = answered.length ? percentile(answered, 0.9) : 0;
    if (p90 > targetMs) {
      // Still full and slow: what the node answered per second, times the wait allowed, is the most it should hold.
      if (refusals > 0 && answered.length > 0) this.value = Math.max(min, Math.min(this.value - 1, Math.floor((answered.length / seconds) * (targetMs / 1000))));
    } else {
      this.value = Math.min(max, this.value + Math.max(1, Math.ceil(this.value / 10)));
    }
    return this.value;
  }
}

function percentile(values: number[], q: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
