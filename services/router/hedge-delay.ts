export interface HedgeDelayOptions {
  /** A fixed delay in ms; when set, the adaptive estimate is not used. */
  fixedMs?: number;
  /** Percentile (0-100) of recent answer latencies after which a request is hedged. */
  percentile: number;
  /** Lower bound of the adaptive delay, so a very tight latency distribution does not hedge on jitter. */
  minMs: number;
  /** Number of recent answer latencies the percentile is taken over. */
  windowSize: number;
  /** The delay until MIN_SAMPLES answers are known: new connections are slow, and a guess from two samples is noise. */
  initialMs: number;
}

/** Answers sampled before the percentile is trusted. */
const MIN_SAMPLES = 10;
/** New answers between two recomputations: sorting the window on every request would cost more than it tells. */
const RECOMPUTE_EVERY = 10;

/**
 * How long to wait for a replica before sending the same request to the other one: by default a high
 * percentile of that replica's recent answer latencies ("The Tail at Scale"), so about (100 - percentile) %
 * of requests are hedged whatever the absolute latency is. Only answers are sampled: an attempt that was
 * overtaken by its hedge has no latency to report, so a replica that turns slow does not drag the delay up.
 */
export class HedgeDelay {
  private readonly samples: Float64Array;
  private count = 0;
  private next = 0;
  private cachedMs: number;
  private sinceComputed = 0;

  constructor(private readonly opts: HedgeDelayOptions) {
    this.samples = new Float64Array(opts.windowSize);
    this.cachedMs = opts.fixedMs ?? Math.max(opts.minMs, opts.initialMs);
  }

  record(latencyMs: number): void {
    if (this.opts.fixedMs !== undefined) return;
    this.samples[this.next] = latencyMs;
    this.next = (this.next + 1) % this.samples.length;
    this.count = Math.min(this.count + 1, this.samples.length);
    this.sinceComputed += 1;
  }

  delayMs(): number {
    if (this.sinceComputed >= RECOMPUTE_EVERY && this.count >= MIN_SAMPLES) {
      this.sinceComputed = 0;
      const sorted = this.samples.slice(0, this.count).sort();
      const index = Math.min(this.count - 1, Math.ceil((this.opts.percentile / 100) * this.count) - 1);
      this.cachedMs = Math.max(this.opts.minMs, sorted[Math.max(0, index)] ?? 0);
    }
    return this.cachedMs;
  }
}
