// Prometheus metrics of one server. Each server has its own registry so several can run in one process (tests).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelIdentity } from '../common/contract';

export type ModelChangeSource = 'startup' | 'reload' | 'sync';

export interface InferenceMetrics {
  registry: Registry;
  observeRequest(route: string, method: string, status: number, seconds: number): void;
  /** The model now served, or none. */
  setModel(identity: ModelIdentity | undefined): void;
  /** A reload or sync that loaded a model ("loaded") or refused one (outcome = the reason code). */
  countModelChange(source: ModelChangeSource, outcome: string): void;
  /** Sync lag in seconds, read at scrape time; call once. */
  watchSyncLag(read: () => number | undefined): void;
}

// From 100 µs: an in-process 1x100 inference takes ~0.1 ms, the whole request well under a millisecond.
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createMetrics(): InferenceMetrics {
  const registry = new Registry();
  const labelNames = ['route', 'method', 'status'] as const;
  const requests = new Counter({ name: 'inference_http_requests_total', help: 'HTTP requests answered', labelNames, registers: [registry] });
  const latency = new Histogram({
    name: 'inference_http_request_duration_seconds',
    help: 'Time from request start to the last byte of the response',
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const modelInfo = new Gauge({
    name: 'inference_model_info',
    help: 'The model served: 1 for its version, sha256 and precision',
    labelNames: ['version', 'sha256', 'precision'] as const,
    registers: [registry],
  });
  const ready = new Gauge({ name: 'inference_model_ready', help: '1 while a verified model is served', registers: [registry] });
  const changes = new Counter({
    name: 'inference_model_changes_total',
    help: 'Reloads and syncs by outcome: loaded, or the reason the new model was refused',
    labelNames: ['source', 'outcome'] as const,
    registers: [registry],
  });
  ready.set(0);
  return {
    registry,
    observeRequest(route, method, status, seconds) {
      const labels = { route, method, status: String(status) };
      requests.inc(labels);
      latency.observe(labels, seconds);
    },
    setModel(identity) {
      modelInfo.reset();
      if (identity) modelInfo.set({ ...identity }, 1);
      ready.set(identity ? 1 : 0);
    },
    countModelChange: (source, outcome) => changes.inc({ source, outcome }),
    // Registered only by a syncing standby: a primary has no lag to report, not a lag of zero.
    watchSyncLag(read) {
      new Gauge({
        name: 'inference_model_sync_lag_seconds',
        help: 'How long the standby has been behind the primary model (0 in sync)',
        registers: [registry],
        collect() {
          const lag = read();
          if (lag !== undefined) this.set(lag);
        },
      });
    },
  };
}
