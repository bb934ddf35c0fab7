import type { Role } from '../common/contract';

/** How an attempt against a replica failed; decides how hard the replica is penalised. */
export type FailureKind = 'connection' | 'timeout' | 'server_error' | 'invalid_body';

export interface HealthThresholds {
  /** Consecutive 5xx / invalid-body failures that mark a replica down (connection failures and timeouts mark it down at once). */
  failureThreshold: number;
  /** Consecutive healthy /readyz probes that bring a down replica back. */
  recoveryThreshold: number;
}

export interface ReplicaSnapshot {
  role: Role;
  url: string;
  state: 'up' | 'down';
  consecutiveFailures: number;
  consecutiveHealthyProbes: number;
  /** The last failed client request; probes never overwrite it. */
  lastError: { kind: FailureKind; message: string; at: string } | null;
  lastProbe: { healthy: boolean; message: string; at: string } | null;
}

export interface ReplicaStateChange {
  role: Role;
  url: string;
  state: 'up' | 'down';
  reason: string;
}

/**
 * Up/down bookkeeping for one replica. Real traffic marks a replica down; only /readyz probes bring it back,
 * so a failed replica costs no client request a timeout until it has proven itself healthy again.
 */
export class ReplicaState {
  private down = false;
  private consecutiveFailures = 0;
  private consecutiveHealthyProbes = 0;
  private lastError: ReplicaSnapshot['lastError'] = null;
  private lastProbe: ReplicaSnapshot['lastProbe'] = null;

  constructor(
    readonly role: Role,
    readonly url: string,
    private readonly thresholds: HealthThresholds,
    private readonly onChange: (change: ReplicaStateChange) => void,
  ) {}

  get isUp(): boolean {
    return !this.down;
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
  }

  recordFailure(kind: FailureKind, message: string): void {
    this.consecutiveFailures += 1;
    this.lastError = { kind, message, at: new Date().toISOString() };
    // A refused, reset or silent replica will very likely do the same to the next request: stop sending at once.
    const immediate = kind === 'connection' || kind === 'timeout';
    if (!this.down && (immediate || this.consecutiveFailures >= this.thresholds.failureThreshold)) {
      this.setDown(true, `${kind}: ${message}`);
    }
  }

  recordProbe(healthy: boolean, message: string): void {
    this.lastProbe = { healthy, message, at: new Date().toISOString() };
    if (!healthy) {
      this.consecutiveHealthyProbes = 0;
      return;
    }
    this.consecutiveHealthyProbes += 1;
    if (this.down && this.consecutiveHealthyProbes >= this.thresholds.recoveryThreshold) {
      this.setDown(false, `${this.consecutiveHealthyProbes} consecutive healthy readiness probes`);
    }
  }

  snapshot(): ReplicaSnapshot {
    return {
      role: this.role,
      url: this.url,
      state: this.down ? 'down' : 'up',
      consecutiveFailures: this.consecutiveFailures,
      consecutiveHealthyProbes: this.consecutiveHealthyProbes,
      lastError: this.lastError,
      lastProbe: this.lastProbe,
    };
  }

  private setDown(down: boolean, reason: string): void {
    this.down = down;
    this.consecutiveHealthyProbes = 0;
    if (!down) this.consecutiveFailures = 0;
    this.onChange({ role: this.role, url: this.url, state: down ? 'down' : 'up', reason });
  }
}
