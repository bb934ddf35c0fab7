import type { ModelLoad } from '../../services/inference/model-manager';
import type { JournalFault } from '../report/journal';
import { recoverySteps } from './recovery';

const restart: JournalFault = {
  fault: 'restart', target: 'primary', at: 1500, attributes: {}, requestedAtMs: 1500.2, effectiveAtMs: 1530.4,
  effect: { method: 'refused connect', resolutionMs: 1, acceptingAgainAtMs: 24_630.9 },
};
const load: ModelLoad = {
  at: '2026-11-29T21:40:00.000Z', source: 'startup', outcome: 'loaded', version: 'v1', sha256: 'ab', bytes: 1_073_741_824,
  totalMs: 22_950, steps: { read: 900, sha256: 5400, session: 16_500, probes: 8, swap: 0 },
};

describe('recoverySteps', () => {
  it('turns a restart into stopped -> accepting again, and lists each replica\'s model loads with their steps', () => {
    const steps = recoverySteps([restart], { primary: [load], standby: [] }, '2026-11-29T21:39:00.000Z');
    expect(steps).toEqual([
      { replica: 'primary', event: 'restart: stopped -> accepting again', outcome: 'accepting', atMs: 1530.4, totalMs: 23_101, steps: {} },
      { replica: 'primary', event: 'startup load', outcome: 'loaded', at: load.at, totalMs: 22_950, steps: load.steps, bytes: load.bytes, version: 'v1' },
    ]);
  });

  it('leaves out faults that never accepted again (a crash, or a restart whose port stayed shut)', () => {
    const crash: JournalFault = { ...restart, fault: 'crash', effect: { method: 'refused connect', resolutionMs: 1 } };
    expect(recoverySteps([crash], {}, '2026-11-29T21:39:00.000Z')).toEqual([]);
  });

  it('leaves out loads that finished before the drill started (an earlier drill on a reused topology)', () => {
    const earlier = { ...load, at: '2026-11-29T21:38:59.999Z' };
    expect(recoverySteps([], { primary: [earlier, load] }, '2026-11-29T21:39:00.000Z').map((r) => r.at)).toEqual([load.at]);
  });
});
