// A drill at the size a recovery time objective is about (scenarios/large/, `npm run drills:large`): the primary
// restarts with a large model and must load and verify all of it before traffic goes back to it. Minutes, so it
// runs only with DRILL_LARGE=1 (the gate keeps to its time budget); the model-scale bench measures the rest.
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths';
import { loadScenario } from '../../harness/scenario/load';
import { drill } from './gate';

const large = process.env.DRILL_LARGE === '1' ? test : test.skip;

large('the primary restarts with a large model: no failed request, no wrong answer, back on the primary within the measured bound', async () => {
  const scenario = loadScenario(join(projectRoot, 'scenarios', 'large', 'primary-restart.yaml'));
  const { journal, summary } = await drill(scenario, join(projectRoot, 'reports', 'large'));
  if (journal.verdict !== 'pass') throw new Error(`did not pass:\n${summary}`);
  expect(journal.environment.models['fp32']?.bytes).toBeGreaterThanOrEqual(512 * 2 ** 20);
  // The restart and the load it made, step by step.
  expect(journal.recovery?.map((r) => [r.replica, r.event])).toEqual(expect.arrayContaining([['primary', 'restart: stopped -> accepting again'], ['primary', 'startup load']]));
  expect(journal.recovery?.find((r) => r.replica === 'primary' && r.event === 'startup load')?.steps).toMatchObject({ sha256: expect.any(Number), session: expect.any(Number) });
}, 600_000);
