// What a run reports as it goes, for live progress (the CLI's status bar, CI log lines).
import type { RequestRecord } from '../measure/records';

export type RunPhase = 'prepare' | 'topology' | 'steady-state' | 'warmup' | 'load' | 'recovery' | 'teardown';

export type RunEvent =
  | { type: 'phase'; drill: string; phase: RunPhase; detail?: string }
  | { type: 'load'; drill: string; total: number; rate: number }
  | { type: 'record'; drill: string; record: RequestRecord }
  | { type: 'fault'; drill: string; fault: string; target: string; state: 'injected' | 'reverted' | 'failed'; detail?: string }
  | { type: 'kept'; drill: string; endpoints: Record<string, string> };

/** The run's events with the drill's name filled in. */
export interface Emitter {
  emit(event: RunEvent): void;
  phase(phase: RunPhase, detail?: string): void;
}

export function emitter(drill: string, onEvent: (event: RunEvent) => void = () => undefined): Emitter {
  return {
    emit: onEvent,
    phase: (phase, detail) => onEvent({ type: 'phase', drill, phase, ...(detail ? { detail } : {}) }),
  };
}
