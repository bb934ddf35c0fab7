import { setTimeout as sleep } from 'node:timers/promises';
import { type LoadSteps, timed } from './load-steps';

describe('timed', () => {
  it('records how long a step took, adds up repeated steps and leaves others out', async () => {
    const steps: LoadSteps = {};
    await expect(timed(steps, 'sha256', async () => { await sleep(20); return 7; })).resolves.toBe(7);
    await timed(steps, 'sha256', () => sleep(20));
    expect(steps.sha256).toBeGreaterThanOrEqual(38);
    expect(steps.sha256).toBeLessThan(1000);
    expect(Object.keys(steps)).toEqual(['sha256']);
  });

  it('records a step that throws, and rethrows', async () => {
    const steps: LoadSteps = {};
    await expect(timed(steps, 'session', () => { throw new Error('unparseable'); })).rejects.toThrow('unparseable');
    expect(steps.session).toBeGreaterThanOrEqual(0);
  });
});
