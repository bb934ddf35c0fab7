// The resilience gate: every built-in drill in scenarios/ must pass against the reference deployment, on each
// protocol the load can speak (/v1/rank, and Open Inference Protocol v2 with binary tensors).
import { join } from 'node:path';
import { InvalidInputError } from '../../harness/errors';
import { projectRoot } from '../../harness/paths';
import { isFlaky } from '../../harness/report/attempts';
import type { Journal } from '../../harness/report/journal';
import { loadScenarios } from '../../harness/scenario/load';
import { parseShard, selectShard } from '../../harness/scenario/shard';
import { TopologyPool } from '../../harness/topology/pool';
import { GATE_PROTOCOLS, GATE_REPORT_DIR, GATE_RETRIES, drill, onProtocol, writeRunReports } from './gate';

// DRILL_SHARD=i/n runs the same split as `drill run --shard i/n` (for jest --shard on several CI machines).
const all = loadScenarios([join(projectRoot, 'scenarios')]);
const scenarios = process.env.DRILL_SHARD ? selectShard(all, parseShard(process.env.DRILL_SHARD, 'DRILL_SHARD')) : all;
// DRILL_FAIL_ON_FLAKY=1 is `drill run --fail-on-flaky`: a drill that passed only on a retry (GATE_RETRIES) fails.
const failOnFlaky = envSwitch('DRILL_FAIL_ON_FLAKY');
const journals: Journal[] = [];

// As in `drill run`: consecutive drills share a topology, reset and checked between them.
const topologies = new TopologyPool();

afterAll(async () => {
  await topologies[Symbol.asyncDispose]();
  writeRunReports(GATE_REPORT_DIR, journals);
});

const cases = scenarios.flatMap((s) => GATE_PROTOCOLS.map((protocol) => [s.name, protocol, onProtocol(s, protocol)] as const));

test.each(cases)('drill %s on %s passes its thresholds', async (_name, _protocol, scenario) => {
  const { journal, summary } = await drill(scenario, GATE_REPORT_DIR, { topologies }, GATE_RETRIES);
  journals.push(journal);
  if (journal.verdict !== 'pass') throw new Error(`drill ${scenario.name} did not pass:\n${summary}`);
  if (failOnFlaky && isFlaky(journal)) throw new Error(`drill ${scenario.name} passed only after failing (DRILL_FAIL_ON_FLAKY=1); its failed runs are in ${GATE_REPORT_DIR}/${scenario.name}/attempt-*/`);
  expect(journal.thresholds.length).toBeGreaterThan(0);
  expect(journal.thresholds.every((t) => t.pass)).toBe(true);
});

/** An environment variable that is 0 or 1 (unset: 0). */
function envSwitch(name: string): boolean {
  const value = process.env[name] ?? '';
  if (!['', '0', '1'].includes(value)) throw new InvalidInputError(`${name} must be 0 or 1, got "${value}"`);
  return value === '1';
}
