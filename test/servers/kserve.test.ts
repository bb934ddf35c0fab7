// Built-in drills against a model server nobody here wrote: KServe's ModelServer (topology.replicas: kserve) behind
// the reference gateway, over OIP v2. It has no checksum, so damaged weights it restarts with are served: the
// corrupted-weights drill must fail with wrong answers, which is what the harness exists to expose. What is asserted
// is what the harness measured.
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths';
import type { Scenario } from '../../harness/scenario/load';
import { GATE_RETRIES, builtInScenario, drill } from '../drills/gate';

const REPORT_DIR = join(projectRoot, 'reports', 'kserve');
const RATE = 25;

/**
 * The drill on KServe replicas. 25 req/s rather than the built-ins' 200: its one uvicorn worker answered in
 * 2-20 ms here, and 300-600 ms at p50 with 50 req/s under 75-95 % CPU pressure. A Python server takes 6-25 s to
 * start (importing kserve), so the steady state after the faults gets a minute.
 */
function onKserve(scenario: Scenario, changes: Partial<Scenario> = {}): Scenario {
  return {
    ...scenario,
    name: `${scenario.name}-kserve`,
    topology: { ...scenario.topology, replicas: 'kserve', protocol: 'oip-v2' },
    load: { ...scenario.load, rate: RATE },
    steadyState: { ...scenario.steadyState, timeout: 60_000 },
    ...changes,
  };
}

test('primary-crash on KServe: the gateway moves traffic to the KServe standby, and no answer is wrong', async () => {
  const { journal, summary } = await drill(onKserve(builtInScenario('primary-crash')), join(REPORT_DIR, 'primary-crash'), {}, GATE_RETRIES);
  expect(journal.steadyState?.before).toMatchObject({ ok: true });
  const m = journal.measurements;
  if (!m) throw new Error(`nothing measured:\n${summary}`);
  expect(m.phases.fault.servedBy.standby).toBeGreaterThan(0);
  expect(m.failoverMs).toEqual(expect.any(Number));
  expect(m.wrongAnswers).toBe(0);
  // Both KServe replicas served the reference model, asked over v2 directly.
  expect(m.consistency).toMatchObject({ maxAbsScoreDelta: 0 });
}, 900_000);

test('corrupted-weights-restart on KServe: it restarts with the flipped weights and serves them, so the drill fails with wrong answers', async () => {
  const corrupted = builtInScenario('corrupted-weights-restart');
  const [fault] = corrupted.faults;
  // The damaged primary must be back in traffic while the load runs: its restart alone takes 6-25 s.
  const scenario = onKserve(corrupted, {
    load: { ...corrupted.load, rate: RATE, duration: 35_000 },
    faults: [{ ...fault!, duration: 25_000 }],
  });
  const { journal, summary } = await drill(scenario, join(REPORT_DIR, 'corrupted-weights-restart'));
  const m = journal.measurements;
  if (!m) throw new Error(`nothing measured:\n${summary}`);
  // Not a pass. On a machine so loaded that the load generator falls behind, the verdict is an error instead.
  expect(['fail', 'error']).toContain(journal.verdict);
  expect(m.wrongAnswers).toBeGreaterThan(0);
  expect(m.phases.fault.servedBy.primary).toBeGreaterThan(0);
  expect(journal.thresholds.find((t) => t.metric === 'wrongAnswers')).toMatchObject({ pass: false });
  console.log(`KServe served flipped weights: ${m.wrongAnswers} wrong answers of ${m.phases.run.requests} requests`);
}, 900_000);
