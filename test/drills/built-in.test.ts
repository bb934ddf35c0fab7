// The resilience gate: every built-in drill in scenarios/ must pass against the reference deployment.
import { join } from 'node:path';
import { projectRoot } from '../../harness/paths';
import type { Journal } from '../../harness/report/journal';
import { loadScenarios } from '../../harness/scenario/load';
import { parseShard, selectShard } from '../../harness/scenario/shard';
import { TopologyPool } from '../../harness/topology/pool';
import { GATE_REPORT_DIR, drill, writeRunReports } from './gate';

// DRILL_SHARD=i/n runs the same split as `drill run --shard i/n` (for jest --shard on several CI machines).
const all = loadScenarios([join(projectRoot, 'scenarios')]);
const scenarios = process.env.DRILL_SHARD ? selectShard(all, parseShard(process.env.DRILL_SHARD, 'DRILL_SHARD')) : all;
const journals: Journal[] = [];
// As in `drill run`: consecutive drills share a topology, reset and checked between them.
const topologies = new TopologyPool();

afterAll(async () => {
  await topologies[Symbol.asyncDispose]();
  writeRunReports(GATE_REPORT_DIR, journals);
});

test.each(scenarios.map((s) => [s.name, s] as const))('drill %s passes its thresholds', async (_name, scenario) => {
  const { journal, summary } = await drill(scenario, GATE_REPORT_DIR, { topologies });
  journals.push(journal);
  if (journal.verdict !== 'pass') throw new Error(`drill ${scenario.name} did not pass:\n${summary}`);
  expect(journal.thresholds.length).toBeGreaterThan(0);
  expect(journal.thresholds.every((t) => t.pass)).toBe(true);
});
