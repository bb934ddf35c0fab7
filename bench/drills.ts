// Wall time of every built-in drill and of the whole set, run one after another through the same runner as
// `drill run` (images already built). The gate's speed goal is read here, not asserted in a timed test.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { projectRoot } from '../harness/paths';
import { prepare } from '../harness/prepare';
import { runScenario } from '../harness/runner';
import { loadScenarios } from '../harness/scenario/load';

const seconds = (ms: number): string => (ms / 1000).toFixed(1);

export async function run(): Promise<void> {
  const scenarios = loadScenarios([join(projectRoot, 'scenarios')]);
  const prepared = performance.now();
  await prepare();
  const prepareMs = performance.now() - prepared;
  console.log('| drill | verdict | wall s | topology up s | load s |');
  console.log('|---|---|---:|---:|---:|');
  let total = 0;
  for (const scenario of scenarios) {
    const started = performance.now();
    const journal = await runScenario(scenario);
    const wall = performance.now() - started;
    total += wall;
    console.log(`| ${scenario.name} | ${journal.verdict} | ${seconds(wall)} | ${seconds(journal.timing.topologyUpMs ?? 0)} | ${seconds(journal.timing.loadMs ?? 0)} |`);
  }
  console.log(`${scenarios.length} drills: ${seconds(total)} s in all, plus ${seconds(prepareMs)} s to prepare (model, images)`);
}
