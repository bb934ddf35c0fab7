import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Role } from '../common/contract';
import type { AttemptResult, Upstream } from './upstream';

/** How a client request was answered: see the x-failover header. `panic`: by a replica whose breaker is open (see RouterOptions.panicRouting). */
export type FailoverMode = 'none' | 'retry' | 'hedge' | 'breaker' | 'panic';

const LATENCY_BUCKETS_S = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1];

/** The gateway's Prometheus metrics, in a registry of its own so several gateways can share a process. */
export class RouterMetrics {
  readonly registry = new Registry();
  private readonly attempts: Counter<'replica' | 'outcome'>;
  private readonly attemptSeconds: Histogram<'replica' | 'outcome'>;
  private readonly requests: Counter<'served_by' | 'failover' | 'status'>;
  private readonly requestSeconds: Histogram<'failover'>;
  private readonly hedges: Counter<'replica' | 'winner'>;

  constructor(upstreams: readonly Upstream[]) {
    const registers = [this.registry];
    this.attempts = new Counter({
      name: 'router_replica_requests_total',
      help: 'Attempts sent to a replica, by outcome: answer, or the failure kind (connection, timeout, server_error, invalid_body, wrong_model, slow, cancelled).',
      labelNames: ['replica', 'outcome'],
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: 'router_replica_request_duration_seconds',
      help: 'Duration of one attempt on one replica.',
      labelNames: ['replica', 'outcome'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.requests = new Counter({
      name: 'router_requests_total',
      help: 'Client rank requests, by the replica that served them (none for a 503), how (x-failover) and status.',
      labelNames: ['served_by', 'failover', 'status'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'router_request_duration_seconds',
      help: 'Client rank request duration inside the gateway, by x-failover.',
      labelNames: ['failover'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.hedges = new Counter({
      name: 'router_hedges_total',
      help: 'Hedged requests, by the replica hedged to and which attempt answered first (hedge, original, none).',
      labelNames: ['replica', 'winner'],
      registers,
    });
    new Gauge({
      name: 'router_breaker_open',
      help: 'Whether the replica\'s circuit breaker is open (1) or closed (0).',
      labelNames: ['replica'],
      registers,
      collect() {
        for (const u of upstreams) this.set({ replica: u.role }, u.state.isUp ? 0 : 1);
      },
    });
    new Gauge({
      name: 'router_hedge_delay_seconds',
      help: 'Current hedge delay for requests sent first to the replica.',
      labelNames: ['replica'],
      registers,
      collect() {
        for (const u of upstreams) this.set({ replica: u.role }, u.hedgeDelay.delayMs() / 1000);
      },
    });
  }

  attempt(replica: Role, result: AttemptResult, seconds: number): void {
    const outcome = result.outcome === 'answer' ? 'answer' : result.kind;
    this.attempts.inc({ replica, outcome });
    this.attemptSeconds.observe({ replica, outcome }, seconds);
  }

  request(servedBy: Role | 'none', failover: FailoverMode | 'none', status: number, seconds: number): void {
    this.requests.inc({ served_by: servedBy, failover, status: String(status) });
    this.requestSeconds.observe({ failover }, seconds);
  }

  hedge(replica: Role, winner: 'hedge' | 'original' | 'none'): void {
    this.hedges.inc({ replica, winner });
  }
}
