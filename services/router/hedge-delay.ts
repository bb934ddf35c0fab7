export interface HedgeDelayOptions {
  /** A fixed delay in ms; when set, the adaptive estimate is not used. */
  fixedMs?: number;
  /** Percentile (0-100) of recent answer latencies after which a request is hedged. */
  percentile: number;
  /** Lower bound of the adaptive delay, so a very tight latency distribution does not hedge on jitter. */
  minMs: number;
  /**
   * Upper bound of the adaptive delay: a slow spell of the replica fills the window with its slow answers, and the
   * percentile would then hold every request that long before asking the other replica.
   */
  maxMs: number;
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
  /** Scratch copy the percentile is selected in, so the window keeps its order. */
  private readonly scratch: Float64Array;
  private count = 0;
  private next = 0;
  private cachedMs: number;
  private sinceComputed = 0;
  /** Its last attempt was overtaken by a hedge and it has not answered since (see overtaken). */
  private losing = false;

  constructor(private readonly opts: HedgeDelayOptions) {
    this.samples = new Float64Array(opts.windowSize);
    this.scratch = new Float64Array(opts.windowSize);
    this.cachedMs = opts.fixedMs ?? Math.max(opts.minMs, opts.initialMs);
  }

  /** Samples one answer latency; the delay is recomputed here, after the answer was sent, not when a request starts. */
  record(latencyMs: number): void {
    this.losing = false;
    if (this.opts.fixedMs !== undefined) return;
    this.samples[this.next] = latencyMs;
    this.next = (this.next + 1) % this.samples.length;
    this.count = Math.min(this.count + 1, this.samples.length);
    this.sinceComputed += 1;
    if (this.sinceComputed >= RECOMPUTE_EVERY && this.count >= MIN_SAMPLES) {
      this.sinceComputed = 0;
      const index = Math.max(0, Math.min(this.count - 1, Math.ceil((this.opts.percentile / 100) * this.count) - 1));
      this.scratch.set(this.count === this.samples.length ? this.samples : this.samples.subarray(0, this.count));
      this.cachedMs = Math.min(this.opts.maxMs, Math.max(this.opts.minMs, select(this.scratch, this.count, index)));
    }
  }

  /**
   * Its attempt was overtaken by a hedge: its latency has left the window the percentile was taken over (a
   * latency fault, a stall). Until it answers again the adaptive delay is its floor, so the requests sent before
   * the breaker's slow threshold takes it out do not each wait out a percentile that no longer describes it.
   * Measured in the latency drill under 95 % CPU pressure: for ~120 ms after the fault took effect, answers (all
   * the standby's) took 35-61 ms, the p95 of the primary's latency on that machine, then 2-10 ms once the primary's
   * breaker opened after 10 lost hedges.
   */
  overtaken(): void {
    this.losing = true;
  }

  delayMs(): number {
    return this.losing && this.opts.fixedMs === undefined ? this.opts.minMs : this.cachedMs;
  }
}

/**
 * The k-th smallest of a[0, n) (Hoare's selection; reorders a): linear time, where sorting the window on every
 * recomputation cost the gateway more than any other step after an answer was sent.
 */
export function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i += 1;
      while (a[j]! > pivot) j -= 1;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i += 1;
        j -= 1;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}
